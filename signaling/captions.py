"""Where transcription results go: persisted first, then shown to the doctor as captions."""

from __future__ import annotations

from typing import Any, Protocol

from clinic import rooms
from clinic.domain import Role, Segment, Speaker
from clinic.records import Records
from signaling.live_draft import LiveDraft


class Emitter(Protocol):
    """socket.io's server, or its Redis manager in a process that is not a server."""

    async def emit(self, event: str, data: Any, *, room: str | list[str] | None = None) -> Any: ...


class CaptionSink:
    """A TranscriptSink: segments are stored before the caption is sent, so none is lost."""

    def __init__(self, records: Records, sio: Emitter) -> None:
        self._records = records
        self._sio = sio
        self._doctor_of: dict[str, str] = {}
        self._draft = LiveDraft(records)

    async def _doctor_room(self, consultation_id: str) -> str | None:
        doctor_id = self._doctor_of.get(consultation_id)
        if doctor_id is None:
            consultation = await self._records.consultation(consultation_id)
            if consultation is None or consultation.doctor_id is None:
                return None
            doctor_id = self._doctor_of[consultation_id] = consultation.doctor_id
        return rooms.person(Role.DOCTOR, doctor_id)

    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None:
        room = await self._doctor_room(consultation_id)
        if room:
            await self._sio.emit(
                "caption",
                {
                    "consultation_id": consultation_id,
                    "speaker": speaker.value,
                    "text": text,
                    "final": False,
                },
                room=room,
            )

    async def segment(self, segment: Segment) -> None:
        await self._records.add_segment(segment)
        room = await self._doctor_room(segment.consultation_id)
        if room:
            await self._sio.emit(
                "caption",
                {
                    "consultation_id": segment.consultation_id,
                    "speaker": segment.speaker.value,
                    "text": segment.text,
                    "final": True,
                    "start": segment.start,
                    "end": segment.end,
                    "confidence": segment.confidence,
                },
                room=room,
            )
            live = await self._draft.after(segment.consultation_id)
            if live is not None:
                if live.suggestions is not None:
                    await self._sio.emit("suggestions", live.suggestions, room=room)
                await self._sio.emit("draft.live", live.draft, room=room)

    def forget(self, consultation_id: str) -> None:
        self._doctor_of.pop(consultation_id, None)
