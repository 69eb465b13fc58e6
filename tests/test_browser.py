"""The patient page and the doctor console in a real headless Chromium, with fake devices."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Page

from actions.consilium import record_decision
from actions.signing import ProtocolSigning
from clinic.domain import CallMode, ConsultationStatus, Principal, Reason, Role, Segment, Speaker
from clinic.time import now
from protocol_writer.service import ProtocolService
from tests.actions_world import tomorrow_at
from tests.conftest import Platform, sample
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

ARTIFACTS = Path(__file__).parent.parent / "artifacts"


async def last_sms(platform: Platform) -> str:
    """The last code SMS the development transport "sent" (the record keeps codes masked);
    a notice the dispatcher sends after it (a signed protocol's) is not the code."""
    sent = platform.server.app[PLATFORM].messenger.transport.sent  # type: ignore[attr-defined]
    codes = [str(text) for _, text in sent if re.search(r"\d{6}", str(text))]
    assert codes, "no code was sent"
    return codes[-1]


async def sign_in(page: Page, platform: Platform, url: str) -> None:
    """Opens the SMS link and types the one-time password from the (development) SMS."""
    await page.goto(url)
    await page.get_by_label("Код из SMS").wait_for()
    code = re.search(r"\d{6}", await last_sms(platform))
    assert code is not None
    await page.get_by_label("Код из SMS").fill(code.group())
    await page.get_by_role("button", name="Войти").click()
    await page.get_by_role("button", name="Встать в очередь").wait_for()


async def staff_page(browser: Any, url: str, login: str, password: str, blocked: list[str]) -> Page:
    """The console or office at `url`, signed in; CSP complaints are collected in `blocked`."""
    page: Page = await browser(login, None, viewport=(1280, 900))
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await page.goto(url)
    await page.get_by_label("Login").fill(login)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    return page


async def earlier_signed_protocol(platform: Platform, patient_id: str, doctor_id: str) -> None:
    """A past consultation between the two, signed, for the console's history panel."""
    records = platform.records
    past = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, past.id)
    await records.add_segment(Segment(past.id, Speaker.DOCTOR, 0, 1, "это острый фарингит", 1))
    await records.finish(past.id, ConsultationStatus.ENDED)
    draft = await ProtocolService(records).draft(past.id)
    await ProtocolSigning(records).sign(past.id, doctor_id, draft.version, draft.data)


async def test_two_browsers_hold_a_consultation(
    platform: Platform, speech_dir: Path, browser: Any
) -> None:
    patient_id, token = await platform.invited()
    doctor_id, _ = await platform.doctor(login="irina", password="correct horse battery")
    await earlier_signed_protocol(platform, patient_id, doctor_id)
    ARTIFACTS.mkdir(exist_ok=True)

    patient = await browser("patient", speech_dir / "patient.wav")
    blocked: list[str] = []
    patient.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await sign_in(patient, platform, f"{platform.url}join/{token}")
    await patient.screenshot(path=ARTIFACTS / "patient-signed-in.png")
    await patient.get_by_role("button", name="Проверить микрофон").click()
    await patient.get_by_text("Микрофон работает").wait_for()
    await patient.get_by_role("button", name="Встать в очередь").click()
    await patient.get_by_text("Вы в очереди, ваш номер 1").wait_for()
    await patient.get_by_text("Примерное ожидание, мин: 1").wait_for()  # one past consultation
    await patient.screenshot(path=ARTIFACTS / "patient-waiting.png")

    doctor = await browser("doctor", speech_dir / "doctor.wav", viewport=(1440, 900))
    doctor.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await doctor.goto(f"{platform.url}console")  # in Russian unless the doctor chooses
    await doctor.get_by_label("Логин").fill("irina")
    await doctor.get_by_label("Пароль").fill("correct horse battery")
    await doctor.get_by_label("Пароль").press("Enter")  # the keyboard is enough
    await doctor.get_by_role("cell", name="Анна Иванова", exact=True).wait_for()
    await doctor.get_by_role("button", name="Принять следующего").click()
    await patient.get_by_text("Идёт консультация").wait_for()
    await doctor.get_by_text("J02.9", exact=False).wait_for()  # the earlier protocol

    # Both fake microphones reach the worker: captions of both sides appear.
    await doctor.locator("#captions li.doctor").first.wait_for(timeout=30_000)
    await doctor.locator("#captions li.patient").first.wait_for(timeout=30_000)
    await doctor.screenshot(path=ARTIFACTS / "console-call.png")
    await doctor.get_by_role("button", name="Завершить").click()

    await patient.get_by_text("Врач проверяет протокол", exact=False).wait_for()
    await doctor.locator("#protocol .protocol").wait_for(timeout=30_000)
    # Chromium honours the worker's a=ptime:60 (media/sdp.py): both sides sent 60 ms packets.
    async with aiohttp.ClientSession() as http, http.get(f"{platform.url}metrics") as response:
        exposition = await response.text()
    assert sample(exposition, "telemed_media_frame_seconds_count") == 2
    assert sample(exposition, "telemed_media_frame_seconds_sum") == pytest.approx(0.12, rel=0.02)
    await doctor.get_by_label("Код МКБ-10").fill("J06.9")
    await doctor.get_by_label("Диагноз", exact=True).fill("ОРВИ, лёгкое течение")
    await doctor.get_by_label("По одной в строке").fill("пить больше жидкости")
    await doctor.get_by_label("Наблюдение").select_option("telemedicine")
    await doctor.get_by_label("Через дней").fill("3")
    await doctor.screenshot(path=ARTIFACTS / "console-editor.png", full_page=True)
    await doctor.get_by_role("button", name="Подписать и отправить в карту").click()
    await doctor.get_by_text("подписан и отправлен в карту", exact=False).wait_for()

    # The page lists every signed protocol, the earlier one first: wait for this one.
    await patient.locator("#protocol .protocol", has_text="J06.9").wait_for(timeout=30_000)
    text = await patient.locator("#protocol").inner_text()
    assert "J06.9" in text and "ОРВИ, лёгкое течение" in text
    assert "пить больше жидкости" in text and "через 3 дн." in text
    await patient.screenshot(path=ARTIFACTS / "patient-protocol.png", full_page=True)
    assert blocked == [], "the pages break their own Content-Security-Policy"


