"""A patient who drops mid-call comes back to the same consultation, losing nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from clinic.domain import Speaker
from harness.client import Party
from tests.conftest import Platform
from tests.test_consultation import start_call


async def test_patient_rejoins_and_no_segment_is_lost_or_doubled(
    platform: Platform, speech_dir: Path
) -> None:
    patient, doctor, consultation_id, token = await start_call(platform)
    again = Party(platform.url, {"session": token})
    try:
        await patient.send_audio(consultation_id, speech_dir / "patient.wav")
        await patient.played_out()
        await asyncio.sleep(0.5)
        await patient.close()  # the phone drops: socket and media both gone

        await again.connect()
        resumed = await again.next("consultation.resumed")
        assert resumed["consultation_id"] == consultation_id
        rejoined = await doctor.next("peer.rejoined")
        assert rejoined == {"consultation_id": consultation_id, "role": "patient"}
        await again.send_audio(consultation_id, speech_dir / "patient_more.wav")
        await again.played_out()
        await asyncio.sleep(1.0)
        assert await doctor.call("hangup", {"consultation_id": consultation_id}) == {"ok": True}
        await again.next("protocol.ready")
    finally:
        for party in (patient, again, doctor):
            await party.close()

    segments = [
        s for s in await platform.records.segments(consultation_id) if s.speaker is Speaker.PATIENT
    ]
    keys = [(s.start, s.text) for s in segments]
    assert len(keys) == len(set(keys)), "a segment was stored twice"
    finals = [
        (c["start"], c["text"])
        for c in doctor.events["caption"]
        if c["final"] and c["speaker"] == "patient"
    ]
    assert sorted(finals) == sorted(keys), "captions and stored segments differ"
    # Speech from before the drop and after the rejoin, in time order.
    assert len(segments) >= 2
    recordings = sorted((platform.settings.recordings_dir / consultation_id).glob("patient-*"))
    assert len(recordings) == 2
    first_end = max(s.end for s in segments if s.start < segments[-1].start)
    assert segments[-1].start >= first_end
