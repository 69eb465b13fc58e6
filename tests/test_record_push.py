"""Signing: immutable versions, FHIR validation, and exactly-once pushes through the outbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from pytest_aiohttp import AiohttpServer

from clinic.domain import CallMode, ConsultationStatus, Reason, Segment
from protocol_writer.emr import FhirRestRecord
from protocol_writer.fhir import validate_bundle
from protocol_writer.service import ProtocolService
from protocol_writer.transcripts import read_transcript
from tests.conftest import Platform, make_settings
from tests.fhir_server import FhirServer
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

CORPUS = Path(__file__).parent / "corpus"


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def ended_consultation(platform: Platform, transcript: str) -> tuple[str, str, str]:
    """A consultation with a spoken transcript and a draft, without the audio path."""
    patient_id, token = await platform.patient()
    doctor_id, key = await platform.doctor()
    records = platform.records
    consultation = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    assert await records.take(doctor_id, consultation.id) is not None
    for segment in read_transcript(CORPUS / transcript):
        await records.add_segment(
            Segment(consultation.id, segment.speaker, segment.start, segment.end, segment.text, 0.9)
        )
    assert await records.finish(consultation.id, ConsultationStatus.ENDED)
    await ProtocolService(records).draft(consultation.id)
    return consultation.id, token, key


async def test_signed_protocol_reaches_both_records_exactly_once(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    fhir = FhirServer()
    fhir_server = await aiohttp_server(fhir.app(), host="127.0.0.1")
    settings = make_settings(
        tmp_path / "data",
        TELEMED_FHIR_URL=str(fhir_server.make_url("/fhir")),
        TELEMED_OUTBOX_RETRY_S="0.2",
    )
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    platform = Platform(server, app[PLATFORM].records, settings)
    records = platform.records
    consultation_id, token, key = await ended_consultation(platform, "ru07_words_numbers.txt")
    url = f"{platform.url}api/consultations/{consultation_id}/protocol"
    as_doctor = {"Authorization": f"Bearer {key}"}

    fhir.down = True  # the city's record is down when the doctor signs
    async with aiohttp.ClientSession() as http:
        async with http.get(url, headers=as_doctor) as response:
            draft = await response.json()
        async with http.put(
            url,
            headers=as_doctor,
            json={"based_on_version": draft["version"], "data": draft["data"]},
        ) as response:
            assert response.status == 201
            signed = await response.json()

        async def retried_twice() -> bool:
            pending = await records.outbox("pending")
            return any(e.target == "fhir" and e.attempts >= 2 for e in pending)

        await until(retried_twice)
        stuck = [e for e in await records.outbox("pending") if e.target == "fhir"]
        assert "503" in (stuck[0].last_error or "")
        assert fhir.count("Composition") == 0
        # The operator sees what is stuck, and why.
        listing = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "web.cli", "outbox"],
            capture_output=True,
            text=True,
            env={**os.environ, "TELEMED_DATA_DIR": str(settings.data_dir)},
            timeout=60,
        )
        assert listing.returncode == 1
        assert "fhir" in listing.stdout and "503" in listing.stdout

        fhir.down = False

        async def all_sent() -> bool:
            return not await records.outbox("pending")

        await until(all_sent)
        assert fhir.count("Composition") == 1 and fhir.count("Encounter") == 1
        assert fhir.count("Observation") == 4  # temperature, pulse, respiratory rate, BP panel
        consultation = await records.consultation(consultation_id)
        assert consultation is not None
        documents = await records.record_documents(consultation.patient_id)
        assert [d.protocol_id for d in documents] == [signed["protocol_id"]]
        validate_bundle(documents[0].bundle)

        # A lost response makes the outbox push again: the server creates nothing new.
        await FhirRestRecord(str(fhir_server.make_url("/fhir"))).push(
            documents[0].bundle, "fhir:again"
        )
        assert fhir.count("Composition") == 1 and fhir.count("Observation") == 4
        assert fhir.count("Provenance") == 1

        # Signed is immutable: a stale edit is refused, a correction is a new version.
        async with http.put(
            url,
            headers=as_doctor,
            json={"based_on_version": draft["version"], "data": draft["data"]},
        ) as response:
            assert response.status == 409
        corrected = {**signed["data"], "sick_leave": {"action": "open", "days": 5, "segments": []}}
        async with http.put(
            url, headers=as_doctor, json={"based_on_version": signed["version"], "data": corrected}
        ) as response:
            assert response.status == 201
            correction = await response.json()
        assert correction["supersedes_id"] == signed["protocol_id"]
        await until(all_sent)
        assert fhir.count("Composition") == 2
        versions = await records.protocol_versions(consultation_id)
        assert [(v.version, v.status) for v in versions] == [
            (1, "draft"),
            (2, "signed"),
            (3, "signed"),
        ]
        assert versions[1].data == signed["data"], "a signed version changed"

        # Nobody but the consultation's doctor signs, and nonsense is refused clearly.
        async with http.put(
            url,
            headers={"Authorization": f"Bearer {token}"},
            json={"based_on_version": 3, "data": corrected},
        ) as response:
            assert response.status == 403
        _, other_key = await platform.doctor("Другой Врач")
        async with http.put(
            url,
            headers={"Authorization": f"Bearer {other_key}"},
            json={"based_on_version": 3, "data": corrected},
        ) as response:
            assert response.status == 404
        async with http.put(
            url, headers=as_doctor, json={"based_on_version": 3, "data": {"vitals": 5}}
        ) as response:
            assert response.status == 422
            assert (await response.json())["error"] == "invalid_protocol"
        async with http.put(
            url, headers={**as_doctor, "Content-Type": "application/json"}, data=b"not json"
        ) as response:
            assert response.status == 400
        async with http.put(url, headers=as_doctor, data=b"not json") as response:
            assert response.status == 415  # JSON only: any page can send other types
    assert fhir.count("Composition") == 2
