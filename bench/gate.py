"""What the voice gate saves: Vosk's CPU over turn-taking consultations with and without it.

The sides of `bench.turns`'s consultations (turns of one to three sentences, each side
silent about half the time over a faint noise floor) go through the platform's
`StreamingRecognizer` (gate, then Vosk) and through plain Vosk over all of the audio, each
with a recogniser warmed as the pool warms them, in this process, one after the other. No
network and no server: only the recognition. Reports the CPU per audio second of each, the
share of the audio the gate let through, how many words differ between the two and between
two plain runs (Vosk's dither alone), and, since differing says nothing of which is right,
the character error rate of each against what was said (the sentences `bench.turns` had
espeak-ng speak; Korean, counted in characters with spaces dropped, since the recogniser's
word breaks are its own).

    python -m bench.gate [--consultations 2] [--minutes 2] [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
import wave
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import vosk

from bench.turns import NOISE_VOLUME, RATE, spoken, turn_taking
from transcription.engine import VoskRecognizer, bundled_model_dir
from transcription.gate import VoiceGate
from transcription.pool import warmup_pcm
from transcription.recognizer import CHUNK_BYTES, Phrase, StreamingRecognizer


def warm_recognizer(model: vosk.Model) -> VoskRecognizer:
    recognizer = VoskRecognizer(model)
    recognizer.accept(warmup_pcm())
    recognizer.kaldi.FinalResult()  # no Reset() after it: see RecognizerPool.give_back
    return recognizer


def gated(recognizer: VoskRecognizer, pcm: bytes) -> tuple[float, list[str], float]:
    """CPU seconds, words, and the share of the audio Vosk heard."""
    started = time.process_time()
    side = StreamingRecognizer(recognizer, VoiceGate())
    phrases: list[Phrase] = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        phrases += [r for r in side.accept(pcm[i : i + CHUNK_BYTES]) if isinstance(r, Phrase)]
    last = side.finish()
    phrases += [last] if last else []
    cpu = time.process_time() - started
    return cpu, [w.word for p in phrases for w in p.words], side.fed_s / side.heard_s


def plain(recognizer: VoskRecognizer, pcm: bytes) -> tuple[float, list[str]]:
    started = time.process_time()
    kaldi = recognizer.kaldi
    words: list[str] = []
    for i in range(0, len(pcm), CHUNK_BYTES):
        if kaldi.AcceptWaveform(pcm[i : i + CHUNK_BYTES]):
            words += [w["word"] for w in json.loads(kaldi.Result()).get("result", [])]
    words += [w["word"] for w in json.loads(kaldi.FinalResult()).get("result", [])]
    return time.process_time() - started, words


def differing(a: list[str], b: list[str]) -> int:
    matcher = SequenceMatcher(a=a, b=b, autojunk=False)
    return sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )


def character_errors(heard: list[str], said: str) -> tuple[int, int]:
    """Edits (Levenshtein, over characters, spaces dropped) from what was said to what was
    heard, and the characters said."""
    hyp, ref = "".join(heard), "".join(said.split())
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1], len(ref)


def run(consultations: int, minutes: float) -> dict[str, Any]:
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    seconds = minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                str(RATE),
                "-c",
                "1",
                "-b",
                "16",
                "-D",
                str(workdir / "noise.wav"),
                "synth",
                str(seconds + 5),
                "whitenoise",
                "vol",
                NOISE_VOLUME,
            ],
            check=True,
        )
        sides: list[tuple[bytes, str]] = []
        for seed in range(consultations):
            for path in turn_taking(seed, seconds, workdir):
                with wave.open(str(path)) as w:
                    sides.append((w.readframes(w.getnframes()), spoken(path)))
    # One warm recogniser each way, kept across the sides as the pool keeps them; a second
    # plain one gives how much Vosk's dither alone changes the words between two runs.
    with_gate, without, again = (
        warm_recognizer(model),
        warm_recognizer(model),
        warm_recognizer(model),
    )
    gate_cpu = plain_cpu = fed = 0.0
    words = changed = changed_by_dither = said = gate_errors = plain_errors = 0
    for pcm, text in sides:
        cpu, gated_words, share = gated(with_gate, pcm)
        cpu_plain, plain_words = plain(without, pcm)
        _, plain_again = plain(again, pcm)
        gate_cpu, plain_cpu, fed = gate_cpu + cpu, plain_cpu + cpu_plain, fed + share
        words, changed = words + len(plain_words), changed + differing(gated_words, plain_words)
        changed_by_dither += differing(plain_again, plain_words)
        errors, characters = character_errors(gated_words, text)
        gate_errors, said = gate_errors + errors, said + characters
        plain_errors += character_errors(plain_words, text)[0]
    audio = len(sides) * seconds
    return {
        "sides": len(sides),
        "audio_s": audio,
        "plain_vosk_warm_cpu_per_audio_s": round(plain_cpu / audio, 3),
        "gated_cpu_per_audio_s": round(gate_cpu / audio, 3),
        "cpu_saved": round(1 - gate_cpu / plain_cpu, 2),
        "audio_fed_to_vosk": round(fed / len(sides), 2),
        "words_plain": words,
        "words_differing": changed,
        "words_differing_plain_vs_plain": changed_by_dither,
        "characters_said": said,
        "character_error_rate_plain": round(plain_errors / max(1, said), 3),
        "character_error_rate_gated": round(gate_errors / max(1, said), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--consultations", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        print(json.dumps(run(1, 0.25), indent=2))
        return
    print(json.dumps(run(args.consultations, args.minutes), indent=2))


if __name__ == "__main__":
    main()
