"""Finalised transcript segments, each stored the moment it is recognised."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select

from clinic.domain import Segment, Speaker, Word
from clinic.store.base import Store
from clinic.tables import TranscriptSegmentRow
from clinic.time import now


class TranscriptStore(Store):
    async def add_segment(self, segment: Segment) -> None:
        async with self._session() as s, s.begin():
            s.add(
                TranscriptSegmentRow(
                    consultation_id=segment.consultation_id,
                    speaker=segment.speaker.value,
                    kind=segment.kind,
                    start_s=segment.start,
                    end_s=segment.end,
                    text=segment.text,
                    confidence=segment.confidence,
                    words=[asdict(w) for w in segment.words],
                    created_at=now(),
                )
            )

    async def segments(self, consultation_id: str) -> list[Segment]:
        async with self._session() as s:
            rows = await s.scalars(
                select(TranscriptSegmentRow)
                .where(TranscriptSegmentRow.consultation_id == consultation_id)
                .order_by(TranscriptSegmentRow.start_s, TranscriptSegmentRow.id)
            )
            return [
                Segment(
                    consultation_id=r.consultation_id,
                    speaker=Speaker(r.speaker),
                    start=r.start_s,
                    end=r.end_s,
                    text=r.text,
                    confidence=r.confidence,
                    words=tuple(Word(**w) for w in r.words),  # type: ignore[arg-type]
                    kind=r.kind,
                )
                for r in rows
            ]
