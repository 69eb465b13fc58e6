"""The patient page and the doctor console in a real headless Chromium, with fake microphones."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import Platform

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]


async def launch(playwright, wav: Path, profile: Path) -> Browser:  # type: ignore[no-untyped-def]
    context = await playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True,
        args=[*FLAGS, f"--use-file-for-fake-audio-capture={wav}"],
    )
    return context  # type: ignore[no-any-return]


@pytest.fixture
async def playwright_instance() -> AsyncIterator[object]:
    async with async_playwright() as playwright:
        yield playwright


async def test_two_browsers_hold_a_consultation(
    platform: Platform, speech_dir: Path, tmp_path: Path, playwright_instance: object
) -> None:
    _, token = await platform.patient()
    _, key = await platform.doctor()
    patient_context = await launch(playwright_instance, speech_dir / "patient.wav",
                                   tmp_path / "patient-profile")
    doctor_context = await launch(playwright_instance, speech_dir / "doctor.wav",
                                  tmp_path / "doctor-profile")
    artifacts = Path(__file__).parent.parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    try:
        patient: Page = await patient_context.new_page()
        await patient.set_viewport_size({"width": 360, "height": 740})
        await patient.goto(f"{platform.url}join/{token}")
        await patient.get_by_role("button", name="Встать в очередь").click()
        await patient.get_by_text("Вы в очереди, ваш номер 1").wait_for()
        await patient.screenshot(path=artifacts / "patient-waiting.png")

        doctor: Page = await doctor_context.new_page()
        await doctor.set_viewport_size({"width": 1440, "height": 900})
        await doctor.goto(f"{platform.url}console")
        await doctor.get_by_label("Access key").fill(key)
        await doctor.get_by_role("button", name="Sign in").click()
        await doctor.get_by_role("cell", name="Анна Иванова").wait_for()
        await doctor.get_by_role("button", name="Take next patient").click()
        await patient.get_by_text("Идёт консультация").wait_for()

        # Both fake microphones reach the worker: captions of both sides appear.
        await doctor.locator("#captions li.doctor").first.wait_for(timeout=30_000)
        await doctor.locator("#captions li.patient").first.wait_for(timeout=30_000)
        await doctor.screenshot(path=artifacts / "console-call.png")
        await doctor.get_by_role("button", name="Hang up").click()

        await patient.get_by_text("Врач проверяет протокол", exact=False).wait_for()
        await doctor.locator("#protocol .protocol").wait_for(timeout=30_000)
        await doctor.get_by_role("button", name="Sign and send to the record").click()
        await doctor.get_by_text("signed and sent to the record", exact=False).wait_for()
        await patient.locator("#protocol .protocol").wait_for(timeout=30_000)
        assert await patient.locator("#protocol .status.signed").count() == 1
        await patient.screenshot(path=artifacts / "patient-protocol.png", full_page=True)
        await doctor.screenshot(path=artifacts / "console-protocol.png", full_page=True)
        text = await patient.locator("#protocol").inner_text()
        assert re.search(r"Врач:", text) and re.search(r"Пациент:", text)
    finally:
        await patient_context.close()
        await doctor_context.close()
