"""The pool of warm recognisers: a side never hears the one before it, the pool keeps no
more than its bound, and a side's recogniser is ready when its offer is answered."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import vosk
from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

from clinic.domain import Segment, Speaker
from harness.client import local_peer
from media.decode import pcm_chunks
from media.worker import MediaWorker
from tests.speech import PHRASES, speak
from transcription.files import transcribe_pcm
from transcription.models import ModelPool
from transcription.pool import RecognizerPool, warmup_pcm
from transcription.stream import SideTranscriber


class Store:
    def __init__(self) -> None:
        self.segments: list[Segment] = []

    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None:
        pass

    async def segment(self, segment: Segment) -> None:
        self.segments.append(segment)


async def transcribe_side(
    pool: RecognizerPool, audio: Path, store: Store, cut_s: float | None = None
) -> None:
    """One side through the worker's transcriber; `cut_s` ends it there, mid-speech."""
    transcriber = SideTranscriber(pool, "c1", Speaker.PATIENT, 0.0, store)
    await transcriber.ready()
    fed = 0
    for chunk in pcm_chunks(audio):
        if cut_s is not None and fed + len(chunk) > cut_s * 32000:
            transcriber.feed(chunk[: int(cut_s * 32000) - fed])
            break
        transcriber.feed(chunk)
        fed += len(chunk)
    await transcriber.close()


def words(segments: list[Segment]) -> list[str]:
    return [w.word for s in segments for w in s.words]


async def test_a_side_never_hears_the_side_before(model_pool: ModelPool, tmp_path: Path) -> None:
    model = model_pool.for_language("ru")
    pool = RecognizerPool(model, 1)
    first_audio = speak(
        PHRASES["patient"] + " " + PHRASES["patient_more"], tmp_path / "1.wav", rate_hz=16000
    )
    second_audio = speak(PHRASES["doctor"], tmp_path / "2.wav", rate_hz=16000)

    # The first side hangs up mid-sentence: its phrase in progress is the one that could
    # leak into the next side if the recogniser kept it.
    first, second = Store(), Store()
    await transcribe_side(pool, first_audio, first, cut_s=4.0)
    assert pool.stats().idle == 1
    await transcribe_side(pool, second_audio, second)
    stats = pool.stats()
    assert (stats.hits, stats.misses, stats.idle) == (1, 1, 1), "the second side was not pooled"

    alone = [w.word for p in transcribe_pcm(model, pcm_chunks(second_audio)) for w in p.words]
    distinctive = set(words(first.segments)) - set(alone)
    assert len(distinctive) >= 3, "the first side's words are not distinctive enough to test"
    assert not distinctive & set(words(second.segments))
    # Times count from the start of the second side, not from the recogniser's first audio.
    # (The first side heard 4 s; Vosk's own clock would put the second side's words after.)
    # Which word comes first varies with Vosk's dither, so within the speech's first second.
    assert second.segments and 0 <= second.segments[0].start < 1.0


async def test_the_pool_keeps_no_more_than_its_bound(model_pool: ModelPool, tmp_path: Path) -> None:
    warmed = RecognizerPool(model_pool.for_language("ru"), 2)
    assert warmed.warm(warmup_pcm()) == 2 and warmed.stats().idle == 2
    assert warmed.warm(warmup_pcm()) == 0  # full: warming again adds nothing
    pool = RecognizerPool(model_pool.for_language("ru"), 1)
    assert pool.warm(warmup_pcm()) == 1
    audio = speak(PHRASES["patient"], tmp_path / "a.wav", rate_hz=16000)
    stores = [Store(), Store()]
    # Two sides at once with a bound of one: the second gets a new recogniser...
    await asyncio.gather(*(transcribe_side(pool, audio, store) for store in stores))
    stats = pool.stats()
    # ... which is freed after its side rather than kept.
    assert (stats.bound, stats.idle, stats.hits, stats.misses, stats.discarded) == (1, 1, 1, 1, 1)
    assert all(store.segments for store in stores)


async def test_the_recognizer_is_ready_when_the_offer_is_answered(
    model_pool: ModelPool, tmp_path: Path
) -> None:
    pool = model_pool.recognizers("ru")
    before = pool.stats()
    audio = speak(PHRASES["doctor"], tmp_path / "d.wav", rate_hz=48000)
    worker = MediaWorker(model_pool, Store(), tmp_path / "recordings")
    sender = local_peer()
    player = MediaPlayer(str(audio))
    try:
        assert player.audio is not None
        sender.addTrack(player.audio)
        await sender.setLocalDescription(await sender.createOffer())
        answer = await worker.answer(
            "c1", Speaker.DOCTOR, "ru", time.time(), sender.localDescription.sdp
        )
        # Taken before any audio could arrive: the answer has not reached the sender yet.
        after = pool.stats()
        assert (after.hits + after.misses) - (before.hits + before.misses) == 1
        await sender.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))
    finally:
        await worker.end("c1")
        await sender.close()
        if player.audio is not None:
            player.audio.stop()
    assert pool.stats().idle >= 1  # given back when the side ended


def test_vosk_word_times_run_on_across_sides(model_pool: ModelPool, tmp_path: Path) -> None:
    """Why a pooled recogniser's times are read against what it heard before: Vosk counts
    them from the recogniser's creation, across FinalResult()."""
    recognizer = vosk.KaldiRecognizer(model_pool.for_language("ru"), 16000)
    recognizer.SetWords(True)
    pcm = b"".join(pcm_chunks(speak(PHRASES["doctor"], tmp_path / "d.wav", rate_hz=16000)))
    recognizer.AcceptWaveform(pcm)
    recognizer.FinalResult()
    recognizer.AcceptWaveform(pcm)
    result = json.loads(recognizer.FinalResult())
    assert result["result"][0]["start"] > len(pcm) / 32000
