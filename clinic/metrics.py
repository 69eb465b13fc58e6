"""Prometheus metrics of one process, in a registry of its own (several apps can share a
process in tests without clashing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


class PoolFigures(Protocol):
    """What a pool of warm recognisers reports (transcription.pool.PoolStats)."""

    @property
    def bound(self) -> int: ...
    @property
    def idle(self) -> int: ...
    @property
    def hits(self) -> int: ...
    @property
    def misses(self) -> int: ...
    @property
    def discarded(self) -> int: ...


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.consultations_active = Gauge(
            "telemed_consultations_active", "Consultations in progress", registry=r
        )
        self.queue_length = Gauge(
            "telemed_queue_length", "Patients waiting", ["reason"], registry=r
        )
        self.queue_oldest_wait = Gauge(
            "telemed_queue_oldest_wait_seconds", "Wait of the longest-waiting patient", registry=r
        )
        self.worker_sides = Gauge(
            "telemed_worker_sides", "Consultation sides the media worker receives", registry=r
        )
        self.worker_consultations = Gauge(
            "telemed_worker_consultations", "Consultations a media worker process holds", registry=r
        )
        self.outbox_backlog = Gauge(
            "telemed_outbox_backlog", "Record pushes not yet delivered", ["target"], registry=r
        )
        self.transcription_lag = Histogram(
            "telemed_transcription_lag_seconds",
            "From audio reaching the worker to its recognition",
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
        )
        # Whether browsers send the packet length the worker asks for (media/sdp.py).
        self.media_frame_seconds = Histogram(
            "telemed_media_frame_seconds",
            "Mean audio frame (RTP packet) length of a consultation side, when it ends",
            registry=r,
            buckets=(0.01, 0.02, 0.04, 0.06, 0.12),
        )
        # Their ratio is what recognising one second of a side costs (capacity planning);
        # set against the process's whole CPU time, what receiving audio and the rest cost.
        self.audio_received = Counter(
            "telemed_audio_received_seconds",
            "Audio the media worker received, of consultation sides that ended",
            registry=r,
        )
        self.recognition_cpu = Counter(
            "telemed_recognition_cpu_seconds",
            "CPU time the recognition threads spent on sides (Vosk and the voice gate)",
            registry=r,
        )
        self.checkin_reviews_overdue = Gauge(
            "telemed_checkin_reviews_overdue",
            "High-risk chemotherapy check-ins past their review deadline",
            registry=r,
        )
        # Decision support: of the signed protocols that carried the suggester's codes, how
        # many signed one of them (protocol_writer.diagnosis.suggestion_taken).
        self.suggestions_signed = Counter(
            "telemed_diagnosis_suggestions_signed",
            "Signed protocols with learned diagnosis suggestions, by whether one was taken",
            ["taken"],
            registry=r,
        )
        self.suggestions_taken_share = Gauge(
            "telemed_diagnosis_suggestions_taken_share",
            "Share of those signed protocols whose diagnosis was a suggestion",
            registry=r,
        )
        self.draining = Gauge(
            "telemed_draining", "1 while the process takes no new consultations", registry=r
        )

    def watch_recognizer_pools(self, figures: Callable[[], Mapping[str, PoolFigures]]) -> None:
        """Exposes the pools' figures as they are when scraped (the pools count; the
        metrics only read)."""
        self.registry.register(_RecognizerPools(figures))

    def observe_side_end(self, frames: int, audio_seconds: float) -> None:
        self.media_frame_seconds.observe(audio_seconds / frames)
        self.audio_received.inc(audio_seconds)

    def observe_suggestion(self, taken: bool) -> None:
        self.suggestions_signed.labels("yes" if taken else "no").inc()
        yes = self.suggestions_signed.labels("yes")._value.get()
        no = self.suggestions_signed.labels("no")._value.get()
        self.suggestions_taken_share.set(yes / (yes + no))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _RecognizerPools(Collector):
    def __init__(self, figures: Callable[[], Mapping[str, PoolFigures]]) -> None:
        self._figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        bound = GaugeMetricFamily(
            "telemed_recognizer_pool_bound",
            "Warm recognisers a model's pool keeps at most",
            labels=["model"],
        )
        idle = GaugeMetricFamily(
            "telemed_recognizer_pool_idle", "Warm recognisers waiting for a side", labels=["model"]
        )
        hits = CounterMetricFamily(
            "telemed_recognizer_pool_hits", "Sides that got a warm recogniser", labels=["model"]
        )
        misses = CounterMetricFamily(
            "telemed_recognizer_pool_misses",
            "Sides that got a new recogniser (pool empty)",
            labels=["model"],
        )
        discarded = CounterMetricFamily(
            "telemed_recognizer_pool_discarded",
            "Recognisers freed after their side (pool full)",
            labels=["model"],
        )
        for model, f in self._figures().items():
            bound.add_metric([model], f.bound)
            idle.add_metric([model], f.idle)
            hits.add_metric([model], f.hits)
            misses.add_metric([model], f.misses)
            discarded.add_metric([model], f.discarded)
        yield from (bound, idle, hits, misses, discarded)
