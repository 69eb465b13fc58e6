"""Decision support in the doctor's console, in a real headless Chromium: suggestions appear
live as the patient's words are transcribed, the doctor takes one with one click, and
/metrics counts it as taken when the protocol is signed."""

from __future__ import annotations

from typing import Any

import aiohttp

from clinic.domain import CallMode, Reason, Segment, Speaker
from decision_support import Suggester
from signaling.captions import CaptionSink
from tests.conftest import Platform, sample
from tests.test_browser import staff_page
from web.platform import PLATFORM

COMPLAINTS = ["болит поясница уже неделю", "боль отдает в правую ногу при наклоне"]


async def test_live_suggestions_and_the_doctor_takes_one(platform: Platform, browser: Any) -> None:
    patient_id, _ = await platform.invited()
    await platform.doctor(login="irina", password="correct horse battery")
    consultation = await platform.records.enqueue(
        patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru"
    )
    blocked: list[str] = []
    doctor = await staff_page(
        browser, f"{platform.url}console?lang=en", "irina", "correct horse battery", blocked
    )
    # The microphone opens slowly (as on a loaded machine): what the patient says meanwhile
    # must still reach the console, which once dropped it until the call's media was up.
    await doctor.evaluate(
        """() => {
          const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
          navigator.mediaDevices.getUserMedia = (c) =>
            new Promise((done) => setTimeout(done, 5000)).then(() => open(c));
        }"""
    )
    # On a laptop's 1280 pixels the waiting patient's row, its Take button included, fits
    # the queue panel (it once slid under the call panel, the button out of reach).
    take = doctor.get_by_role("button", name="Take Анна Иванова")
    await take.wait_for()
    main = await doctor.locator(".desk-main").bounding_box()
    button = await take.bounding_box()
    assert main and button and button["x"] + button["width"] < main["x"]
    await doctor.get_by_role("button", name="Take next patient").click()
    await doctor.locator("#call").wait_for()
    await doctor.get_by_text("Waiting for the patient's complaints").wait_for()

    # What the media worker does with each final segment of the patient's, through a sink
    # on the same socket.io server: stored, captioned, and suggested on.
    sink = CaptionSink(platform.records, platform.server.app[PLATFORM].rooms)
    suggester = Suggester()
    said: list[str] = []
    for second, text in enumerate(COMPLAINTS):
        said.append(text)
        await sink.segment(Segment(consultation.id, Speaker.PATIENT, second, second + 1, text, 1.0))
        expected = suggester.suggest(" ".join(said))
        assert not expected.abstained
        first = expected.suggestions[0]
        item = doctor.locator("#live-suggestions li.suggestion").first
        await item.locator(f"text={first.code}").wait_for()
        shown = await item.inner_text()
        assert f"{round(first.score * 100)}%" in shown
        assert all(word in shown for word in first.evidence)
    await doctor.screenshot(path="artifacts/console-live-suggestions.png")

    await doctor.locator("#live-suggestions li.suggestion button").first.click()
    await doctor.get_by_text(f"Taken: {first.code}").wait_for()
    await doctor.get_by_role("button", name="Hang up").click()
    await doctor.locator("#protocol .protocol").wait_for(timeout=30_000)
    # The draft's own suggestions (from the stored segments) show score and words too.
    await doctor.locator("#suggestions li.suggestion .evidence").first.wait_for()
    assert await doctor.get_by_label("ICD-10 code").input_value() == first.code
    assert await doctor.get_by_label("Diagnosis", exact=True).input_value() == first.title
    await doctor.get_by_role("button", name="Sign and send to the record").click()
    await doctor.get_by_text("signed and sent to the record", exact=False).wait_for()

    async with aiohttp.ClientSession() as http, http.get(f"{platform.url}metrics") as response:
        exposition = await response.text()
    assert sample(exposition, 'telemed_diagnosis_suggestions_signed_total{taken="yes"}') == 1
    assert sample(exposition, "telemed_diagnosis_suggestions_taken_share") == 1.0
    assert blocked == [], "the console breaks its own Content-Security-Policy"
