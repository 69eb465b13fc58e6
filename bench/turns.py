"""Concurrent consultations as they happen: started apart, the parties taking turns.

`bench.worker_capacity` starts every consultation at once with the same dense speech on
both sides, which piles the costly starts together and leaves no silence. Here consultation
i starts `i * stagger` seconds after the first; in each the doctor and the patient take
turns of one to three sentences, so each side is silent about half the time (with a faint
noise floor, not digital silence, as a microphone gives); each consultation's speech
differs (phrases in its own order, its own speaking rate). Against `telemed serve`, pinned to
`--cores`, it reports per step: the server's share of those cores while every consultation of the
step is running, its CPU per audio second, transcription lag p95 (the server's histogram), audio
received, peak memory and the recogniser pool's hits and misses. In the same run, plain Vosk
`KaldiRecognizer` over the same audio (silence included, as plain Vosk hears it), once with
a new recogniser per side and once with one warm recogniser reset between sides.

    python -m bench.turns [--steps 4,6,8] [--minutes 5] [--stagger 10] [--cores 0] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any

import vosk

from bench.consultations import (
    allocator_env,
    allocator_of,
    cpu_seconds,
    rss_mib,
    wait_pool_warm,
    wait_ready,
    warm_kaldi,
    wav_seconds,
)
from bench.worker_capacity import (
    PAIRS_PER_SENDER,
    PeakRss,
    accounts,
    collect,
    lag_buckets,
    one_pair,
    p95,
    pinned,
    start_senders,
)
from clinic.settings import Settings
from harness.client import encode_opus
from harness.servers import free_port
from transcription.engine import bundled_model_dir

TELEMED = [sys.executable, "-m", "web.cli"]
RATE = 16000
# Korean (the bundled model's language), a consultation's turns: a doctor asks, a patient
# answers. Each consultation says them in its own order.
DOCTOR = [
    "안녕하세요 오늘 어디가 불편하세요",
    "열은 언제부터 났어요",
    "기침할 때 가래가 나오나요",
    "숨쉬기 힘들지는 않으세요",
    "약은 하루에 세 번 식후에 드세요",
    "물을 많이 마시고 푹 쉬세요",
    "사흘 뒤에 다시 전화 주세요",
    "다른 질문 있으세요",
]
PATIENT = [
    "어제부터 열이 나고 기침을 많이 합니다",
    "목이 아프고 머리도 아파요",
    "밤에 잠을 잘 수가 없어요",
    "가래는 조금 나와요",
    "숨이 조금 차요",
    "어제 해열제를 한 번 먹었어요",
    "네 알겠습니다 감사합니다",
    "아니요 없습니다",
]
NOISE_VOLUME = "0.003"  # about -50 dBFS: a quiet room through a phone's microphone


def _phrase_pcm(text: str, speed: int, cache: Path) -> bytes:
    path = cache / f"{hashlib.sha1(f'{speed}:{text}'.encode()).hexdigest()[:16]}.wav"
    if not path.exists():
        raw = path.with_suffix(".raw.wav")
        subprocess.run(
            ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), text], check=True
        )
        subprocess.run(
            ["sox", str(raw), "-c", "1", "-b", "16", "-D", str(path), "rate", str(RATE)], check=True
        )
        raw.unlink()
    with wave.open(str(path), "rb") as w:
        return w.readframes(w.getnframes())


def _write(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)


def turn_taking(seed: int, seconds: float, workdir: Path) -> tuple[Path, Path]:
    """A doctor's and a patient's track of one consultation: turns until `seconds`. Beside
    each track, `spoken(track)` reads what was said on it (the sentences it holds whole)."""
    rng = random.Random(seed)
    speed = rng.choice((130, 140, 150, 160))
    doctor, patient = bytearray(), bytearray()
    said: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])  # (end byte, text)
    k = 0
    while len(doctor) < seconds * RATE * 2:
        speaking, listening = (doctor, patient) if k % 2 == 0 else (patient, doctor)
        # A turn is one to three sentences with short pauses, as people speak.
        pcm = bytearray()
        for text in rng.sample(DOCTOR if k % 2 == 0 else PATIENT, rng.randint(1, 3)):
            pcm += _phrase_pcm(text, speed, workdir)
            said[k % 2].append((len(speaking) + len(pcm), text))
            pcm += bytes(2 * int(RATE * rng.uniform(0.2, 0.6)))
        gap = bytes(2 * int(RATE * rng.uniform(0.4, 1.5)))
        speaking += pcm + gap
        listening += bytes(len(pcm)) + gap
        k += 1
    tracks = []
    end = int(seconds * RATE) * 2
    for name, track, sentences in (("doctor", doctor, said[0]), ("patient", patient, said[1])):
        clean, noisy = workdir / f"{seed}-{name}.clean.wav", workdir / f"{seed}-{name}.wav"
        _write(clean, bytes(track[:end]))
        noisy.with_suffix(".txt").write_text(
            "\n".join(text for stop, text in sentences if stop <= end), encoding="utf-8"
        )
        subprocess.run(
            [
                "sox",
                "-m",
                "-v",
                "1",
                str(clean),
                "-v",
                "1",
                str(workdir / "noise.wav"),
                "-b",
                "16",
                "-D",
                str(noisy),
                "trim",
                "0",
                str(seconds),
            ],
            check=True,
        )
        clean.unlink()
        tracks.append(noisy)
    return tracks[0], tracks[1]


def spoken(track: Path) -> str:
    """What was said on a track `turn_taking` made: its whole sentences, one per line."""
    return track.with_suffix(".txt").read_text(encoding="utf-8")


def plain_vosk(paths: list[str]) -> dict[str, float]:
    """CPU seconds plain Vosk takes over `paths` (whole files, silence included), with a new
    recogniser per file and with one warm recogniser (warmed on the pool's warm-up speech,
    finalised between files); run in a fresh process."""
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))

    def hear(recognizer: vosk.KaldiRecognizer, path: str) -> None:
        with wave.open(path) as w:
            while data := w.readframes(4000):
                recognizer.AcceptWaveform(data)
        recognizer.FinalResult()

    started = time.process_time()
    for path in paths:
        recognizer = vosk.KaldiRecognizer(model, RATE)
        recognizer.SetWords(True)
        hear(recognizer, path)
        del recognizer
    new = time.process_time() - started
    warm = warm_kaldi(model)
    started = time.process_time()
    for path in paths:
        hear(warm, path)
    return {"new": new, "warm": time.process_time() - started}


async def delayed_pair(delay: float, url: str, pair: dict[str, Any]) -> str:
    await asyncio.sleep(delay)
    return await one_pair(
        url,
        pair["key"],
        pair["session"],
        Path(pair["doctor_wav"]),
        Path(pair["patient_wav"]),
        timeout_s=pair["seconds"] + 120,
    )


async def senders(spec: dict[str, Any]) -> list[str]:
    started = spec["start_at"]
    return list(
        await asyncio.gather(
            *(
                delayed_pair(started + pair["offset_s"] - time.time(), spec["url"], pair)
                for pair in spec["pairs"]
            )
        )
    )


def pool_figures(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}/metrics") as response:
        text = response.read().decode()
    figures: dict[str, float] = {}
    for name, value in re.findall(r"^telemed_recognizer_pool_(\w+)\{[^}]*\} (\S+)$", text, re.M):
        figures[name] = figures.get(name, 0.0) + float(value)
    return figures


class CpuSamples:
    """The server's CPU seconds, sampled each second while the block runs."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append((time.time(), cpu_seconds(self._pid)))

    def share(self, start: float, end: float) -> float | None:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return None
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])

    def __enter__(self) -> CpuSamples:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def step(
    url: str,
    settings: Settings,
    pid: int,
    n: int,
    tracks: list[tuple[Path, Path]],
    seconds: float,
    stagger: float,
    sender_cores: str,
) -> dict[str, Any]:
    pairs: list[dict[str, Any]] = list(asyncio.run(accounts(settings, n)))
    for i, pair in enumerate(pairs):
        # Sent as the browser's encoder made them (Ogg Opus, 60 ms packets): parties that
        # encode in Python cost a tenth of a core per consultation, three quarters of a
        # core for seven, which two cores cannot spare beside the server.
        pair.update(
            doctor_wav=str(tracks[i][0].with_suffix(".ogg")),
            patient_wav=str(tracks[i][1].with_suffix(".ogg")),
            offset_s=i * stagger,
            seconds=seconds,
        )
    before_lag, before_pool = lag_buckets(url), pool_figures(url)
    before_cpu, before_loop = cpu_seconds(pid), cpu_seconds(pid, thread=pid)
    start_at = time.time() + 3  # the sender processes start and connect first
    specs = [
        {"url": url, "start_at": start_at, "pairs": pairs[first : first + PAIRS_PER_SENDER]}
        for first in range(0, n, PAIRS_PER_SENDER)
    ]
    # The senders are this process's children: once reaped, their CPU is in RUSAGE_CHILDREN
    # (the server, also a child, is reaped only at the end).
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    processes = start_senders("bench.turns", specs, sender_cores)
    consultations: list[str] = []
    with PeakRss(pid) as rss, CpuSamples(pid) as cpu:
        for process in processes:
            consultations += collect(process, timeout=seconds + n * stagger + 600)
    total_cpu = cpu_seconds(pid) - before_cpu
    loop_cpu = cpu_seconds(pid, thread=pid) - before_loop
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sender_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    # All of the step's consultations run between the last one's start and the first one's
    # end; a few seconds in from each for connecting and hanging up.
    all_running = (start_at + (n - 1) * stagger + 5, start_at + seconds - 5)
    received = sum(
        wav_seconds(p) for c in consultations for p in (settings.recordings_dir / c).glob("*.wav")
    )
    after_pool = pool_figures(url)
    return {
        "consultations": n,
        "server_core_share_all_running": (
            round(s, 2) if (s := cpu.share(*all_running)) is not None else None
        ),
        "server_cpu_per_audio_s": round(total_cpu / (2 * n * seconds), 3),
        # The main thread: the event loop (RTP receive, signaling, storage); Vosk runs in
        # other threads, which cffi lets run beside it, off Python's lock.
        "event_loop_cpu_per_audio_s": round(loop_cpu / (2 * n * seconds), 3),
        "lag_p95_s_at_most": p95(before_lag, lag_buckets(url)),
        "audio_received": round(received / (2 * n * seconds), 3),
        "rss_peak_mib": round(rss.peak, 1),
        # What the scripted parties cost, on `sender_cores` (the server's own when it has all).
        "senders_cpu_per_audio_s": round(sender_cpu / (2 * n * seconds), 3),
        "pool_hits": after_pool.get("hits_total", 0) - before_pool.get("hits_total", 0),
        "pool_misses": after_pool.get("misses_total", 0) - before_pool.get("misses_total", 0),
    }


