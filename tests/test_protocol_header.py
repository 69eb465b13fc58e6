"""Who, whom and when in a signed protocol are the record's, whatever the client sends."""

from __future__ import annotations

import aiohttp

from protocol_writer.fhir import validate_bundle
from tests.conftest import Platform
from tests.test_record_push import ended_consultation

FORGED = {
    "consultation_id": "someone-else",
    "patient_name": "Подставной Пациент",
    "doctor_name": "Главврач",
    "started_at": "2001-01-01T00:00:00+00:00",
    "ended_at": "2001-01-01T01:00:00+00:00",
    "reason": "consilium",
    "language": "en",
    "transcript": [
        {
            "index": 0,
            "speaker": "patient",
            "start": 0.0,
            "end": 1.0,
            "text": "этого никто не говорил",
            "kind": "speech",
        }
    ],
}


async def test_a_signed_header_comes_from_the_record(platform: Platform) -> None:
    consultation_id, _, key = await ended_consultation(platform, "ru07_words_numbers.txt")
    url = f"{platform.url}api/consultations/{consultation_id}/protocol"
    as_doctor = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=as_doctor) as response:
            draft = await response.json()
        header = {k: draft["data"][k] for k in FORGED}
        assert header["patient_name"] and header["doctor_name"] and header["started_at"]
        for data in ({**draft["data"], **FORGED}, {}):
            version = (await platform.records.latest_protocol(consultation_id)).version  # type: ignore[union-attr]
            async with http.put(
                url, headers=as_doctor, json={"based_on_version": version, "data": data}
            ) as response:
                assert response.status == 201, await response.text()
                signed = await response.json()
            assert {k: signed["data"][k] for k in FORGED} == header
            assert "Подставной" not in signed["html"] and "Главврач" not in signed["html"]
            # The clinic's time (TELEMED_TIMEZONE, Moscow by default), not UTC.
            assert " MSK" in signed["html"] and " UTC" not in signed["html"]
    consultation = await platform.records.consultation(consultation_id)
    assert consultation is not None
    documents = await platform.records.record_documents(consultation.patient_id)
    for document in documents:
        validate_bundle(document.bundle)
        assert "Подставной" not in str(document.bundle) and "2001-01-01" not in str(document.bundle)
