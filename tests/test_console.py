"""The doctor's console in a real headless Chromium: its languages, the queue with presence,
the call panel and signing (issue #18)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import update

from clinic.domain import CallMode, ConsultationStatus, Reason, Segment, Speaker
from clinic.settings import Settings
from clinic.tables import Patient, ProtocolRow
from clinic.time import age
from harness.client import Party
from protocol_writer.triage import LEVELS
from signaling.captions import CaptionSink
from tests.axe import grave_violations
from tests.conftest import Platform, make_settings
from tests.test_browser import ARTIFACTS, earlier_signed_protocol, sign_in
from web.pages import CATALOGUE
from web.platform import PLATFORM

ROOT = Path(__file__).parent.parent
WORDS = {language: sections["console"] for language, sections in CATALOGUE.items()}
AWAY_S = 3


@pytest.fixture
def away_s() -> int:
    return AWAY_S


@pytest.fixture
def settings(tmp_path: Path, away_s: int) -> Settings:
    """A patient away longer than `away_s` seconds leaves the queue (a test may say how long
    by parametrizing `away_s`)."""
    return make_settings(tmp_path / "data", TELEMED_QUEUE_AWAY_S=str(away_s))


async def waiting_patient(platform: Platform, name: str) -> tuple[Party, str]:
    """A signed-in patient with their page open, in the queue: their socket and session."""
    _, session = await platform.patient(name)
    party = Party(platform.url, {"session": session})
    await party.connect()
    assert (await party.call("queue.join", {}))["ok"]
    return party, session


async def looked_at(page: Page, state: str) -> None:
    """A screenshot of the console's `state` in artifacts/, and axe-core over it: no
    serious or critical violation of WCAG."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"console-{state}.png", full_page=True)
    grave = [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in await grave_violations(page)
    ]
    assert grave == [], (state, grave)


async def console(
    browser: Any, platform: Platform, login: str = "irina", query: str = "", *, look: bool = False
) -> Page:
    """The console signed in with the Russian form (the default) unless `query` says; with
    `look`, the sign-in form is looked at first (one test does: it is the same form in each)."""
    page: Page = await browser(login, None, viewport=(1440, 900))
    await page.goto(f"{platform.url}console{query}")
    if look:
        await looked_at(page, "signin" + query.replace("?lang=", "-"))
    words = WORDS["en" if "lang=en" in query else "ru"]
    await page.get_by_label(words["login"]).fill(login)
    await page.get_by_label(words["password"]).fill("correct horse battery")
    await page.get_by_role("button", name=words["sign_in"], exact=True).click()
    await page.locator("#desk").wait_for()
    return page


def test_every_status_the_server_sends_has_a_translation() -> None:
    """Queue reasons and modes, speakers, triage levels, follow-ups, sick leave, renewal
    refusals and every error code the server answers with: each has words in each language."""
    from actions.renewal import REFUSALS

    template = (ROOT / "web/templates/console.html.j2").read_text(encoding="utf-8")
    values = re.findall(r'<option value="([a-z_]+)">\{\{ t\.(\w+) \}\}', template)
    assert {kind for _, kind in values} >= {f"follow_up_{k}" for k in ("none", "in_person")}
    signaling = (ROOT / "docs/signaling.md").read_text(encoding="utf-8")
    errors = re.findall(r"^\| `([a-z_]+)` \|", signaling.split("## Error codes")[1], re.M)
    assert "busy" in errors and "not_found" in errors
    keys = (
        [f"reason_{r.value}" for r in Reason]
        + [f"mode_{m.value}" for m in CallMode]
        + [f"speaker_{s.value}" for s in Speaker]
        + [f"triage_{level}" for level in LEVELS]
        + [f"checkin_level_{level}" for level in ("green", "amber", "red")]
        + [key for _, key in values]
        + [f"refusal_{reason}" for reason in REFUSALS]
        + [f"error_{code}" for code in errors]
        + [f"error_{code}" for code in ("wrong_password", "account_locked", "code_required")]
    )
    for language, words in WORDS.items():
        missing = [key for key in keys if key not in words]
        assert missing == [], (language, missing)