def run(
    steps: list[int],
    minutes: float,
    stagger: float,
    cores: str,
    pool: str | None,
    plain_consultations: int = 2,
) -> dict[str, Any]:
    seconds = minutes * 60
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
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
                str(tmpdir / "noise.wav"),
                "synth",
                str(seconds + 5),
                "whitenoise",
                "vol",
                NOISE_VOLUME,
            ],
            check=True,
        )
        tracks = [turn_taking(seed, seconds, tmpdir) for seed in range(max(steps))]
        for track in (t for pair in tracks for t in pair):
            encode_opus(track)
        port = free_port()
        env = {**os.environ, "TELEMED_DATA_DIR": str(tmpdir / "data"), "TELEMED_PORT": str(port)}
        if pool is not None:
            env["TELEMED_RECOGNISER_POOL"] = pool
        settings = Settings.from_env(env)
        all_cores = f"0-{(os.cpu_count() or 1) - 1}"
        # Senders need a core of their own to be faithful; with the server on all cores
        # they share them (said in the output).
        sender_cores = (
            all_cores
            if cores == all_cores
            else f"{int(cores.split('-')[-1]) + 1}-{(os.cpu_count() or 2) - 1}"
        )
        server = subprocess.Popen(
            [*pinned(cores), *TELEMED, "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        results = []
        try:
            wait_ready(url, server)
            wait_pool_warm(url)
            rss_idle = rss_mib(server.pid)
            server_allocator = allocator_of(server.pid)
            for n in steps:
                results.append(
                    step(url, settings, server.pid, n, tracks, seconds, stagger, sender_cores)
                )
        finally:
            server.terminate()
            server.wait(60)
        # Plain Vosk over the first consultations' audio: over all of it would take as long
        # as the steps again; the speech and the silence are alike in each. On glibc's
        # malloc, as Vosk runs by default, and on jemalloc, as the server runs.
        paths = [str(p) for pair in tracks[:plain_consultations] for p in pair]
        plain = {
            allocator: json.loads(
                subprocess.run(
                    [sys.executable, "-m", "bench.turns", "--plain", json.dumps(paths)],
                    env=allocator_env(allocator),
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for allocator in ("glibc", "jemalloc")
            if allocator_env(allocator) is not None
        }
    audio = len(paths) * seconds
    figures: dict[str, Any] = {}
    for allocator, cpu in plain.items():
        tag = "" if allocator == "glibc" else f"{allocator}_"
        figures[f"plain_vosk_{tag}new_cpu_per_audio_s"] = round(cpu["new"] / audio, 3)
        figures[f"plain_vosk_{tag}warm_cpu_per_audio_s"] = round(cpu["warm"] / audio, 3)
        for r in results:
            for age in ("warm", "new"):
                r[f"ratio_to_plain_vosk_{tag}{age}"] = round(
                    r["server_cpu_per_audio_s"] / (cpu[age] / audio), 2
                )
    passing = [
        r["consultations"]
        for r in results
        if r["lag_p95_s_at_most"] is not None
        and r["lag_p95_s_at_most"] <= 2
        and r["audio_received"] >= 0.99
    ]
    return {
        "minutes": minutes,
        "stagger_s": stagger,
        "server_cores": cores,
        "plain_vosk_consultations": min(plain_consultations, len(tracks)),
        "sender_cores": sender_cores,
        "cores": os.cpu_count(),
        "rss_idle_mib": round(rss_idle, 1),
        "server_allocator": server_allocator,
        **figures,
        "steps": results,
        "capacity": max(passing, default=0),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="4,6,8")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument(
        "--stagger",
        type=float,
        default=10.0,
        help="seconds between the starts of two consultations",
    )
    parser.add_argument("--cores", default="0", help="the server's cores, as taskset takes them")
    parser.add_argument("--pool", help="TELEMED_RECOGNISER_POOL for the server")
    parser.add_argument(
        "--plain-consultations",
        type=int,
        default=2,
        help="consultations whose audio plain Vosk transcribes for comparison",
    )
    parser.add_argument("--quick", action="store_true", help="one short consultation, for CI")
    parser.add_argument("--senders", help=argparse.SUPPRESS)
    parser.add_argument("--plain", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain:
        print(json.dumps(plain_vosk(json.loads(args.plain))))
        return
    if args.senders:
        print(json.dumps(asyncio.run(senders(json.loads(args.senders)))))
        return
    if args.quick:
        print(json.dumps(run([1], 0.25, 0, args.cores, "2"), indent=2))
        return
    print(
        json.dumps(
            run(
                [int(s) for s in args.steps.split(",")],
                args.minutes,
                args.stagger,
                args.cores,
                args.pool,
                args.plain_consultations,
            ),
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
