"""The patient's page as a patient on a phone meets it, in a real headless Chromium."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from playwright.async_api import expect

from tests import test_browser
from tests.conftest import Platform

browser = test_browser.browser  # the same Chromium, fake devices and phone-sized window


def sms_codes(platform: Platform) -> list[str]:
    sent = platform.server.app[test_browser.MESSENGER].transport.sent  # type: ignore[attr-defined]
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

    resend = page.get_by_role("button", name="Отправить код ещё раз")
    await resend.click()
    await page.get_by_text("оканчивающийся на 00").wait_for()
    await resend.click()
    # The third code in 15 minutes: the page says how long until another and waits itself.
    await page.get_by_text("Новый код можно запросить через 15 мин").wait_for()
    await expect(resend).to_be_disabled()
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
    await test_browser.sign_in(page, platform, f"{platform.url}join/{token}")
    protocols = page.locator("#protocol")
    await protocols.get_by_text("J02.9").wait_for()
    await page.reload()  # reopening the page later: still there
    await protocols.get_by_text("J02.9").wait_for()
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
