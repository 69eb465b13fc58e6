"""The console's live suggestions are the draft's ranking, not a second one beside it: the
rules that win over the suggester (COVID-19 on a lost sense of smell, pneumonia on short
breath) lead there too, and the ranking stays once the doctor names a diagnosis."""

from __future__ import annotations

from typing import Any

from clinic.domain import CallMode, Reason, Segment, Speaker
from harness.client import Party
from signaling.captions import CaptionSink
from tests.conftest import Platform
from web.platform import PLATFORM


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [item["code"] for item in items]


async def test_live_suggestions_follow_the_drafts_ranking(platform: Platform) -> None:
    patient_id, _ = await platform.patient()
    doctor_id, key = await platform.doctor()
    consultation = await platform.records.enqueue(
        patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru"
    )
    await platform.records.take(doctor_id, consultation.id)
    doctor = Party(platform.url, {"role": "doctor", "key": key})
    await doctor.connect()
    sink = CaptionSink(platform.records, platform.server.app[PLATFORM].rooms)
    said = iter(range(100))

    async def say(speaker: Speaker, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        second = next(said)
        await sink.segment(Segment(consultation.id, speaker, second, second + 1, text, 1.0))
        return await doctor.next("suggestions"), await doctor.next("draft.live")

    try:
        # The doctor's greeting alone suggests nothing: the panel waits for the patient.
        await sink.segment(Segment(consultation.id, Speaker.DOCTOR, 0, 1, "что беспокоит", 1.0))
        await doctor.next("draft.live")
        next(said)

        for text in ("пропало обоняние и вкус температура тридцать восемь", "кашель сухой"):
            live, draft = await say(Speaker.PATIENT, text)
            assert not live["abstained"]
            assert codes(live["suggestions"]) == codes(draft["diagnosis_suggestions"])
            lead = live["suggestions"][0]
            assert lead["code"].startswith("U07"), "a lost sense of smell leads with COVID-19"
            assert lead["score"] is None  # a rule's code: no probability to show
        # The suggester's codes follow it, with the patient's words behind each.
        learned = [s for s in live["suggestions"] if s["score"] is not None]
        assert learned and all(s["evidence"] for s in learned)

        # The doctor names a diagnosis: the draft takes it; the panel keeps the ranking.
        live, draft = await say(Speaker.DOCTOR, "это орви")
        assert draft["diagnosis"] is not None
        assert codes(live["suggestions"])[0] == lead["code"]
    finally:
        await doctor.close()