def test_no_words_in_the_consoles_scripts() -> None:
    """What the doctor reads comes from the catalogue: the scripts hold no sentence of their
    own, in either language."""
    for name in ("console.js", "editor.js", "words.js", "call.js"):
        code = (ROOT / "web/static" / name).read_text(encoding="utf-8")
        code = re.sub(r"^\s*//.*$", "", code, flags=re.M)  # comments are for developers
        strings = re.findall(r'"([^"\n]*)"|`([^`\n]*)`', code)
        texts = [a or b for a, b in strings if (a or b) != "use strict"]
        worded = [s for s in texts if re.search(r"[A-Za-z]{2,}[ ,:][ ]?[a-z]{2,}", s)]
        assert worded == [], (name, worded)
        assert not re.search(r"[а-яё]", code, re.I), name


async def test_the_console_is_russian_unless_the_doctor_keeps_english(
    platform: Platform,
    browser: Any,
) -> None:
    patient_id, _ = await platform.invited()
    doctor_id, _ = await platform.doctor(login="irina", password="correct horse battery")
    await earlier_signed_protocol(platform, patient_id, doctor_id)
    # Signed at 22:30 UTC on 20 November: already the 21st at the clinic (Moscow).
    async with platform.records._session() as s, s.begin():
        await s.execute(
            update(ProtocolRow)
            .where(ProtocolRow.status == "signed")
            .values(signed_at=datetime(2026, 11, 20, 22, 30, tzinfo=UTC))
        )
    await platform.records.add_prescription(
        patient_id,
        "Tamoxifen",
        dose="20 mg",
        valid_from=datetime(2026, 11, 1, tzinfo=UTC),
        valid_until=datetime(2027, 2, 24, 12, tzinfo=UTC),
        oncology=True,
    )
    await platform.records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")

    page = await console(browser, platform, look=True)
    assert await page.locator("html").get_attribute("lang") == "ru"
    row = page.locator("#queue tr", has_text="Анна Иванова")
    await row.get_by_text("ОРВИ, COVID-19, звук").wait_for()
    text = await page.locator("main").inner_text()
    for english in ("Take next", "Queue", "respiratory", "audio", "Sign"):
        assert english not in text, english
    await looked_at(page, "queue-ru")

    await page.get_by_role("button", name="Принять следующего").click()
    await page.get_by_text("21.11.2026: J02.9", exact=False).wait_for()  # the clinic's date
    await page.get_by_text("Tamoxifen, 20 mg, до 24.02.2027").wait_for()  # the patient's card
    triage = page.locator("select[name=triage] option[value=green]")
    assert await triage.text_content() == WORDS["ru"]["triage_green"]
    follow_up = await page.locator("select[name=follow_up_kind]").text_content()
    assert follow_up is not None and "in_person" not in follow_up and "очный приём" in follow_up

    # English is a choice, and the console keeps it on the next visit.
    await page.get_by_role("link", name="English").click()
    await page.get_by_role("button", name="Take next patient").wait_for()
    await page.goto(f"{platform.url}console")
    assert await page.locator("html").get_attribute("lang") == "en"
    await page.get_by_role("button", name="Take next patient").wait_for()
    await looked_at(page, "call-en")
    await page.get_by_role("link", name="Русский").click()
    await page.get_by_role("button", name="Принять следующего").wait_for()


async def listing_when(doctor: Party, holds: Any) -> Any:
    """The queue as the doctor lists it, once `holds(waiting)` (the server handles a closed
    socket a moment after the client closed it)."""
    for _ in range(100):
        listing = await doctor.call("queue.list", {})
        if listing["waiting"] and holds(listing["waiting"]):
            return listing
        await asyncio.sleep(0.1)
    raise AssertionError(listing)