@pytest.mark.parametrize("link", ["unknown", "expired"])
async def test_a_bad_link_says_so(platform: Platform, browser: Any, link: str) -> None:
    token = "no-such-token"
    if link == "expired":
        patient = await platform.records.add_patient("Анна", "+70000000000")
        token = await platform.records.invite(patient.id, Reason.RESPIRATORY, ttl_s=-1)
    page = await browser(link, None)
    await page.goto(f"{platform.url}join/{token}")
    await page.get_by_text("Ссылка недействительна или устарела").wait_for()
    assert await page.get_by_role("button", name="Встать в очередь").is_hidden()


async def test_a_denied_microphone_says_so(platform: Platform, browser: Any) -> None:
    _, token = await platform.invited()
    page = await browser("denied", None, allow_media=False)
    await sign_in(page, platform, f"{platform.url}join/{token}")
    await page.get_by_role("link", name="English").click()
    await page.get_by_role("button", name="Join the queue").click()
    await page.get_by_text("No access to the microphone").wait_for()
    assert await platform.records.waiting() == []


async def test_the_page_keeps_its_place_across_a_server_restart(
    settings: Any, model_pool: ModelPool, browser: Any
) -> None:
    app = create_app(settings, models=model_pool)
    # A short shutdown: the browser's open websocket would hold the close ~45 s.
    server = TestServer(app, host="127.0.0.1")
    await server.start_server(shutdown_timeout=1)
    records = app[PLATFORM].records
    patient = await records.add_patient("Анна Иванова", "+79990000000")
    token = await records.invite(patient.id, Reason.RESPIRATORY, 3600)
    page = await browser("restart", None)
    await sign_in(page, Platform(server, records, settings), f"{server.make_url('/')}join/{token}")
    await page.get_by_role("button", name="Встать в очередь").click()
    await page.get_by_text("Вы в очереди, ваш номер 1").wait_for()

    port = server.port
    await server.close()
    await page.get_by_text("Связь потеряна", exact=False).wait_for()
    restarted = create_app(settings, models=model_pool)
    again = TestServer(restarted, host="127.0.0.1", port=port)
    await again.start_server(shutdown_timeout=1)
    try:
        await page.get_by_text("Вы в очереди, ваш номер 1").wait_for(timeout=20_000)
        # The running server's records: the first one's engine was disposed when it closed,
        # and asking it again opened a connection nothing closed.
        waiting = await restarted[PLATFORM].records.waiting()
        assert [c.patient_id for c, _ in waiting] == [patient.id]
    finally:
        await again.close()


