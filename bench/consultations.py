"""Consultations through a real `telemed serve`: CPU per audio second against plain Vosk,
hang-up-to-protocol latency, and memory over many consultations.

Starts `telemed serve` in a fresh data directory and holds N consultations through it with
two scripted aiortc parties (espeak-ng speech, real RTP). The server's CPU time and resident
memory come from /proc; plain Vosk over the same audio, in this process, is the natural
limit the CPU figure is compared with in the same run.

    python -m bench.consultations [--runs N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import vosk

from clinic.domain import Reason
from clinic.settings import Settings
from harness.client import Party
from harness.servers import free_port
from transcription.engine import bundled_model_dir
from transcription.pool import warmup_pcm
from web.allocator import jemalloc_loaded
from web.cli import DEMO_PHRASES
from web.demo import add_doctor, signed_in_patient

TELEMED = [sys.executable, "-m", "web.cli"]
# Consultations plain Vosk is fed in real time, as a comparison (each takes its length).
LIVE_CONSULTATIONS = 20


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """A process's CPU seconds, or one of its threads' (`thread`: its id)."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Until the server at `url` answers /readyz; raises if it exits or never does."""
    for _ in range(1200):
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            urllib.request.urlopen(f"{url}/readyz").close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def wait_pool_warm(url: str, timeout_s: float = 600) -> None:
    """Until the server's recogniser pool is full: warming it (seconds of CPU per
    recogniser, in the background after start) must not count as a consultation's."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with urllib.request.urlopen(f"{url}/metrics") as response:
            text = response.read().decode()
        bound = sum(
            float(v)
            for v in re.findall(r"^telemed_recognizer_pool_bound\{[^}]*\} (\S+)$", text, re.M)
        )
        idle = sum(
            float(v)
            for v in re.findall(r"^telemed_recognizer_pool_idle\{[^}]*\} (\S+)$", text, re.M)
        )
        if bound and idle >= bound:
            return
        time.sleep(1)
    raise RuntimeError("the recogniser pool did not warm")


def recognition_cpu(url: str) -> float:
    """CPU seconds the server's recognition threads spent so far (its /metrics)."""
    with urllib.request.urlopen(f"{url}/metrics") as response:
        text = response.read().decode()
    found = re.search(r"^telemed_recognition_cpu_seconds_total (\S+)$", text, re.M)
    if found is None:
        raise RuntimeError("the server reports no recognition CPU")
    return float(found.group(1))


def speak16k(text: str, path: Path) -> float:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(raw), text], check=True)
    subprocess.run(
        ["sox", str(raw), "-c", "1", "-b", "16", str(path), "pad", "0.3", "1", "rate", "16000"],
        check=True,
    )
    return wav_seconds(path)


def warm_kaldi(model: vosk.Model) -> vosk.KaldiRecognizer:
    """A plain Vosk recogniser warmed on the pool's warm-up speech, as the platform's are."""
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.SetWords(True)
    recognizer.AcceptWaveform(warmup_pcm())
    recognizer.FinalResult()  # no Reset() after it: see RecognizerPool.give_back
    return recognizer


def plain_vosk_cpu(paths: list[Path], model: vosk.Model | None = None, warm: bool = False) -> float:
    """CPU seconds plain Vosk takes to transcribe `paths` (not loading the model): with a
    new recogniser per file, or `warm`: one recogniser, first warmed on the pool's warm-up
    speech (as the platform's are), finalised between files."""
    if model is None:
        vosk.SetLogLevel(-1)
        model = vosk.Model(str(bundled_model_dir()))
    kept = warm_kaldi(model) if warm else None
    start = time.process_time()
    for path in paths:
        recognizer = kept or vosk.KaldiRecognizer(model, 16000)
        recognizer.SetWords(True)
        with wave.open(str(path)) as w:
            while data := w.readframes(4000):
                recognizer.AcceptWaveform(data)
        recognizer.FinalResult()
    return time.process_time() - start