async def test_the_queue_knows_who_is_there(platform: Platform) -> None:
    """Take next skips a patient who closed their page; back soon, they keep their place;
    away too long, they leave the queue; a call the patient never joined has no protocol."""
    _, key = await platform.doctor()
    doctor = Party(platform.url, {"key": key})
    await doctor.connect()
    anna, anna_session = await waiting_patient(platform, "Анна Иванова")
    boris, _ = await waiting_patient(platform, "Борис Петров")
    vera, _ = await waiting_patient(platform, "Вера Сидорова")
    parties = [doctor, anna, boris, vera]
    try:
        await anna.close()  # Анна closed the browser
        listing = await listing_when(doctor, lambda w: w[0]["away_since"] is not None)
        assert listing["waiting"][0]["patient_name"] == "Анна Иванова"
        assert listing["waiting"][0]["away_since"] is not None
        assert all(w["away_since"] is None for w in listing["waiting"][1:])

        named = await doctor.call(
            "consultation.take", {"consultation_id": listing["waiting"][0]["consultation_id"]}
        )
        assert named["code"] == "not_present"
        taken = await doctor.call("consultation.take", {})
        started = await boris.next("consultation.started")
        assert started["consultation_id"] == taken["consultation_id"]

        # Борис never offered his audio: the hang-up cancels the call and writes nothing.
        assert await doctor.call("hangup", {"consultation_id": taken["consultation_id"]}) == {
            "ok": True
        }
        ended = await doctor.next("consultation.ended")
        assert ended["draft"] is False
        assert await platform.records.latest_protocol(taken["consultation_id"]) is None
        cancelled = await platform.records.consultation(taken["consultation_id"])
        assert cancelled is not None and cancelled.status == ConsultationStatus.CANCELLED.value

        # Анна comes back within the time: first in the queue again, before Вера.
        anna = Party(platform.url, {"session": anna_session})
        parties.append(anna)
        await anna.connect()
        assert (await anna.next("queue.joined"))["position"] == 1
        listing = await doctor.call("queue.list", {})
        assert [(w["patient_name"], w["away_since"]) for w in listing["waiting"]] == [
            ("Анна Иванова", None),
            ("Вера Сидорова", None),
        ]

        # Away longer than the setting, she leaves the queue and joins anew behind Вера.
        await anna.close()
        await listing_when(doctor, lambda w: w[0]["away_since"] is not None)
        await asyncio.sleep(AWAY_S + 0.5)
        listing = await doctor.call("queue.list", {})
        assert [w["patient_name"] for w in listing["waiting"]] == ["Вера Сидорова"]
        anna = Party(platform.url, {"session": anna_session})
        parties.append(anna)
        await anna.connect()
        assert (await anna.call("queue.join", {}))["position"] == 2
        assert not anna.events["queue.joined"][:-1], "no old place was handed back"
        assert (await doctor.call("consultation.take", {}))["ok"]
        assert (await vera.next("consultation.started"))["patient_id"]
    finally:
        for party in parties:
            await party.close()


@pytest.mark.parametrize("away_s", [600])  # the browser takes seconds to start
async def test_the_console_shows_presence_and_a_call_nobody_joined(
    platform: Platform,
    browser: Any,
) -> None:
    await platform.doctor(login="irina", password="correct horse battery")
    anna, _ = await waiting_patient(platform, "Анна Иванова")
    boris, _ = await waiting_patient(platform, "Борис Петров")
    try:
        await anna.close()
        page = await console(browser, platform)
        away = page.locator("#queue tr", has_text="Анна Иванова")
        await away.get_by_text(re.compile(r"не на связи с \d{1,2}:\d\d")).wait_for()
        assert await away.get_by_role("button").is_disabled()
        await page.locator("#queue tr", has_text="Борис Петров").get_by_text("на связи").wait_for()
        await looked_at(page, "queue-presence")

        await page.get_by_role("button", name="Принять следующего").click()
        await boris.next("consultation.started")
        await page.get_by_role("button", name="Завершить").click()
        await page.get_by_text(WORDS["ru"]["never_connected"]).wait_for()
        assert await page.locator("#review").is_hidden()
    finally:
        await anna.close()
        await boris.close()


