"""The patient's page as a patient on a phone meets it, in a real headless Chromium."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import aiohttp
from playwright.async_api import Page, expect

from clinic.domain import CallMode, ConsultationStatus, Reason, Role, Segment, Speaker
from clinic.time import now
from harness.client import Party
from protocol_writer.service import ProtocolService
from tests import test_browser
from tests.actions_world import tomorrow_at
from tests.axe import grave_violations
from tests.conftest import Platform
from web.platform import PLATFORM

SIZES = {"desktop": (1280, 900), "phone": (360, 740)}


async def sign_in(page: Page, platform: Platform, url: str) -> None:
    """The SMS link and the code from the last code SMS (other SMS may come after it)."""
    await page.goto(url)
    code = page.get_by_label("Код из SMS")
    await code.wait_for()
    await code.fill(sms_codes(platform)[-1])
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("button", name="Встать в очередь").wait_for()


async def audited(page: Page, state: str) -> None:
    """axe-core finds no serious or critical violation in this state of the page, on a desk
    and on a 360 px phone; a screenshot of each goes to artifacts/ to be looked at."""
    test_browser.ARTIFACTS.mkdir(exist_ok=True)
    kept = page.viewport_size
    for size, (width, height) in SIZES.items():
        await page.set_viewport_size({"width": width, "height": height})
        serious = [
            f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in await grave_violations(page)
        ]
        assert serious == [], f"{state}, {size}"
        shot = test_browser.ARTIFACTS / f"patient-{state}-{size}.png"
        await page.screenshot(path=shot, full_page=True)
    if kept is not None:
        await page.set_viewport_size(kept)


def sms_codes(platform: Platform) -> list[str]:
    sent = platform.server.app[PLATFORM].messenger.transport.sent  # type: ignore[attr-defined]
    return [m.group() for _, t in sent if (m := re.search(r"\d{6}", t))]


async def test_reloads_send_no_sms_and_the_fourth_open_still_signs_in(
    platform: Platform, browser: Any
) -> None:
    _, token = await platform.invited()
    url = f"{platform.url}join/{token}"
    page = await browser("sign-in", None)
    code = page.get_by_label("Код из SMS")
    await page.goto(url)
    await code.wait_for()
    await page.get_by_text("Осталось попыток: 5").wait_for()
    await audited(page, "code")
    for _ in range(3):  # the patient opens the SMS link again
        await page.reload()
        await page.get_by_text("Введите код из последнего SMS").wait_for()
    assert len(sms_codes(platform)) == 1
    first = sms_codes(platform)[0]

    await code.fill(f"{(int(first) + 1) % 10**6:06d}")
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_text("Неверный код").wait_for()
    await page.get_by_text("Осталось попыток: 4").wait_for()
    await expect(code).to_have_value("")  # a wrong code is cleared
    await audited(page, "wrong-code")

    resend = page.get_by_role("button", name="Отправить код ещё раз")
    await resend.click()
    await page.get_by_text("оканчивающийся на 00").wait_for()
    await resend.click()
    # The third code in 15 minutes: the page says how long until another and waits itself.
    await page.get_by_text("Новый код можно запросить через 15 мин").wait_for()
    await expect(resend).to_be_disabled()
    await audited(page, "wait-for-code")
    assert len(sms_codes(platform)) == 3

    await page.reload()  # the fourth open: the box is there, the first SMS's code works
    await page.get_by_text("Новый код можно запросить через", exact=False).wait_for()
    await code.fill(first)
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("button", name="Встать в очередь").wait_for()

    await page.goto(url)  # signed in on this phone: straight to the page, no SMS
    await page.get_by_role("button", name="Встать в очередь").wait_for()
    assert await code.is_hidden()
    assert len(sms_codes(platform)) == 3


async def test_after_the_consultation_the_page_keeps_the_signed_protocol(
    platform: Platform, browser: Any
) -> None:
    """A patient with a cold: the protocol as a patient reads it, in the clinic's time, and
    no tumour-board section."""
    patient_id, token = await platform.invited()
    doctor_id, _ = await platform.doctor()
    await test_browser.earlier_signed_protocol(platform, patient_id, doctor_id)
    page = await browser("after", None)
    await sign_in(page, platform, f"{platform.url}join/{token}")
    protocols = page.locator("#protocol")
    await protocols.get_by_text("J02.9").wait_for()
    await page.reload()  # reopening the page later: still there
    await protocols.get_by_text("J02.9").wait_for()
    await audited(page, "protocols")
    text = await protocols.inner_text()
    assert "это острый фарингит" not in text  # the recogniser's words stay with the doctor
    assert await protocols.locator(".transcript").count() == 0
    assert "UTC" not in text and "MSK" in text  # TELEMED_TIMEZONE's default, Europe/Moscow
    assert await page.get_by_text("Решения онкологического консилиума").is_hidden()
    await page.get_by_role("heading", name="Рецепты").wait_for()
    await page.get_by_role("heading", name="Запись на приём").wait_for()
    reads = [
        a
        for a in await platform.records.audit_entries()
        if a.action == "record.read" and a.patient_id == patient_id
    ]
    assert reads and all(a.outcome == "ok" for a in reads)
    _, other = await platform.patient("Борис Другой")
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {other}"}) as http,
        http.get(f"{platform.url}api/patients/{patient_id}/protocols") as response,
    ):
        assert response.status == 404  # another patient's protocols: as if none existed


# Every visible element that shows its own text, with its font size; every control, with its
# size. On a 360 px phone: text of 16 px and more, touch targets of 44 by 44 px and more.
MEASURE = """() => {
  const shown = (e) => e.getClientRects().length && getComputedStyle(e).visibility !== "hidden";
  const small = [...document.querySelectorAll("body *")].filter((e) => shown(e)
      && [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())
      && parseFloat(getComputedStyle(e).fontSize) < 16)
    .map((e) => `${e.tagName} ${getComputedStyle(e).fontSize} ${e.textContent.slice(0, 30)}`);
  const controls = "button, a, select, input:not([type=radio]), label";
  const targets = [...document.querySelectorAll(controls)]
    .filter(shown).map((e) => [e, e.getBoundingClientRect()])
    .filter(([, r]) => r.width < 44 || r.height < 44)
    .map(([e, r]) => `${e.tagName}#${e.id} ${Math.round(r.width)}x${Math.round(r.height)}`);
  const wide = [...document.querySelectorAll("body *")].filter(shown)
    .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)
    .map((e) => `${e.tagName}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`);
  return { small, targets, wide };
}"""


async def phone_sized(page: Any) -> None:
    measured = await page.evaluate(MEASURE)
    assert measured["small"] == [], "text under 16 px"
    assert measured["targets"] == [], "touch targets under 44 px"
    assert measured["wide"] == [], "the page scrolls sideways on a 360 px phone"


RECORD_PEERS = """() => {
  const Native = window.RTCPeerConnection;
  window.peers = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.peers.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
}"""
MICROPHONES_ON = """() => window.peers.flatMap((pc) => pc.getSenders())
  .filter((s) => s.track && s.track.kind === "audio").map((s) => s.track.enabled)"""


async def test_phone_first_page_with_a_big_code_box_no_empty_selector_and_mute(
    platform: Platform, browser: Any
) -> None:
    _, token = await platform.invited()
    _, key = await platform.doctor()
    page = await browser("phone", None)
    await page.add_init_script(f"({RECORD_PEERS})()")
    await page.goto(f"{platform.url}join/{token}")
    code = page.get_by_label("Код из SMS")
    await code.wait_for()
    box = await code.bounding_box()
    assert box is not None and box["height"] >= 56 and box["width"] >= 300
    assert float((await code.evaluate("e => getComputedStyle(e).fontSize"))[:-2]) >= 28
    await phone_sized(page)

    await code.fill(sms_codes(platform)[-1])
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("button", name="Встать в очередь").wait_for()
    # No children linked: no "whose record" selector, empty or not.
    assert await page.locator("#whose").is_hidden()
    await phone_sized(page)
    await audited(page, "signed-in")

    await page.get_by_role("button", name="Встать в очередь").click()
    await page.get_by_text("Вы в очереди, ваш номер 1").wait_for()
    await audited(page, "waiting")
    doctor = Party(platform.url, {"key": key})
    await doctor.connect()
    try:
        await doctor.call("consultation.take", {})
        mute = page.get_by_role("button", name="Выключить микрофон")
        await mute.wait_for()
        await phone_sized(page)
        await audited(page, "call")
        await page.wait_for_function("() => window.peers.length > 0")
        assert set(await page.evaluate(MICROPHONES_ON)) == {True}
        await mute.click()
        unmute = page.get_by_role("button", name="Включить микрофон")
        await expect(unmute).to_have_attribute("aria-pressed", "true")
        await audited(page, "call-muted")
        assert set(await page.evaluate(MICROPHONES_ON)) == {False}
        await unmute.click()
        assert set(await page.evaluate(MICROPHONES_ON)) == {True}
    finally:
        await doctor.close()


async def test_the_root_page_leads_doctors_and_patients_and_keeps_the_language(
    platform: Platform, browser: Any
) -> None:
    _, token = await platform.invited()
    await platform.doctor(login="irina", password="correct horse battery")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(platform.url) as response:
            assert response.status == 200  # was a bare 404
        async with http.post(
            f"{platform.url}api/sessions/doctor",
            json={"login": "irina", "password": "correct horse battery"},
        ) as response:
            assert response.status == 200
        async with http.get(platform.url, allow_redirects=False) as response:
            assert (response.status, response.headers["Location"]) == (302, "/console")

    page = await browser("root", None)
    await page.goto(platform.url)
    await page.get_by_role("heading", name="Пациентам").wait_for()
    await page.get_by_text("откройте ссылку из SMS", exact=False).wait_for()
    await audited(page, "root")
    await page.get_by_role("link", name="English").click()
    await page.get_by_role("heading", name="For patients").wait_for()
    await audited(page, "root-en")
    await page.goto(f"{platform.url}patient")  # no session: only the SMS link signs in
    await page.get_by_text("Open the link in the SMS", exact=False).wait_for()
    await audited(page, "no-session-en")
    await page.goto(platform.url)  # the choice is kept: no ?lang= now
    await page.get_by_role("heading", name="For patients").wait_for()
    await page.goto(f"{platform.url}join/{token}")  # and on the patient's page
    await page.get_by_label("Code from the SMS").wait_for()
    await audited(page, "code-en")
    await page.get_by_role("link", name="Русский").click()
    code = page.get_by_label("Код из SMS")
    await code.fill(sms_codes(platform)[-1])
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("button", name="Встать в очередь").wait_for()

    await page.goto(platform.url)  # a signed-in patient goes straight to their page
    await page.wait_for_url(f"{platform.url}patient")
    await page.get_by_role("button", name="Встать в очередь").wait_for()

    doctor = await browser("root-doctor", None, viewport=(1280, 900))
    await doctor.goto(platform.url)
    await doctor.get_by_role("link", name="Консоль врача").click()
    await doctor.get_by_label("Логин").wait_for()  # the console, Russian as the root page was


async def test_every_other_state_of_the_page_passes_axe(platform: Platform, browser: Any) -> None:
    """A bad link; a parent whose child an oncology centre follows, under chemotherapy: the
    record selector, tumour-board decisions, visits, prescriptions and the check-in form."""
    records = platform.records
    page = await browser("states", None)
    await page.goto(f"{platform.url}join/no-such-link")
    await page.get_by_text("Ссылка недействительна или устарела").wait_for()
    await audited(page, "bad-link")

    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №5", "ул. Ленина, 1")
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    parent = await records.add_patient("Ольга Соколова", "+79990000000")
    child = await records.add_patient(
        "Миша Соколов", "+79990000001", polyclinic_id=polyclinic.id, oncology_centre_id=centre.id
    )
    await records.link_guardian(parent.id, child.id)
    await records.set_chemotherapy(child.id, True)
    (slot,) = await records.publish_slots(
        polyclinic.id, "Смирнова А.А.", "therapist", [tomorrow_at(9)]
    )
    assert await records.book_slot(slot.id, child.id, consultation_id=None, booked_by="d")
    await records.add_prescription(
        child.id,
        "Ondansetron",
        dose="4 mg",
        valid_from=now(),
        valid_until=now() + timedelta(days=30),
    )
    _, staff_key = await platform.doctor(
        "Секретарь", role=Role.STAFF, specialty="coordinator", organisation_id=centre.id
    )
    async with (  # the centre's staff enter the board's decision as they would
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {staff_key}"}) as http,
        http.post(
            f"{platform.url}api/patients/{child.id}/consilium",
            json={"decided_on": "2026-11-20", "decision": "Продолжить химиотерапию"},
        ) as response,
    ):
        assert response.status == 201, await response.text()
    token = await records.invite(parent.id, Reason.RESPIRATORY, 3600)
    await sign_in(page, platform, f"{platform.url}join/{token}")
    # The parent has no centre: no tumour-board section on their own record.
    assert await page.get_by_text("Решения онкологического консилиума").is_hidden()
    await audited(page, "parent")
    await page.get_by_label("Чья карта").select_option(child.id)
    await page.get_by_text("2026-11-20: Продолжить химиотерапию").wait_for()
    # The visit at 09:00 UTC, as the clinic in Moscow (TELEMED_TIMEZONE) tells it.
    await page.locator("#appointments li", has_text="12:00").wait_for()
    await page.get_by_text("Ondansetron, 4 mg", exact=False).wait_for()
    await page.get_by_label("Температура тела сейчас, °C").wait_for()
    await phone_sized(page)
    await audited(page, "child-record")


async def test_a_protocol_signed_while_the_page_is_open_appears_on_it(
    platform: Platform, browser: Any
) -> None:
    records = platform.records
    patient_id, token = await platform.invited()
    doctor_id, key = await platform.doctor()
    page = await browser("signed-live", None)
    await sign_in(page, platform, f"{platform.url}join/{token}")
    assert await page.locator("#protocol").is_hidden()  # nothing signed yet

    consultation = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, consultation.id)
    await records.add_segment(
        Segment(consultation.id, Speaker.DOCTOR, 0, 1, "это острый фарингит", 1)
    )
    await records.finish(consultation.id, ConsultationStatus.ENDED)
    draft = await ProtocolService(records).draft(consultation.id)
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as http,
        http.put(
            f"{platform.url}api/consultations/{consultation.id}/protocol",
            json={"based_on_version": draft.version, "data": draft.data},
        ) as response,
    ):
        assert response.status == 201, await response.text()
    signed = page.locator("#protocol .protocol .status.signed")
    await signed.wait_for()
    assert "это острый фарингит" not in await page.locator("#protocol").inner_text()
