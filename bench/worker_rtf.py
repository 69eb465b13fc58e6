"""CPU cost of the embedded platform per second of consultation audio, and its memory.

Starts `telemed serve` in a fresh data directory, reads its resident memory once the model
is loaded, then runs `telemed simulate` N times (two sides of espeak-ng speech each) and
reads the server's CPU time and memory again. Plain Vosk over the same audio in this
process gives the natural limit to compare with.

    python -m bench.worker_rtf [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from pathlib import Path

import vosk

from transcription.models import bundled_model_dir
from web.cli import DEMO_PHRASES

TELEMED = [sys.executable, "-m", "web.cli"]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def speak16k(text: str, path: Path) -> float:
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-c", "1", "-b", "16", str(path), "rate", "16000"],
                   check=True)
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def plain_vosk_cpu(paths: list[Path]) -> float:
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    start = time.process_time()
    for path in paths:
        recognizer = vosk.KaldiRecognizer(model, 16000)
        with wave.open(str(path)) as w:
            while data := w.readframes(4000):
                recognizer.AcceptWaveform(data)
        recognizer.FinalResult()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        doctor, patient = tmpdir / "doctor.wav", tmpdir / "patient.wav"
        audio_s = speak16k(DEMO_PHRASES["doctor"], doctor) + speak16k(DEMO_PHRASES["patient"],
                                                                       patient)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "TELEMED_DATA_DIR": str(tmpdir / "data"),
               "TELEMED_PORT": str(port)}
        server = subprocess.Popen([*TELEMED, "serve"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").close()
                    break
                except OSError:
                    time.sleep(0.1)
            idle_rss = rss_mib(server.pid)
            cpu0 = cpu_seconds(server.pid)
            for _ in range(args.runs):
                subprocess.run([*TELEMED, "simulate", "--url", f"http://127.0.0.1:{port}",
                                "--doctor-audio", str(doctor), "--patient-audio", str(patient)],
                               env=env, check=True, stdout=subprocess.DEVNULL)
            server_cpu = cpu_seconds(server.pid) - cpu0
            after_rss = rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(30)
        vosk_cpu = plain_vosk_cpu([doctor, patient] * args.runs)
    total_audio = audio_s * args.runs
    print(json.dumps({
        "runs": args.runs,
        "audio_seconds": round(total_audio, 1),
        "server_cpu_per_audio_second": round(server_cpu / total_audio, 3),
        "plain_vosk_cpu_per_audio_second": round(vosk_cpu / total_audio, 3),
        "ratio_to_plain_vosk": round(server_cpu / vosk_cpu, 2),
        "rss_idle_with_model_mib": round(idle_rss, 1),
        "rss_after_runs_mib": round(after_rss, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