async def test_the_patient_reads_decisions_and_moves_and_cancels_a_visit(
    platform: Platform, browser: Any
) -> None:
    records = platform.records
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №5", "ул. Ленина, 1")
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    patient = await records.add_patient(
        "Мария Соколова", "+79990000000", polyclinic_id=polyclinic.id, oncology_centre_id=centre.id
    )
    first, second = await records.publish_slots(
        polyclinic.id, "Смирнова А.А.", "therapist", [tomorrow_at(9), tomorrow_at(11)]
    )
    assert await records.book_slot(first.id, patient.id, consultation_id=None, booked_by="d")
    await records.add_prescription(
        patient.id,
        "Tamoxifen",
        dose="20 mg",
        valid_from=now(),
        valid_until=now() + timedelta(days=90),
        oncology=True,
    )
    staff, _ = await records.add_doctor(
        "Секретарь", "coordinator", role=Role.STAFF, organisation_id=centre.id
    )
    await record_decision(
        records,
        platform.settings,
        Principal(Role.STAFF, staff.id, staff.full_name),
        centre.id,
        patient,
        "2026-11-20",
        "Продолжить гормонотерапию",
        None,
    )
    token = await records.invite(patient.id, Reason.CONSILIUM, 3600)

    page = await browser("record", None)
    blocked: list[str] = []
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await sign_in(page, platform, f"{platform.url}join/{token}")
    await page.get_by_text("2026-11-20: Продолжить гормонотерапию").wait_for()
    await page.get_by_text("Tamoxifen, 20 mg").wait_for()
    visits = page.locator("#appointments li")
    await visits.filter(has_text="Поликлиника №5").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "patient-record.png", full_page=True)

    await page.get_by_label("Перенести на").select_option(second.id)
    await page.get_by_role("button", name="Перенести").click()
    await page.get_by_text("Приём перенесён").wait_for()
    moved = await records.slot(second.id)
    assert moved is not None and moved.patient_id == patient.id
    await page.get_by_role("button", name="Отменить").click()
    await page.get_by_text("Запись отменена").wait_for()
    await page.locator("#appointments li", has_text="Нет").wait_for()
    assert await records.appointments_of(patient.id, now()) == []
    assert blocked == []


async def test_the_office_publishes_a_schedule_and_enters_a_decision(
    platform: Platform, browser: Any
) -> None:
    records = platform.records
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №5")
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    patient = await records.add_patient(
        "Мария Соколова", "+79990000000", oncology_centre_id=centre.id
    )
    await platform.doctor(
        "Оператор", login="operator", password="operator password", role=Role.OPERATOR
    )
    await platform.doctor(
        "Секретарь",
        login="secretary",
        password="secretary password",
        role=Role.STAFF,
        organisation_id=centre.id,
    )
    blocked: list[str] = []
    staff = await staff_page(
        browser, f"{platform.url}office", "secretary", "secretary password", blocked
    )
    await staff.get_by_label("Patient").select_option(patient.id)
    await staff.get_by_label("Board date").fill("2026-11-20")
    await staff.get_by_role("textbox", name="Decision").fill("Продолжить гормонотерапию")
    await staff.get_by_role("button", name="Save and tell the patient").click()
    await staff.get_by_text("2026-11-20, Мария Соколова: Продолжить гормонотерапию").wait_for()
    (decision,) = await records.consilium_decisions_of(patient.id)
    assert decision.decision == "Продолжить гормонотерапию"

    operator = await staff_page(
        browser, f"{platform.url}office", "operator", "operator password", blocked
    )
    await operator.get_by_label("Doctor").fill("Смирнова А.А.")
    await operator.get_by_label("First slot").fill("2030-12-01T09:00")
    await operator.get_by_label("Slots", exact=True).fill("3")
    await operator.get_by_role("button", name="Publish").click()
    await operator.get_by_text("Published 3 slots").wait_for()
    await operator.locator("#slots tr", has_text="Смирнова А.А.").nth(2).wait_for()
    assert len(await records.free_slots(polyclinic.id, now())) == 3
    message = operator.locator("#sms tr", has_text="consilium_decision")
    await message.wait_for()
    assert "/join/…" in await message.inner_text()  # the link's secret is not shown
    ARTIFACTS.mkdir(exist_ok=True)
    await operator.screenshot(path=ARTIFACTS / "office-operator.png", full_page=True)
    assert blocked == []


