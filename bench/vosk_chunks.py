"""Where the transcription lag comes from: the CPU time plain Vosk takes per 0.25 s chunk
(the chunk the worker hands its recogniser), `AcceptWaveform` and `PartialResult` apart.

A chunk arrives every 0.25 s per side; a call that takes longer than that, or several
sides' calls sharing a core, make the next chunks wait. The distribution's tail, not its
median, is what bounds how many sides one core carries at a lag under 2 s.

    python -m bench.vosk_chunks [--repeats 3] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import vosk

from bench.consultations import speech
from transcription.engine import bundled_model_dir
from transcription.recognizer import CHUNK_BYTES
from web.cli import DEMO_PHRASES


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def run(repeats: int, rounds: int) -> dict[str, Any]:
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    accept, partial = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        seconds = speech(DEMO_PHRASES["patient"], path, repeats)
        for _ in range(rounds):
            recognizer = vosk.KaldiRecognizer(model, 16000)
            recognizer.SetWords(True)
            with wave.open(str(path)) as w:
                while data := w.readframes(CHUNK_BYTES // 2):
                    started = time.process_time()
                    done = recognizer.AcceptWaveform(data)
                    accept.append(time.process_time() - started)
                    if not done:
                        started = time.process_time()
                        recognizer.PartialResult()
                        partial.append(time.process_time() - started)
    return {
        "audio_s": round(seconds * rounds, 1),
        "chunk_s": CHUNK_BYTES / 32000,
        "chunks": len(accept),
        "accept_waveform": summary(accept),
        "partial_result": summary(partial),
        "chunks_over_a_chunk_of_audio": sum(a > CHUNK_BYTES / 32000 for a in accept),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3, help="phrases in the speech")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(json.dumps(run(1, 1) if args.quick else run(args.repeats, args.rounds), indent=2))


if __name__ == "__main__":
    main()
