"""Where transcription results go: persisted first, then shown to the doctor as captions."""

from __future__ import annotations

from typing import Any, Protocol

from clinic import rooms
from clinic.domain import Role, Segment, Speaker
from clinic.records import Records
from signaling.live_draft import LiveDraft
from signaling.suggestions import LiveSuggestions


class Emitter(Protocol):
    """socket.io's server, or its Redis manager in a process that is not a server."""

    async def emit(self, event: str, data: Any, *, room: str | list[str] | None = None) -> Any: ...


class CaptionSink:
    """A TranscriptSink: segments are stored before the caption is sent, so none is lost."""

    def __init__(self, records: Records, sio: Emitter, live: LiveSuggestions | None = None) -> None:
        self._records = records
        self._sio = sio
        self._doctor_of: dict[str, str] = {}
        self._language_of: dict[str, str] = {}
        self._live = live if live is not None else LiveSuggestions()
        self._draft = LiveDraft(records)

    async def _doctor_room(self, consultation_id: str) -> str | None:
        doctor_id = self._doctor_of.get(consultation_id)
        if doctor_id is None:
            consultation = await self._records.consultation(consultation_id)
            if consultation is None or consultation.doctor_id is None:
                return None
            doctor_id = self._doctor_of[consultation_id] = consultation.doctor_id
            self._language_of[consultation_id] = consultation.language
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
            # The suggester was fitted on Russian complaints: only the patient's count.
            if (
                segment.speaker is Speaker.PATIENT
                and self._language_of.get(segment.consultation_id) == "ru"
            ):
                await self._sio.emit(
                    "suggestions",
                    await self._live.heard(segment.consultation_id, segment.text),
                    room=room,
                )
            draft = await self._draft.after(segment.consultation_id)
            if draft is not None:
                await self._sio.emit("draft.live", draft, room=room)

    def forget(self, consultation_id: str) -> None:
        self._doctor_of.pop(consultation_id, None)
        self._language_of.pop(consultation_id, None)
        self._live.forget(consultation_id)