async def test_a_parent_answers_a_check_in_for_a_child_and_a_doctor_reviews_it(
    platform: Platform, browser: Any
) -> None:
    records = platform.records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    parent = await records.add_patient("Ольга Соколова", "+79990000000")
    child = await records.add_patient("Миша Соколов", "+79990000001", oncology_centre_id=centre.id)
    await records.link_guardian(parent.id, child.id)
    await records.set_chemotherapy(child.id, True)
    await platform.doctor(
        "Олег Онкологов",
        login="oleg",
        password="oncologist password",
        specialty="oncologist",
        organisation_id=centre.id,
    )
    token = await records.invite(parent.id, Reason.RESPIRATORY, 3600)
    blocked: list[str] = []

    page = await browser("parent", None)
    page.on(
        "console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None
    )
    await sign_in(page, platform, f"{platform.url}join/{token}")
    assert await page.locator("#checkin").is_hidden()  # the parent has no course of their own
    await page.get_by_label("Чья карта").select_option(child.id)
    await page.get_by_label("Температура тела сейчас, °C").fill("38.3")
    for legend, answer in (
        ("Озноб", "Да"),
        ("Кровотечение", "Нет"),
        ("Одышка", "Нет"),
        ("Вы можете пить", "Да"),
    ):
        await page.locator("fieldset", has_text=legend).get_by_label(answer).check()
    await page.get_by_label("Сколько раз была рвота").fill("0")
    await page.get_by_label("Сколько раз был жидкий стул").fill("1")
    await page.get_by_label("Боль от 0").fill("2")
    await page.get_by_role("button", name="Отправить ответы").click()
    await page.get_by_text("врач онкоцентра посмотрит их в течение рабочего дня").wait_for()
    await page.locator("#checkins li", has_text="температура 37,5 °C и выше").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "patient-checkin.png", full_page=True)
    (checkin,) = await records.checkins_of(child.id)
    assert (checkin.level, checkin.submitted_by) == ("red", parent.id)

    doctor = await staff_page(
        browser, f"{platform.url}console?lang=en", "oleg", "oncologist password", blocked
    )
    row = doctor.locator("#reviews tr", has_text="Миша Соколов")
    await row.get_by_text("temperature 37.5 °C or above, shivering").wait_for()
    await doctor.get_by_label("Review note for Миша Соколов").fill("Позвонил, ОАК сегодня")
    await row.get_by_role("button", name="Reviewed").click()
    await doctor.get_by_text("Nothing to review").wait_for()
    reviewed = await records.checkin(checkin.id)
    assert reviewed is not None and reviewed.review_note == "Позвонил, ОАК сегодня"
    assert blocked == []


async def test_the_editor_shows_every_registered_vital_and_keeps_an_unknown_one(
    platform: Platform, browser: Any
) -> None:
    """The editor reads the vital signs' registry from the page; a sign in the draft that the
    registry does not know (say, from a newer server) survives the doctor's edit unchanged."""
    page = await browser("editor", None, viewport=(1280, 900))
    await page.goto(f"{platform.url}console?lang=en")
    draft: dict[str, Any] = {
        "complaints": [],
        "recommendations": [],
        "medications": [],
        "diagnosis": None,
        "diagnosis_suggestions": [],
        "sick_leave": None,
        "triage": {"level": "green", "reasons": [], "segments": []},
        "follow_up": {"kind": "none", "in_days": None, "segments": []},
        "vitals": {
            "respiratory_rate": {"value": 22, "unit": "/min", "segments": [3]},
            "weight_kg": {"value": 71.5, "unit": "kg", "segments": [4]},
        },
    }
    signed = await page.evaluate(
        """(draft) => {
        const form = document.querySelector("#editor");
        ProtocolEditor.fill(form, draft);
        form.vital_spo2_percent.value = "93";
        return ProtocolEditor.read(form, draft);
    }""",
        draft,
    )
    assert signed["vitals"] == {
        "respiratory_rate": {"value": 22, "unit": "/min", "segments": [3]},
        "spo2_percent": {"value": 93, "unit": "%", "segments": []},
        "weight_kg": {"value": 71.5, "unit": "kg", "segments": [4]},
    }
    labels = await page.locator("#vitals label").all_inner_texts()
    assert [label.strip() for label in labels][:2] == ["Temperature, °C", "SpO2, %"]