def plain_vosk_live_cpu(doctor: Path, patient: Path, consultations: int) -> float:
    """CPU seconds plain Vosk takes over `consultations` of the two sides fed as they are
    spoken: a warm recogniser per side, each in its own thread, given 0.25 s of audio every
    0.25 s, both sides at once (as the server gets them). Fed so, Vosk costs more than over
    the same audio at once (a fifth more in bench/README.md's run): any live transcription
    pays that, so the platform's recognition threads are compared with this too."""
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    recognizers = [warm_kaldi(model), warm_kaldi(model)]
    chunk = 16000 // 4

    def side(recognizer: vosk.KaldiRecognizer, path: Path) -> float:
        cpu = 0.0
        for _ in range(consultations):
            with wave.open(str(path)) as w:
                started = time.monotonic()
                while data := w.readframes(chunk):
                    before = time.thread_time()
                    recognizer.AcceptWaveform(data)
                    cpu += time.thread_time() - before
                    due = started + w.tell() / 16000
                    time.sleep(max(0.0, due - time.monotonic()))
            before = time.thread_time()
            recognizer.FinalResult()
            cpu += time.thread_time() - before
        return cpu

    with ThreadPoolExecutor(2) as sides:
        return sum(sides.map(side, recognizers, [doctor, patient]))


def allocator_env(allocator: str) -> dict[str, str] | None:
    """This environment with a child process on `allocator` (glibc or jemalloc); None when
    that allocator is not installed."""
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    if allocator == "glibc":
        return env
    library = ctypes.util.find_library(allocator)
    return None if library is None else {**env, "LD_PRELOAD": library}


def allocator_of(pid: int) -> str:
    """Which allocator process `pid` runs on, as `allocator_env` names them."""
    return "jemalloc" if jemalloc_loaded(Path(f"/proc/{pid}/maps")) else "glibc"


