"""The draft protocol as it fills in during the call: the protocol writer over the
transcript so far, after each stored phrase, for the doctor's console.

The hang-up only finalises what the doctor watched grow (docs/signaling.md, `draft.live`).
The live suggestions come from the same pass: the codes the draft would offer, so the
console never shows two rankings that disagree (the suggester's own would leave out the
rules that win over it, COVID-19 on a lost sense of smell, pneumonia on low oxygen).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from typing import Any

from clinic.domain import Speaker
from clinic.records import Records
from protocol_writer.extract import extract

# What the console's editor fills in live; the rest waits for the hang-up's draft.
LIVE_FIELDS = ("complaints", "vitals", "diagnosis", "diagnosis_suggestions")


@dataclass(frozen=True)
class LiveFindings:
    draft: dict[str, Any]  # the `draft.live` payload
    suggestions: dict[str, Any] | None  # the `suggestions` payload; None until the patient spoke


class LiveDraft:
    def __init__(self, records: Records) -> None:
        self._records = records

    async def after(self, consultation_id: str) -> LiveFindings | None:
        """The `draft.live` and `suggestions` payloads over every phrase stored so far."""
        consultation = await self._records.consultation(consultation_id)
        if consultation is None:
            return None
        segments = await self._records.segments(consultation_id)
        protocol, candidates = await asyncio.to_thread(
            extract,
            segments,
            consultation_id=consultation_id,
            language=consultation.language,
            reason=consultation.reason,
        )
        suggestions = None
        if any(s.speaker is Speaker.PATIENT for s in segments):
            suggestions = {
                "consultation_id": consultation_id,
                "abstained": not candidates,
                "suggestions": [asdict(c) for c in candidates],
            }
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
        draft = {
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
        return LiveFindings(draft, suggestions)
