"""The benchmark scripts keep working (their figures are read by people, not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each test and the bench it runs, the longest first (as they start).
BENCH = {
    "test_consultation_bench_runs_quick": "consultations",
    "test_turns_bench_runs_quick": "turns",
    "test_worker_capacity_bench_runs_quick": "worker_capacity",
    "test_packet_bench_runs_quick": "packets",
    "test_signaling_bench_runs_quick": "signaling",
    "test_gate_bench_runs_quick": "gate",
    "test_vosk_chunk_bench_runs_quick": "vosk_chunks",
    "test_protocol_bench_runs_quick": "protocol",
}


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


@pytest.fixture(scope="module")
def quick_runs(request: pytest.FixtureRequest) -> Iterator[dict[str, Future[dict[str, Any]]]]:
    """The quick run of each selected test's bench, all started at once, as many at a time
    as there are cores: each is mostly one process on one core or waiting on audio played in
    real time, so one after another they left the other core idle."""
    selected = {item.name for item in request.session.items}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as runner:
        yield {
            bench: runner.submit(quick, bench) for test, bench in BENCH.items() if test in selected
        }
        runner.shutdown(cancel_futures=True)  # those not started when a test stops the run


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, quick_runs: dict[str, Future[dict[str, Any]]]
) -> dict[str, Any]:
    """What this test's bench printed."""
    return quick_runs[BENCH[request.node.name]].result()


def test_consultation_bench_runs_quick(figures: dict[str, Any]) -> None:
    assert figures["consultations"] == 1 and figures["audio_seconds"] > 0
    assert {"ratio_to_plain_vosk", "hangup_to_protocol_s_median", "rss_idle_mib"} <= set(figures)
    assert figures["server_allocator"] == "jemalloc"  # setup installs it; the server uses it
    assert figures["plain_vosk_jemalloc_warm_cpu_per_audio_s"] > 0
    assert 0 < figures["server_recognition_cpu_per_audio_s"] <= figures["server_cpu_per_audio_s"]
    assert figures["plain_vosk_live_cpu_per_audio_s"] > 0


def test_worker_capacity_bench_runs_quick(figures: dict[str, Any]) -> None:
    (step,) = figures["steps"]
    assert step["consultations"] == 1 and step["audio_received"] > 0
    assert {"server_core_share", "lag_p95_s_at_most", "server_cpu_per_audio_s"} <= set(step)
    assert step["rss_peak_mib"] > figures["rss_idle_mib"] > 0
    assert figures["plain_vosk_rss_per_consultation_mib"] > 0


def test_signaling_bench_runs_quick(figures: dict[str, Any]) -> None:
    (step,) = figures["steps"]
    assert step["clients"] == 20
    assert {"relay_ms_median", "bare_relay_ms_median", "server_kib_per_client"} <= set(step)


def test_vosk_chunk_bench_runs_quick(figures: dict[str, Any]) -> None:
    assert figures["chunks"] > 0 and figures["chunk_s"] == 0.25
    assert {"median_ms", "p95_ms", "max_ms"} <= set(figures["accept_waveform"])


def test_packet_bench_runs_quick(figures: dict[str, Any]) -> None:
    (row,) = figures["rows"]
    assert row["ptime_ms"] == 60 and row["audio_received_s"] > 0
    assert {
        "aiortc_receive_cpu_per_audio_s",
        "paced_vosk_cpu_per_audio_s",
        "ratio_to_plain_vosk",
        "rest_cpu_per_audio_s",
    } <= set(row)


def test_protocol_bench_runs_quick(figures: dict[str, Any]) -> None:
    assert figures["consultations"] == 5 and figures["ms_p95"] > 0
    english, russian = figures["live_draft"].values()
    # A pass after each phrase: the last one reads the whole call, so they cost more together.
    for passes in (english, russian):
        assert passes["phrases"] > 1
        assert passes["all_passes_s"] * 1000 >= passes["last_pass_ms"] > 0


def test_turns_bench_runs_quick(figures: dict[str, Any]) -> None:
    (step,) = figures["steps"]
    assert step["consultations"] == 1 and step["audio_received"] > 0
    assert {
        "lag_p95_s_at_most",
        "server_cpu_per_audio_s",
        "ratio_to_plain_vosk_warm",
        "ratio_to_plain_vosk_new",
        "ratio_to_plain_vosk_jemalloc_warm",
        "pool_hits",
        "pool_misses",
    } <= set(step)
    assert figures["plain_vosk_warm_cpu_per_audio_s"] > 0
    assert figures["plain_vosk_jemalloc_warm_cpu_per_audio_s"] > 0
    assert figures["server_allocator"] == "jemalloc"  # setup installs it; the server uses it


def test_gate_bench_runs_quick(figures: dict[str, Any]) -> None:
    assert figures["sides"] == 2 and 0 < figures["audio_fed_to_vosk"] <= 1
    assert {
        "gated_cpu_per_audio_s",
        "plain_vosk_warm_cpu_per_audio_s",
        "cpu_saved",
        "words_differing",
    } <= set(figures)
