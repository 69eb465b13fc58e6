"""How many concurrent consultations one worker carries on one core.

Starts `telemed serve` (web, signaling and its media worker) pinned to core 0 and drives it
with N consultations at once, each two aiortc senders (Opus at 48 kHz, real RTP) in sender
processes pinned to the other cores. For each N it reports the server's share of its core,
the transcription lag at the 95th percentile (from the server's own Prometheus histogram,
so bucket bounds: 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10 s), and how much of the audio sent was
received (the worker's recordings against the files sent). The capacity is the largest N
with lag p95 at most 2 s and at least 99 % of the audio received. Memory: the server's peak
resident size in each step, and what one more concurrent consultation adds, against plain
Vosk's recognisers holding the same audio (in a fresh process, same run).

    python -m bench.worker_capacity [--steps 1,2,4,6,8,10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
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
    cpu_seconds,
    rss_mib,
    speech,
    wait_pool_warm,
    wait_ready,
    wav_seconds,
)
from clinic.domain import Reason
from clinic.settings import Settings
from harness.client import Party
from harness.servers import free_port
from transcription.engine import bundled_model_dir
from web.cli import DEMO_PHRASES
from web.demo import add_doctor, signed_in_patient

TELEMED = [sys.executable, "-m", "web.cli"]
PAIRS_PER_SENDER = 4


def start_senders(module: str, specs: list[dict[str, Any]], cores: str) -> list[Any]:
    """One sender process per spec (`python -m <module> --senders SPEC`), on `cores`."""
    return [
        subprocess.Popen(
            [*pinned(cores), sys.executable, "-m", module, "--senders", json.dumps(spec)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for spec in specs
    ]


def collect(process: Any, timeout: float) -> list[str]:
    """The consultation ids a sender process prints, or its first traceback as the error."""
    out, err = process.communicate(timeout=timeout)
    if process.returncode != 0:
        # The first traceback is the cause; what follows is the teardown's noise.
        first = err.find("Traceback")
        raise RuntimeError(f"a sender failed: {err[max(first, 0) :][:3000]}")
    result: list[str] = json.loads(out)
    return result


def pinned(cores: str) -> list[str]:
    """taskset when there is more than one core to separate the server from the senders."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cores]
    return []


def lag_buckets(url: str) -> dict[float, float]:
    """The server's cumulative transcription-lag histogram: upper bound -> count."""
    with urllib.request.urlopen(f"{url}/metrics") as response:
        text = response.read().decode()
    found = re.findall(
        r'^telemed_transcription_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M
    )
    return {float(le): float(count) for le, count in found}  # "+Inf" -> inf


def p95(before: dict[float, float], after: dict[float, float]) -> float | None:
    """The upper bound of the bucket holding the 95th percentile of the observations made
    between two scrapes."""
    counts = {le: after[le] - before.get(le, 0.0) for le in sorted(after)}
    total = counts[float("inf")]
    if total <= 0:
        return None
    return next(le for le, count in counts.items() if count >= 0.95 * total)


async def one_pair(
    url: str,
    doctor_key: str,
    session: str,
    doctor_wav: Path,
    patient_wav: Path,
    timeout_s: float = 120,
) -> str:
    patient = Party(url, {"session": session})
    doctor = Party(url, {"key": doctor_key})
    try:
        await patient.connect()
        await doctor.connect()
        joined = await patient.call("queue.join", {"mode": "audio"})
        consultation_id = joined["consultation_id"]
        await doctor.call("consultation.take", {"consultation_id": consultation_id})
        await asyncio.gather(
            doctor.send_audio(consultation_id, doctor_wav),
            patient.send_audio(consultation_id, patient_wav),
        )
        await asyncio.gather(doctor.played_out(timeout_s), patient.played_out(timeout_s))
        await asyncio.sleep(1.0)
        # The hang-up is answered once every segment is stored: on an overloaded server,
        # after its transcription backlog, which can be longer than Party.call waits.
        await doctor.sio.call("hangup", {"consultation_id": consultation_id}, timeout=timeout_s)
        # An overloaded server is behind by minutes at the hang-up: wait for it, so that
        # the step reports its lag instead of failing.
        await doctor.next("protocol.ready", timeout=timeout_s)
        return str(consultation_id)
    finally:
        await patient.close()
        await doctor.close()


async def senders(spec: dict[str, Any]) -> list[str]:
    return list(
        await asyncio.gather(
            *(
                one_pair(
                    spec["url"],
                    pair["key"],
                    pair["session"],
                    Path(spec["doctor_wav"]),
                    Path(spec["patient_wav"]),
                )
                for pair in spec["pairs"]
            )
        )
    )


async def accounts(settings: Settings, n: int) -> list[dict[str, str]]:
    pairs = []
    for i in range(n):
        _, key = await add_doctor(settings, f"Bench Doctor {i}", "therapist")
        session = await signed_in_patient(
            settings, f"Bench Patient {i}", "+70000000000", Reason.RESPIRATORY
        )
        pairs.append({"key": key, "session": session})
    return pairs


