"""The platform's transcription path against plain Vosk over the same audio."""

from __future__ import annotations

import json
import subprocess
import wave
from difflib import SequenceMatcher
from pathlib import Path

import pytest
import vosk

from media.decode import pcm_chunks
from tests.speech import PHRASES, speak
from transcription.engine import VoskRecognizer, bundled_model_dir
from transcription.files import transcribe_pcm
from transcription.gate import VoiceGate
from transcription.models import ModelPool
from transcription.recognizer import CHUNK_BYTES, Phrase, StreamingRecognizer


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
    return [word for word, _ in plain_vosk_timed_words(model, path)]


def plain_vosk_timed_words(model: vosk.Model, path: Path) -> list[tuple[str, float]]:
    """Plain Vosk over the whole file, silence and all, as its documentation shows."""
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.SetWords(True)
    results = []
    with wave.open(str(path)) as wav:
        while data := wav.readframes(4000):
            if recognizer.AcceptWaveform(data):
                results.append(json.loads(recognizer.Result()))
    results.append(json.loads(recognizer.FinalResult()))
    return [(w["word"], w["start"]) for r in results for w in r.get("result", [])]


def test_same_words_as_plain_vosk(undithered_model: vosk.Model, tmp_path: Path) -> None:
    model = undithered_model
    audio = speak(
        PHRASES["patient"] + " " + PHRASES["doctor"], tmp_path / "both.wav", rate_hz=16000
    )
    expected = plain_vosk_words(model, audio)
    phrases = transcribe_pcm(model, pcm_chunks(audio))
    assert expected, "plain Vosk heard nothing"
    assert [w.word for p in phrases for w in p.words] == expected
    assert all(p.start < p.end for p in phrases)


def test_silence_never_reaches_vosk_and_the_words_stay(
    undithered_model: vosk.Model, tmp_path: Path
) -> None:
    """Three phrases with the pauses of a turn-taking call between them (the other party
    talks): the gate keeps much of the silence from Vosk, and Vosk's words on the speech,
    and their times, are those of plain Vosk over the whole file, all of them on the first
    phrase, before which nothing was skipped. After skipped silence Vosk's speaker
    adaptation has heard less of it, which changes a few words (transcription/gate.py):
    over 8 renderings of this speech (sox's dither), 2 to 7 of 40 (3.6 on average), fewer
    than plain Vosk's own dither changes against itself (2 to 10, 6.1 on average)."""
    audio = turn_taking_call(tmp_path)
    expected = plain_vosk_timed_words(undithered_model, audio)

    recognizer = StreamingRecognizer(VoskRecognizer(undithered_model), VoiceGate())
    phrases = gated_phrases(recognizer, audio)

    got = [(w.word, w.start) for p in phrases for w in p.words]
    assert len(expected) > 30, "plain Vosk heard too little to compare"
    assert len(phrases) >= 3  # the pauses end phrases, with the gate as without
    first = len(phrases[0].words)
    assert [w for w, _ in got[:first]] == [w for w, _ in expected[:first]]
    matcher = SequenceMatcher(a=[w for w, _ in got], b=[w for w, _ in expected], autojunk=False)
    changed = sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )
    assert changed <= 0.2 * len(expected), f"{changed} words differ from plain Vosk's"
    for block in matcher.get_matching_blocks():  # the same words at the same times, within
        for k in range(block.size):  # one of the model's 30 ms frames
            assert got[block.a + k][1] == pytest.approx(expected[block.b + k][1], abs=0.035)
    assert recognizer.fed_s < 0.85 * recognizer.heard_s, "the gate let the silence through"


def test_a_pooled_recogniser_hears_the_next_side_as_a_new_one_would(
    undithered_model: vosk.Model, tmp_path: Path
) -> None:
    """The side before ends in silence, so the gate has ended its last phrase before the
    side finishes: Vosk 0.3.45 then no longer finalises on FinalResult(), and the next side
    went on with the previous side's features and speaker adaptation (issue #19)."""
    audio = turn_taking_call(tmp_path)
    reused = VoskRecognizer(undithered_model)
    before = StreamingRecognizer(reused, VoiceGate())
    assert gated_phrases(before, audio) and before.fed_s < before.heard_s

    def words(recognizer: VoskRecognizer) -> list[tuple[str, float, float]]:
        phrases = gated_phrases(StreamingRecognizer(recognizer, VoiceGate()), audio)
        return [(w.word, w.start, w.end) for p in phrases for w in p.words]

    assert words(reused) == words(VoskRecognizer(undithered_model))


def turn_taking_call(tmp_path: Path) -> Path:
    """Three phrases with the pauses of a turn-taking call between them, the same every time."""
    parts = [
        speak(PHRASES[name], tmp_path / f"{name}.wav", rate_hz=16000, pad_s=pause, repeatable=True)
        for name, pause in (("patient", 6.0), ("doctor", 4.5), ("patient_more", 2.0))
    ]
    audio = tmp_path / "turns.wav"
    subprocess.run(["sox", *map(str, parts), str(audio)], check=True)
    return audio


def gated_phrases(recognizer: StreamingRecognizer, audio: Path) -> list[Phrase]:
    phrases: list[Phrase] = []
    for chunk in fixed_chunks(audio):
        phrases += [r for r in recognizer.accept(chunk) if isinstance(r, Phrase)]
    last = recognizer.finish()
    return [*phrases, last] if last else phrases


def test_silence_alone_is_never_fed(model_pool: ModelPool) -> None:
    recognizer = StreamingRecognizer(VoskRecognizer(model_pool.for_language("ru")), VoiceGate())
    for _ in range(40):  # 10 s of digital silence
        assert recognizer.accept(bytes(CHUNK_BYTES)) == []
    assert recognizer.finish() is None
    assert recognizer.fed_s == 0 and recognizer.heard_s == 10.0


def fixed_chunks(path: Path) -> list[bytes]:
    pcm = b"".join(pcm_chunks(path))
    return [pcm[i : i + CHUNK_BYTES] for i in range(0, len(pcm), CHUNK_BYTES)]


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