def plain_vosk_cpu_on(
    allocator: str, paths: list[Path], warm: bool = False, live: int = 0
) -> float:
    """`plain_vosk_cpu` in a new process on `allocator`, which must be installed; with
    `live`, `plain_vosk_live_cpu` over that many consultations of `paths`' two sides."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.consultations", "--plain", json.dumps([*map(str, paths)])]
        + (["--warm"] if warm else [])
        + (["--live", str(live)] if live else []),
        env=allocator_env(allocator),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


async def one_consultation(
    url: str, settings: Settings, doctor_wav: Path, patient_wav: Path
) -> float:
    """Holds one consultation; returns seconds from hang-up to the stored draft protocol."""
    _, key = await add_doctor(settings, "Bench Doctor", "therapist")
    session = await signed_in_patient(settings, "Bench Patient", "+70000000000", Reason.RESPIRATORY)
    patient = Party(url, {"session": session})
    doctor = Party(url, {"role": "doctor", "key": key})
    try:
        await patient.connect()
        joined = await patient.call("queue.join", {"mode": "audio"})
        await doctor.connect()
        await doctor.call("consultation.take", {"consultation_id": joined["consultation_id"]})
        await doctor.send_audio(joined["consultation_id"], doctor_wav)
        await patient.send_audio(joined["consultation_id"], patient_wav)
        await asyncio.gather(doctor.played_out(600), patient.played_out(600))
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        await doctor.call("hangup", {"consultation_id": joined["consultation_id"]})
        await doctor.next("protocol.ready", timeout=60)
        return time.perf_counter() - started
    finally:
        await patient.close()
        await doctor.close()


def speech(text: str, path: Path, repeats: int) -> float:
    """`repeats` phrases of speech (a pause after each); its length in seconds."""
    if repeats == 1:
        return speak16k(text, path)
    one = path.with_suffix(".one.wav")
    speak16k(text, one)
    subprocess.run(["sox", *[str(one)] * repeats, str(path)], check=True)
    one.unlink()
    return wav_seconds(path)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def run(runs: int, repeats: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        doctor_wav, patient_wav = tmpdir / "doctor.wav", tmpdir / "patient.wav"
        audio_s = speech(DEMO_PHRASES["doctor"], doctor_wav, repeats) + speech(
            DEMO_PHRASES["patient"], patient_wav, repeats
        )
        port = free_port()
        env = {
            **os.environ,
            "TELEMED_DATA_DIR": str(tmpdir / "data"),
            "TELEMED_PORT": str(port),
            "TELEMED_DRAIN_TIMEOUT_S": "5",
        }
        settings = Settings.from_env(env)
        server = subprocess.Popen(
            [*TELEMED, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, server)
            wait_pool_warm(url)
            rss_idle = rss_mib(server.pid)
            allocator = allocator_of(server.pid)
            cpu_before = cpu_seconds(server.pid)
            recognition_before = recognition_cpu(url)
            latencies, rss_after = [], []
            for _ in range(runs):
                latencies.append(
                    asyncio.run(one_consultation(url, settings, doctor_wav, patient_wav))
                )
                rss_after.append(rss_mib(server.pid))
            server_cpu = cpu_seconds(server.pid) - cpu_before
            recognition = recognition_cpu(url) - recognition_before
        finally:
            server.terminate()
            server.wait(30)
        sides = [doctor_wav, patient_wav] * runs
        vosk_cpu = plain_vosk_cpu_on("glibc", sides)
        vosk_warm_cpu = plain_vosk_cpu_on("glibc", sides, warm=True)
        jemalloc_warm_cpu = (
            plain_vosk_cpu_on("jemalloc", sides, warm=True) if allocator_env("jemalloc") else None
        )
        # Fed as spoken, on the server's allocator: up to LIVE_CONSULTATIONS of the run's.
        live_runs = min(runs, LIVE_CONSULTATIONS)
        live_cpu = plain_vosk_cpu_on(allocator, [doctor_wav, patient_wav], live=live_runs)
    total_audio = audio_s * runs
    live_per_audio_s = live_cpu / (audio_s * live_runs)
    half = max(1, runs // 2)
    return {
        "consultations": runs,
        "audio_per_consultation_s": round(audio_s, 1),
        "audio_seconds": round(total_audio, 1),
        "server_cpu_per_audio_s": round(server_cpu / total_audio, 3),
        # Of which the recognition threads (Vosk fed live and the voice gate), and the rest:
        # receiving the audio (aiortc), the event loop, the database, the protocol.
        "server_recognition_cpu_per_audio_s": round(recognition / total_audio, 3),
        "server_other_cpu_per_audio_s": round((server_cpu - recognition) / total_audio, 3),
        "plain_vosk_cpu_per_audio_s": round(vosk_cpu / total_audio, 3),
        "ratio_to_plain_vosk": round(server_cpu / vosk_cpu, 2),
        "plain_vosk_warm_cpu_per_audio_s": round(vosk_warm_cpu / total_audio, 3),
        "ratio_to_plain_vosk_warm": round(server_cpu / vosk_warm_cpu, 2),
        # The server runs Vosk on jemalloc (web/allocator.py); plain Vosk on glibc's malloc
        # above, as it runs by default, and here on jemalloc too.
        "server_allocator": allocator,
        **(
            {
                "plain_vosk_jemalloc_warm_cpu_per_audio_s": round(
                    jemalloc_warm_cpu / total_audio, 3
                ),
                "ratio_to_plain_vosk_jemalloc_warm": round(server_cpu / jemalloc_warm_cpu, 2),
                "recognition_ratio_to_plain_vosk_jemalloc_warm": round(
                    recognition / jemalloc_warm_cpu, 2
                ),
            }
            if jemalloc_warm_cpu
            else {}
        ),
        # Plain Vosk fed as the audio is spoken, on the server's allocator: what any live
        # transcription pays. The server's recognition threads do that and the voice gate.
        "plain_vosk_live_cpu_per_audio_s": round(live_per_audio_s, 3),
        "ratio_to_plain_vosk_live": round(server_cpu / total_audio / live_per_audio_s, 2),
        "recognition_ratio_to_plain_vosk_live": round(
            recognition / total_audio / live_per_audio_s, 2
        ),
        "hangup_to_protocol_s_median": round(statistics.median(latencies), 3),
        "hangup_to_protocol_s_p95": round(sorted(latencies)[int(0.95 * (runs - 1))], 3),
        "rss_idle_mib": round(rss_idle, 1),
        "rss_after_first_mib": round(rss_after[0], 1),
        "rss_after_last_mib": round(rss_after[-1], 1),
        # After every tenth of the runs: whether the size settles, not only where it ends.
        "rss_curve_mib": [
            round(rss_after[i], 1) for i in range(max(1, runs // 10) - 1, runs, max(1, runs // 10))
        ],
        # Growth per consultation over the second half, after allocator warm-up.
        "rss_growth_per_consultation_mib": round(
            (rss_after[-1] - rss_after[-half]) / max(1, half - 1), 2
        )
        if runs > 2
        else None,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="phrases per side: longer consultations spread each side's "
        "fixed costs (a peer connection, a recogniser) over more audio",
    )
    parser.add_argument("--quick", action="store_true", help="one consultation, for CI")
    parser.add_argument("--plain", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--live", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plain and args.live:
        doctor, patient = json.loads(args.plain)
        print(plain_vosk_live_cpu(Path(doctor), Path(patient), args.live))
        return
    if args.plain:
        print(plain_vosk_cpu([Path(p) for p in json.loads(args.plain)], warm=args.warm))
        return
    print(
        json.dumps(run(1 if args.quick else args.runs, 1 if args.quick else args.repeats), indent=2)
    )


if __name__ == "__main__":
    main()
