"""The benchmark scripts keep working (their figures are read by people, not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def quick(name: str) -> dict[str, Any]:
    """`python -m bench.<name> --quick`: it must succeed and print its figures as JSON."""
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, Any] = json.loads(result.stdout)
    return figures


def test_consultation_bench_runs_quick() -> None:
    figures = quick("consultations")
    assert figures["consultations"] == 1 and figures["audio_seconds"] > 0
    assert {"ratio_to_plain_vosk", "hangup_to_protocol_s_median", "rss_idle_mib"} <= set(figures)


def test_worker_capacity_bench_runs_quick() -> None:
    figures = quick("worker_capacity")
    (step,) = figures["steps"]
    assert step["consultations"] == 1 and step["audio_received"] > 0
    assert {"server_core_share", "lag_p95_s_at_most", "server_cpu_per_audio_s"} <= set(step)
    assert step["rss_peak_mib"] > figures["rss_idle_mib"] > 0
    assert figures["plain_vosk_rss_per_consultation_mib"] > 0


def test_signaling_bench_runs_quick() -> None:
    figures = quick("signaling")
    (step,) = figures["steps"]
    assert step["clients"] == 20
    assert {"relay_ms_median", "bare_relay_ms_median", "server_kib_per_client"} <= set(step)


def test_vosk_chunk_bench_runs_quick() -> None:
    figures = quick("vosk_chunks")
    assert figures["chunks"] > 0 and figures["chunk_s"] == 0.25
    assert {"median_ms", "p95_ms", "max_ms"} <= set(figures["accept_waveform"])


def test_packet_bench_runs_quick() -> None:
    figures = quick("packets")
    (row,) = figures["rows"]
    assert row["ptime_ms"] == 60 and row["audio_received_s"] > 0
    assert {
        "aiortc_receive_cpu_per_audio_s",
        "paced_vosk_cpu_per_audio_s",
        "ratio_to_plain_vosk",
        "rest_cpu_per_audio_s",
    } <= set(row)


def test_protocol_bench_runs_quick() -> None:
    figures = quick("protocol")
    assert figures["consultations"] == 5 and figures["ms_p95"] > 0


def test_turns_bench_runs_quick() -> None:
    figures = quick("turns")
    (step,) = figures["steps"]
    assert step["consultations"] == 1 and step["audio_received"] > 0
    assert {
        "lag_p95_s_at_most",
        "server_cpu_per_audio_s",
        "ratio_to_plain_vosk_warm",
        "ratio_to_plain_vosk_new",
        "pool_hits",
        "pool_misses",
    } <= set(step)
    assert figures["plain_vosk_warm_cpu_per_audio_s"] > 0


def test_gate_bench_runs_quick() -> None:
    figures = quick("gate")
    assert figures["sides"] == 2 and 0 < figures["audio_fed_to_vosk"] <= 1
    assert {
        "gated_cpu_per_audio_s",
        "plain_vosk_warm_cpu_per_audio_s",
        "cpu_saved",
        "words_differing",
    } <= set(figures)
