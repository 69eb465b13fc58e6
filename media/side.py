"""Reads one side's audio track: records it and feeds its transcriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.pcm import PcmConverter
from media.recording import WavRecording
from transcription.stream import SideTranscriber

log = logging.getLogger(__name__)
STOP_GRACE_S = 1.0


class SideRecorder:
    def __init__(
        self, track: MediaStreamTrack, transcriber: SideTranscriber, recording: WavRecording
    ) -> None:
        self._track = track
        self.transcriber = transcriber
        self._recording = recording
        self._converter = PcmConverter()
        self.received_bytes = 0
        self.frames = 0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                frame = await self._track.recv()
                self.frames += 1
                self._take(self._converter.convert(frame))  # type: ignore[arg-type]
        except MediaStreamError:
            pass  # the track ended: the peer connection closed

    def _take(self, pcm: bytes) -> None:
        self._recording.write(pcm)
        self.received_bytes += len(pcm)
        self.transcriber.feed(pcm)

    async def stop(self) -> None:
        """Call after the track ended (its connection closed); flushes everything."""
        self._track.stop()
        # A closed connection ends the track's frames with a sentinel, and the reader
        # finishes with what was queued. A connection that never carried media (the
        # browser left before ICE completed) sends none: its reader would wait forever,
        # and with it the hang-up and the protocol.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_GRACE_S):
                await asyncio.shield(self._task)
        if not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._take(self._converter.flush())
        self._recording.close()
        await self.transcriber.close()
        log.info(
            "side_stopped recording=%s bytes=%d frames=%d",
            self._recording.path.name,
            self.received_bytes,
            self.frames,
        )
