"""The platform's transcription path against plain Vosk over the same audio."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest
import vosk

from media.decode import pcm_chunks
from tests.speech import PHRASES, speak
from transcription.files import transcribe_pcm
from transcription.models import ModelPool, bundled_model_dir


@pytest.fixture(scope="module")
def undithered_model(model_pool: ModelPool, tmp_path_factory: pytest.TempPathFactory) -> vosk.Model:
    """The bundled model with Kaldi's MFCC dither off.

    Dither adds random noise to the features, so two plain Vosk runs over one file differ
    by a word or two. Without it decoding is exact, and the platform's path must give
    word for word what plain Vosk gives.
    """
    source = bundled_model_dir()
    view = tmp_path_factory.mktemp("undithered")
    for entry in source.iterdir():
        if entry.name != "conf":
            (view / entry.name).symlink_to(entry)
    (view / "conf").mkdir()
    for conf in (source / "conf").iterdir():
        (view / "conf" / conf.name).write_text(conf.read_text())
    with (view / "conf" / "mfcc.conf").open("a") as f:
        f.write("--dither=0\n")
    return model_pool.load(view)


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


def test_same_words_as_plain_vosk(undithered_model: vosk.Model, tmp_path: Path) -> None:
    model = undithered_model
    audio = speak(PHRASES["patient"] + " " + PHRASES["doctor"], tmp_path / "both.wav",
                  rate_hz=16000)
    expected = plain_vosk_words(model, audio)
    phrases = transcribe_pcm(model, pcm_chunks(audio))
    assert expected, "plain Vosk heard nothing"
    assert [w.word for p in phrases for w in p.words] == expected
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
