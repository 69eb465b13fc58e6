"""Where the media path's CPU goes, by audio packet length: aiortc's receive alone against
the platform's side (recording and transcription), with plain Vosk as the limit.

One aiortc sender in a process of its own plays speech as Opus at 48 kHz in packets of
20 ms (aiortc's own) or 60 ms (what the worker asks browsers for, media/sdp.py). This process
receives it either with a bare RTCPeerConnection that only drains the decoded frames
(aiortc's floor: ICE, SRTP, jitter buffer, Opus decoding, the decoder thread) or with the
platform's MediaWorker (the same, then resampling to 16 kHz, the WAV recording, Vosk, the
partial captions). The CPU of this process per second of audio is compared with plain Vosk
`KaldiRecognizer` over the same PCM, measured afterwards in this process, both at once
(the issue's limit) and fed as a live stream (what streaming costs Vosk itself). No signaling and
no database: `bench.consultations` measures the whole consultation.

    python -m bench.packets [--ptimes 20,60] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import tempfile
import time
import wave
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import vosk
from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from bench.consultations import plain_vosk_cpu, speech, wav_seconds
from clinic.domain import Segment, Speaker
from harness.client import local_peer, send_packets_of
from media.pcm import BYTES_PER_SECOND
from media.worker import MediaWorker
from transcription.engine import bundled_model_dir
from transcription.pool import RecognizerPool
from transcription.recognizer import CHUNK_BYTES
from web.cli import DEMO_PHRASES

AFTER_S = 1.5  # the sender keeps its connection this long after the file ended


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send(wav: str, ptime: int, conn: Connection) -> None:
    """The sender process: offers one audio track, applies the answer, plays the file."""

    async def main() -> None:
        pc = local_peer()
        player = MediaPlayer(wav)
        assert player.audio is not None
        sender = pc.addTrack(player.audio)
        await pc.setLocalDescription(await pc.createOffer())
        conn.send(pc.localDescription.sdp)
        answer = await asyncio.to_thread(conn.recv)
        send_packets_of(sender, ptime)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        while player.audio.readyState != "ended":
            await asyncio.sleep(0.1)
        await asyncio.sleep(AFTER_S)
        await pc.close()
        conn.send("done")

    asyncio.run(main())


class _NoSink:
    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None:
        return None

    async def segment(self, segment: Segment) -> None:
        return None


class _OneModel:
    # Vosk hears all of the audio, as plain Vosk fed live does: the comparison this bench
    # makes is of everything but Vosk, so the gate's savings would only blur it.
    voice_gate = False

    def __init__(self, model: vosk.Model) -> None:
        self._model = model

    def for_language(self, language: str) -> vosk.Model:
        return self._model

    def recognizers(self, language: str) -> RecognizerPool:
        # No warm recognisers: the worker's side gets a new one, as plain Vosk here does.
        return RecognizerPool(self._model, 0)


async def _drain(track: MediaStreamTrack) -> None:
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        pass


async def receive(conn: Connection, receiver: str, model: vosk.Model, recordings: Path) -> float:
    """CPU seconds this process spent receiving (from the offer to the sender's end)."""
    offer = await asyncio.to_thread(conn.recv)
    started = process_cpu()
    if receiver == "aiortc":
        pc = local_peer()
        pc.on("track", lambda track: asyncio.ensure_future(_drain(track)))
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        conn.send(pc.localDescription.sdp)
        await asyncio.to_thread(conn.recv)
        await pc.close()
    else:
        worker = MediaWorker(_OneModel(model), _NoSink(), recordings)  # type: ignore[arg-type]
        answer = await worker.answer("bench", Speaker.DOCTOR, "ru", time.time(), offer)
        conn.send(answer.sdp)
        await asyncio.to_thread(conn.recv)
        await worker.end("bench")
    return process_cpu() - started


async def paced_vosk_cpu(model: vosk.Model, path: Path) -> float:
    """Plain Vosk fed as a live stream: a 0.25 s chunk each 0.25 s, in a thread. Between
    chunks its working set leaves the CPU caches, which batch decoding never pays."""
    started = process_cpu()
    recognizer = vosk.KaldiRecognizer(model, 16000)
    recognizer.SetWords(True)
    with wave.open(str(path)) as w:
        while data := w.readframes(CHUNK_BYTES // 2):
            await asyncio.to_thread(recognizer.AcceptWaveform, data)
            await asyncio.sleep(CHUNK_BYTES / BYTES_PER_SECOND)
    recognizer.FinalResult()
    del recognizer
    return process_cpu() - started


def one(wav: Path, ptime: int, receiver: str, model: vosk.Model, tmp: Path) -> float:
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    sender = multiprocessing.get_context("spawn").Process(
        target=send, args=(str(wav), ptime, theirs)
    )
    sender.start()
    try:
        return asyncio.run(receive(ours, receiver, model, tmp / f"{receiver}-{ptime}"))
    finally:
        sender.join(60)


def run(ptimes: list[int], repeats: int) -> dict[str, Any]:
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(bundled_model_dir()))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        wav = tmpdir / "speech.wav"
        audio_s = speech(DEMO_PHRASES["patient"], wav, repeats)
        for ptime in ptimes:
            bare = one(wav, ptime, "aiortc", model, tmpdir)
            ours = one(wav, ptime, "platform", model, tmpdir)
            (recording,) = (tmpdir / f"platform-{ptime}" / "bench").glob("*.wav")
            received_s = wav_seconds(recording)
            plain = plain_vosk_cpu([recording], model)
            paced = asyncio.run(paced_vosk_cpu(model, recording))
            rows.append(
                {
                    "ptime_ms": ptime,
                    "audio_received_s": round(received_s, 2),
                    "aiortc_receive_cpu_per_audio_s": round(bare / audio_s, 4),
                    "platform_cpu_per_audio_s": round(ours / received_s, 4),
                    "plain_vosk_cpu_per_audio_s": round(plain / received_s, 4),
                    "paced_vosk_cpu_per_audio_s": round(paced / received_s, 4),
                    "ratio_to_plain_vosk": round(ours / plain, 3),
                    "ratio_to_paced_vosk": round(ours / paced, 3),
                    # What is neither aiortc's receive nor Vosk streaming: resampling, the WAV,
                    # the chunking and thread hand-offs, the partial captions.
                    "rest_cpu_per_audio_s": round(
                        ours / received_s - bare / audio_s - paced / received_s, 4
                    ),
                }
            )
    return {"audio_sent_s": round(audio_s, 2), "rows": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ptimes", default="20,60")
    parser.add_argument("--repeats", type=int, default=3, help="phrases of speech")
    parser.add_argument("--quick", action="store_true", help="one short run at 60 ms, for CI")
    args = parser.parse_args(argv)
    ptimes = [60] if args.quick else [int(p) for p in args.ptimes.split(",")]
    print(json.dumps(run(ptimes, 1 if args.quick else args.repeats), indent=2))


if __name__ == "__main__":
    main()
