"""`telemed simulate`: a scripted patient and doctor hold a consultation through a server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from harness.client import Party


async def simulate(
    url: str, doctor_key: str, patient_session: str, doctor_audio: Path, patient_audio: Path
) -> dict[str, Any]:
    """Runs one consultation and returns the stored draft protocol as the server gives it."""
    import aiohttp

    patient = Party(url, {"session": patient_session})
    doctor = Party(url, {"role": "doctor", "key": doctor_key})
    try:
        await patient.connect()
        joined = await patient.call("queue.join", {"mode": "audio"})
        if not joined.get("ok"):
            raise RuntimeError(f"could not join the queue: {joined}")
        consultation_id = joined["consultation_id"]
        await doctor.connect()
        taken = await doctor.call("consultation.take", {"consultation_id": consultation_id})
        if not taken.get("ok"):
            raise RuntimeError(f"the doctor could not take the patient: {taken}")
        await doctor.send_audio(consultation_id, doctor_audio)
        await patient.send_audio(consultation_id, patient_audio)
        await asyncio.gather(doctor.played_out(timeout=600), patient.played_out(timeout=600))
        await asyncio.sleep(1.0)  # let the last packets land
        await doctor.call("hangup", {"consultation_id": consultation_id})
        await doctor.next("protocol.ready", timeout=60)
    finally:
        await patient.close()
        await doctor.close()
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{url.rstrip('/')}/api/consultations/{consultation_id}/protocol",
            headers={"Authorization": f"Bearer {doctor_key}"},
        ) as response,
    ):
        response.raise_for_status()
        return dict(await response.json())