class PeakRss:
    """The largest resident size of a process while the block runs, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak = rss_mib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mib(self._pid))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def plain_vosk_rss(paths: list[str]) -> float:
    """MiB that plain Vosk's recognisers hold after hearing `paths`, all kept alive at once
    (as the sides of concurrent consultations are); run in a fresh process."""
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    loaded = rss_mib(os.getpid())
    recognizers = []
    for path in paths:
        recognizer = vosk.KaldiRecognizer(model, 16000)
        recognizer.SetWords(True)
        with wave.open(path) as w:
            while data := w.readframes(4000):
                recognizer.AcceptWaveform(data)
        recognizers.append(recognizer)
    return rss_mib(os.getpid()) - loaded


def step(
    url: str,
    settings: Settings,
    server_pid: int,
    n: int,
    doctor_wav: Path,
    patient_wav: Path,
    sent_s: float,
    recordings: Path,
) -> dict[str, Any]:
    pairs = asyncio.run(accounts(settings, n))
    before_lag, before_cpu, started = lag_buckets(url), cpu_seconds(server_pid), time.time()
    specs = [
        {
            "url": url,
            "doctor_wav": str(doctor_wav),
            "patient_wav": str(patient_wav),
            "pairs": pairs[first : first + PAIRS_PER_SENDER],
        }
        for first in range(0, n, PAIRS_PER_SENDER)
    ]
    processes = start_senders("bench.worker_capacity", specs, f"1-{(os.cpu_count() or 2) - 1}")
    consultations: list[str] = []
    with PeakRss(server_pid) as rss:
        for process in processes:
            consultations += collect(process, timeout=600)
    wall = time.time() - started
    cpu = cpu_seconds(server_pid) - before_cpu
    received = sum(wav_seconds(p) for c in consultations for p in (recordings / c).glob("*.wav"))
    lag = p95(before_lag, lag_buckets(url))
    return {
        "consultations": n,
        "server_core_share": round(cpu / wall, 2),
        "server_cpu_per_audio_s": round(cpu / (2 * n * sent_s), 3),
        "lag_p95_s_at_most": lag,
        "audio_received": round(received / (2 * n * sent_s), 3),
        "rss_peak_mib": round(rss.peak, 1),
    }


def run(steps: list[int], repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        doctor_wav, patient_wav = tmpdir / "doctor.wav", tmpdir / "patient.wav"
        sent_s = min(
            speech(DEMO_PHRASES["doctor"], doctor_wav, repeats),
            speech(DEMO_PHRASES["patient"], patient_wav, repeats),
        )
        port = free_port()
        env = {**os.environ, "TELEMED_DATA_DIR": str(tmpdir / "data"), "TELEMED_PORT": str(port)}
        settings = Settings.from_env(env)
        server = subprocess.Popen(
            [*pinned("0"), *TELEMED, "serve"],
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
            for n in steps:
                results.append(
                    step(
                        url,
                        settings,
                        server.pid,
                        n,
                        doctor_wav,
                        patient_wav,
                        sent_s,
                        settings.recordings_dir,
                    )
                )
        finally:
            server.terminate()
            server.wait(60)
        plain = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.worker_capacity",
                "--plain-memory",
                json.dumps([str(doctor_wav), str(patient_wav)]),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    passing = [
        r["consultations"]
        for r in results
        if r["lag_p95_s_at_most"] is not None
        and r["lag_p95_s_at_most"] <= 2
        and r["audio_received"] >= 0.99
    ]
    first, last = results[0], results[-1]
    return {
        "audio_per_side_s": round(sent_s, 1),
        "cores": os.cpu_count(),
        "pinned": bool(pinned("0")),
        "rss_idle_mib": round(rss_idle, 1),
        "steps": results,
        "capacity_one_core": max(passing, default=0),
        "plain_vosk_rss_per_consultation_mib": round(float(plain.stdout), 1),
        # The first consultation also grows the allocator's arenas once; the slope between
        # the smallest and the largest step is what one more concurrent call costs.
        "rss_per_added_consultation_mib": round(
            (last["rss_peak_mib"] - first["rss_peak_mib"])
            / (last["consultations"] - first["consultations"]),
            1,
        )
        if len(results) > 1
        else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="1,2,4,6,8,10")
    parser.add_argument("--repeats", type=int, default=3, help="phrases per side")
    parser.add_argument("--quick", action="store_true", help="one consultation, for CI")
    parser.add_argument("--senders", help=argparse.SUPPRESS)
    parser.add_argument("--plain-memory", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain_memory:
        print(plain_vosk_rss(json.loads(args.plain_memory)))
        return
    if args.senders:
        print(json.dumps(asyncio.run(senders(json.loads(args.senders)))))
        return
    steps = [1] if args.quick else [int(s) for s in args.steps.split(",")]
    print(json.dumps(run(steps, 1 if args.quick else args.repeats), indent=2))


if __name__ == "__main__":
    main()
