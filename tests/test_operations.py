"""Liveness, readiness, metrics, and draining before a restart."""

from __future__ import annotations

import aiohttp

from signaling.client import Party
from tests.conftest import Platform
from web.app import drain


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_metrics_readiness_and_drain(platform: Platform) -> None:
    assert await get(f"{platform.url}healthz") == (200, '{"status": "ok"}')
    assert (await get(f"{platform.url}readyz"))[0] == 200
    _, token = await platform.patient()
    _, key = await platform.doctor()
    patient = Party(platform.url, {"session": token})
    doctor = Party(platform.url, {"role": "doctor", "key": key})
    try:
        await patient.connect()
        await patient.call("queue.join", {"reason": "consilium"})
        status, text = await get(f"{platform.url}metrics")
        assert status == 200
        assert 'telemed_queue_length{reason="consilium"} 1.0' in text
        assert "telemed_consultations_active 0.0" in text
        assert "telemed_draining 0.0" in text

        await drain(platform.server.app, timeout_s=1)
        await doctor.connect()
        reply = await doctor.call("consultation.take", {})
        assert reply["code"] == "draining"
        status, text = await get(f"{platform.url}readyz")
        assert (status, text) == (503, '{"status": "draining"}')
        _, text = await get(f"{platform.url}metrics")
        assert "telemed_draining 1.0" in text
        assert 'telemed_queue_length{reason="consilium"} 1.0' in text, "nobody left the queue"
    finally:
        await patient.close()
        await doctor.close()
