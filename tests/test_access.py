"""Who may read what over HTTP, what every response carries, and "who looked at my card"."""

from __future__ import annotations

import aiohttp

from clinic.domain import CallMode, ConsultationStatus, Reason
from protocol_writer.service import ProtocolService
from tests.conftest import Platform


async def test_patient_sees_who_looked_at_their_record(platform: Platform) -> None:
    records = platform.records
    patient_id, token = await platform.patient()
    doctor_id, key = await platform.doctor("Ирина Петровна")
    _, other_token = await platform.patient("Пётр Сидоров")
    consultation = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, consultation.id)
    await records.finish(consultation.id, ConsultationStatus.ENDED)
    await ProtocolService(records).draft(consultation.id)
    base = platform.url
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{base}api/consultations/{consultation.id}/protocol",
            headers={"Authorization": f"Bearer {key}"},
        ) as response:
            assert response.status == 200
            assert response.headers["Cache-Control"] == "no-store"
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        async with http.get(
            f"{base}api/patients/{patient_id}/audit", headers={"Authorization": f"Bearer {token}"}
        ) as response:
            assert response.status == 200
            entries = (await response.json())["entries"]
        assert {
            "actor_role": "doctor",
            "actor_name": "Ирина Петровна",
            "action": "protocol.read",
            "outcome": "ok",
        } in [{k: e[k] for k in ("actor_role", "actor_name", "action", "outcome")} for e in entries]
        # Nobody else reads that list: another patient and the doctor both get 404.
        for secret in (other_token, key):
            async with http.get(
                f"{base}api/patients/{patient_id}/audit",
                headers={"Authorization": f"Bearer {secret}"},
            ) as response:
                assert response.status == 404
                assert (await response.json())["error"] == "not_found"
        # A doctor who never treated the patient cannot list their protocols.
        _, stranger_key = await platform.doctor("Чужой Врач")
        async with http.get(
            f"{base}api/patients/{patient_id}/protocols",
            headers={"Authorization": f"Bearer {stranger_key}"},
        ) as response:
            assert response.status == 404
        async with http.get(
            f"{base}api/patients/{patient_id}/protocols", headers={"Authorization": f"Bearer {key}"}
        ) as response:
            assert response.status == 200
        async with http.delete(f"{base}api/patients/{patient_id}/protocols") as response:
            assert response.status == 405
            assert (await response.json())["error"] == "method_not_allowed"
        async with http.get(f"{base}join/x") as response:
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    refused = [a for a in await records.audit_entries() if a.outcome == "refused"]
    assert {(a.action, a.actor_id) for a in refused} >= {("audit.read", doctor_id)}
