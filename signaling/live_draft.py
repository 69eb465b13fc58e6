"""The draft protocol as it fills in during the call: the protocol writer over the
transcript so far, after each stored phrase, for the doctor's console.

The hang-up only finalises what the doctor watched grow (docs/signaling.md, `draft.live`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from clinic.records import Records
from protocol_writer.extract import extract_protocol

# What the console's editor fills in live; the rest waits for the hang-up's draft.
LIVE_FIELDS = ("complaints", "vitals", "diagnosis", "diagnosis_suggestions")


class LiveDraft:
    def __init__(self, records: Records) -> None:
        self._records = records

    async def after(self, consultation_id: str) -> dict[str, Any] | None:
        """The payload of a `draft.live` event over every phrase stored so far."""
        consultation = await self._records.consultation(consultation_id)
        if consultation is None:
            return None
        segments = await self._records.segments(consultation_id)
        protocol = await asyncio.to_thread(
            extract_protocol,
            segments,
            consultation_id=consultation_id,
            language=consultation.language,
            reason=consultation.reason,
        )
        data = protocol.to_dict()
        found = {field: data[field] for field in LIVE_FIELDS}
        # Each finding names the phrases it came from: the console shows them beside it.
        cited = sorted(
            {
                i
                for item in (*found["complaints"], *found["vitals"].values(), found["diagnosis"])
                if item
                for i in item["segments"]
            }
            | {i for s in found["diagnosis_suggestions"] for i in s["segments"]}
        )
        return {
            "consultation_id": consultation_id,
            **found,
            "phrases": {
                str(i): {
                    "speaker": segments[i].speaker.value,
                    "start": segments[i].start,
                    "text": segments[i].text,
                }
                for i in cited
                if i < len(segments)
            },
        }