async def test_the_call_panel_survives_a_reload_and_signing_asks_first(
    platform: Platform,
    browser: Any,
) -> None:
    """Who, why, how long and the connection; an audio call with no black box; a reload
    keeps the captions and the call; the preview follows the edits; an empty or
    contradictory protocol is questioned before it is signed; sign-out."""
    ru = WORDS["ru"]
    patient_id, token = await platform.invited()
    born = date(datetime.now(UTC).year - 34, 1, 1)
    async with platform.records._session() as s, s.begin():
        await s.execute(update(Patient).where(Patient.id == patient_id).values(birth_date=born))
    await platform.doctor(login="irina", password="correct horse battery")
    page = await console(browser, platform)
    await page.get_by_text(ru["queue_empty"]).wait_for()
    await looked_at(page, "empty-queue")

    patient = await browser("patient", None)
    await sign_in(patient, platform, f"{platform.url}join/{token}")
    await patient.get_by_role("button", name="Встать в очередь").click()
    await page.get_by_role("cell", name="Анна Иванова", exact=True).wait_for()
    assert await page.get_by_text(ru["queue_empty"]).is_hidden()
    await page.get_by_role("button", name=ru["take_next"]).click()

    call = page.locator("#call")
    await call.get_by_role("heading", name=f"{ru['call']}: Анна Иванова").wait_for()
    await call.get_by_text(ru["reason_respiratory"]).wait_for()
    years = age(born, platform.settings.timezone)
    await call.get_by_text(f"{years} года", exact=False).wait_for()  # 34: "года", as Russian says
    await call.get_by_text(ru["mode_audio"], exact=True).wait_for()
    await call.get_by_text(ru["conn_connected"]).wait_for(timeout=30_000)
    assert await page.locator("#remote").is_hidden()  # audio: no empty black box
    await expect(page.locator("#call-timer")).not_to_have_text("0:00", timeout=10_000)
    await looked_at(page, "call-audio")

    # A phrase of the patient's as the media worker delivers it: stored, then captioned.
    consultation = await platform.records.open_consultation_of(patient_id)
    assert consultation is not None
    sink = CaptionSink(platform.records, platform.server.app[PLATFORM].rooms)
    await sink.segment(
        Segment(consultation.id, Speaker.PATIENT, 1, 3, "болит горло третий день", 1.0)
    )
    await page.locator("#captions li.patient", has_text="болит горло").wait_for()
    await page.reload()
    await page.locator("#captions li.patient", has_text="болит горло").wait_for()
    await page.get_by_text(ru["in_call"]).wait_for()
    await page.locator("#heard", has_text="«болит горло третий день»").wait_for()
    await page.locator("#live-suggestions li.suggestion").first.wait_for()  # and suggested on
    assert await page.locator("#call-timer").text_content() != "0:00"
    assert await page.get_by_text(ru["signed_in"], exact=True).count() == 0
    await looked_at(page, "call-reloaded")

    await page.get_by_role("button", name=ru["hangup"]).click()
    await page.get_by_text(ru["draft_ready"].format(version=1)).wait_for(timeout=30_000)
    await page.get_by_label(ru["complaints_label"]).fill("")
    await page.get_by_label(ru["icd"]).fill("")
    await page.get_by_label(ru["diagnosis"], exact=True).fill("")
    await page.get_by_role("button", name=ru["sign"]).click()
    warnings = page.get_by_role("alert")
    await warnings.get_by_text(ru["warn_empty"]).wait_for()
    await looked_at(page, "sign-warnings")
    assert await platform.records.latest_protocol(consultation.id, signed_only=True) is None

    # The preview follows the edits; a red triage with no follow-up is questioned too.
    await page.get_by_label(ru["icd"]).fill("J06.9")
    await page.get_by_label(ru["diagnosis"], exact=True).fill("ОРВИ, лёгкое течение")
    await page.locator("#protocol", has_text="ОРВИ, лёгкое течение").wait_for()
    await page.get_by_label(ru["triage"]).select_option("red")
    await page.get_by_label(ru["follow_up"]).select_option("none")
    await page.get_by_role("button", name=ru["sign"]).click()
    await warnings.get_by_text(ru["warn_red_no_follow_up"]).wait_for()
    assert await warnings.get_by_text(ru["warn_empty"]).count() == 0
    await page.get_by_role("button", name=ru["sign_anyway"]).click()
    await page.get_by_text(ru["signed"].format(version=2)).wait_for()
    await looked_at(page, "signed")
    signed = await platform.records.latest_protocol(consultation.id, signed_only=True)
    assert signed is not None
    diagnosis = signed.data["diagnosis"]
    assert isinstance(diagnosis, dict) and diagnosis["code"] == "J06.9"

    await page.get_by_role("button", name=ru["sign_out"]).click()
    await page.get_by_text(ru["signed_out"]).wait_for()
    await page.reload()
    await page.get_by_label(ru["login"]).wait_for()
    assert await page.locator("#desk").is_hidden()
    await looked_at(page, "signed-out")


