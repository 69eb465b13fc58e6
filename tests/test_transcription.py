"""The platform's transcription path against plain Vosk over the same audio."""

from __future__ import annotations

import json
import wave
from difflib import SequenceMatcher
from pathlib import Path

import vosk

from media.decode import pcm_chunks
from tests.speech import PHRASES, speak
from transcription.files import transcribe_pcm
from transcription.models import ModelPool


def plain_vosk_words(model: vosk.Model, path: Path) -> list[str]:
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.SetWords(True)
    words: list[str] = []
    with wave.open(str(path)) as wav:
        while data := wav.readframes(4000):
            if recognizer.AcceptWaveform(data):
                words += [w["word"] for w in json.loads(recognizer.Result()).get("result", [])]
    words += [w["word"] for w in json.loads(recognizer.FinalResult()).get("result", [])]
    return words


def test_same_words_as_plain_vosk(model_pool: ModelPool, tmp_path: Path) -> None:
    model = model_pool.for_language("ru")
    audio = speak(PHRASES["patient"] + " " + PHRASES["doctor"], tmp_path / "both.wav",
                  rate_hz=16000)
    expected = plain_vosk_words(model, audio)
    phrases = transcribe_pcm(model, pcm_chunks(audio))
    assert expected, "plain Vosk heard nothing"
    ours = [w.word for p in phrases for w in p.words]
    # Vosk itself is not bit-for-bit repeatable (two plain runs over one file can differ by a
    # word or two), so "the same words" is measured as sequence similarity, not equality.
    assert SequenceMatcher(None, ours, expected).ratio() >= 0.85, (ours, expected)
    assert all(p.start < p.end for p in phrases)


def test_resampled_input_still_transcribes(model_pool: ModelPool, tmp_path: Path) -> None:
    """A 48 kHz file (what WebRTC carries) goes through av.AudioResampler to 16 kHz."""
    model = model_pool.for_language("ru")
    audio = speak(PHRASES["patient"], tmp_path / "p48.wav", rate_hz=48000)
    phrases = transcribe_pcm(model, pcm_chunks(audio))
    assert phrases and all(p.text for p in phrases)
    total = sum(len(c) for c in pcm_chunks(audio))
    with wave.open(str(audio)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert abs(total / 32000 - seconds) < 0.05
