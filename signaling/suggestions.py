"""Live decision support: three likely codes over what the patient has said so far.

Each final segment of the patient's adds to the consultation's text and the doctor gets a
`suggestions` event with the suggester's answer over all of it, so the list settles as the
patient describes the complaint. The model is loaded on the first patient segment, in a
thread, so the event loop never waits for it.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Any

from decision_support import shipped


class LiveSuggestions:
    # A media worker's sink is never told a consultation ended; the oldest are dropped.
    KEEP = 256

    def __init__(self) -> None:
        self._said: OrderedDict[str, list[str]] = OrderedDict()

    @staticmethod
    def _answer(consultation_id: str, text: str, language: str) -> dict[str, Any]:
        answer = shipped().suggest(text, language)
        return {
            "consultation_id": consultation_id,
            "abstained": answer.abstained,
            "confidence": round(answer.confidence, 4),
            "suggestions": [] if answer.abstained else [s.to_dict() for s in answer.suggestions],
        }

    async def heard(self, consultation_id: str, text: str, language: str = "ru") -> dict[str, Any]:
        """The payload of a `suggestions` event after the patient said `text`."""
        self._said.setdefault(consultation_id, []).append(text)
        self._said.move_to_end(consultation_id)
        while len(self._said) > self.KEEP:
            self._said.popitem(last=False)
        # The text is taken here, so a consultation forgotten meanwhile changes nothing.
        text = " ".join(self._said[consultation_id])
        return await asyncio.to_thread(self._answer, consultation_id, text, language)

    def forget(self, consultation_id: str) -> None:
        self._said.pop(consultation_id, None)