async def test_the_draft_fills_in_during_the_call_and_keeps_the_doctors_edits(
    platform: Platform,
    browser: Any,
) -> None:
    """Complaints, vital signs and diagnosis suggestions appear in the editor as they are
    heard, each beside its phrase; what the doctor edits mid-call stays through later phrases
    and through the hang-up's draft."""
    ru = WORDS["ru"]
    patient_id, _ = await platform.invited()
    await platform.doctor(login="irina", password="correct horse battery")
    consultation = await platform.records.enqueue(
        patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru"
    )
    page = await console(browser, platform)
    await page.get_by_role("button", name=ru["take_next"]).click()
    await page.locator("#call").wait_for()
    sink = CaptionSink(platform.records, platform.server.app[PLATFORM].rooms)
    said = [
        (Speaker.PATIENT, "болит горло третий день"),
        (Speaker.DOCTOR, "температура тридцать восемь и два"),
        (Speaker.PATIENT, "ещё кашель и насморк"),
    ]

    async def say(index: int) -> None:
        speaker, text = said[index]
        await sink.segment(Segment(consultation.id, speaker, 2 * index, 2 * index + 2, text, 1.0))

    await say(0)
    complaints = page.get_by_label(ru["complaints_label"])
    # In the console's language: "боль в горле", though the protocol keeps "sore throat".
    await expect(complaints).to_have_value(re.compile("боль в горле"), timeout=30_000)
    heard = page.locator("#heard")
    await heard.get_by_role("button", name="боль в горле: «болит горло третий день»").wait_for()
    assert await page.get_by_role("button", name=ru["sign"]).is_disabled()  # the call is on

    # The doctor corrects the complaint mid-call; the next phrases do not undo it.
    await complaints.fill("боль в горле, осиплость")
    await say(1)
    temperature = page.locator("[name=vital_temperature_c]")
    await expect(temperature).to_have_value("38.2", timeout=30_000)
    await heard.get_by_text("Температура, °C 38.2: «температура тридцать восемь и два»").wait_for()
    await say(2)
    await heard.get_by_text("кашель: «ещё кашель и насморк»").wait_for()
    await heard.get_by_text("J06.9", exact=False).first.wait_for()
    assert await complaints.input_value() == "боль в горле, осиплость"
    # The preview beside the editor follows the live draft and the doctor's edit.
    await page.locator("#protocol", has_text="38.2").wait_for()
    await page.locator("#protocol", has_text="осиплость").wait_for()
    # Each finding leads to its phrase among the captions.
    await heard.get_by_role("button", name=re.compile("«болит горло")).first.click()
    await page.locator("#captions li.cited", has_text="болит горло третий день").wait_for()
    await looked_at(page, "live-draft")

    await page.get_by_role("button", name=ru["hangup"]).click()
    await page.get_by_text(ru["draft_ready"].format(version=1)).wait_for(timeout=30_000)
    assert await page.get_by_role("button", name=ru["sign"]).is_enabled()
    assert await complaints.input_value() == "боль в горле, осиплость"
    assert await temperature.input_value() == "38.2"
    # What is signed keeps the complaint's name; one typed with no name is kept as typed.
    read = await page.evaluate(
        """() => ProtocolEditor.read(document.getElementById("editor"), {
          complaints: [], vitals: {}, diagnosis: null, diagnosis_suggestions: [],
          medications: [], recommendations: [], sick_leave: null,
          triage: { level: "green", reasons: [], segments: [] },
          follow_up: { kind: "none", in_days: null, segments: [] } })"""
    )
    assert [c["name"] for c in read["complaints"]] == ["sore throat", "осиплость"]


def test_an_age_counts_full_years_on_the_clinics_day() -> None:
    born = date(1990, 3, 15)
    # 21:30 UTC on 14 March is already the 15th in Moscow: the birthday has come there.
    assert age(born, "Europe/Moscow", datetime(2024, 3, 14, 21, 30, tzinfo=UTC)) == 34
    assert age(born, "UTC", datetime(2024, 3, 14, 21, 30, tzinfo=UTC)) == 33
    assert age(date(2000, 2, 29), "UTC", datetime(2023, 2, 28, 12, tzinfo=UTC)) == 22
