"""Chemotherapy check-ins: triage of the answers, the review deadline, and the path from a
high-risk answer on the patient's page to an urgent place in the queue and a doctor's review."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from actions.checkin import BadCheckIn, assess, parse_answers, review_due
from harness.client import Party
from tests.conftest import Platform
from tests.test_actions import call

WELL: dict[str, Any] = {
    "temperature_c": 36.6,
    "shivering": False,
    "bleeding": False,
    "vomiting_per_day": 0,
    "diarrhoea_per_day": 0,
    "drinking": True,
    "breathless": False,
    "pain": 1,
}
MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.mark.parametrize(
    ("change", "level", "flags"),
    [
        ({}, "green", ()),
        ({"temperature_c": 38.2}, "red", ("fever",)),
        ({"temperature_c": 37.5}, "red", ("fever",)),
        ({"temperature_c": 37.2}, "amber", ("raised_temperature",)),
        ({"temperature_c": 35.8}, "red", ("low_temperature",)),
        ({"bleeding": True}, "red", ("bleeding",)),
        ({"vomiting_per_day": 6}, "red", ("severe_vomiting",)),
        ({"vomiting_per_day": 3}, "amber", ("vomiting",)),
        ({"diarrhoea_per_day": 7}, "red", ("severe_diarrhoea",)),
        ({"drinking": False}, "red", ("not_drinking",)),
        ({"breathless": True}, "red", ("breathless",)),
        ({"pain": 5, "shivering": True}, "amber", ("shivering", "pain")),
        (
            {"temperature_c": 38.5, "pain": 8, "shivering": True},
            "red",
            ("fever", "severe_pain", "shivering"),
        ),
    ],
)
def test_answers_are_triaged(change: dict[str, Any], level: str, flags: tuple[str, ...]) -> None:
    assessment = assess(parse_answers({**WELL, **change}))
    assert (assessment.level, assessment.flags) == (level, flags)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"temperature_c": 48}, "temperature_c"),
        ({"temperature_c": "38"}, "temperature_c"),
        ({"bleeding": "no"}, "bleeding"),
        ({"vomiting_per_day": 2.5}, "whole number"),
        ({"pain": True}, "pain"),
        ({"fevre": True}, "unknown answer"),
    ],
)
def test_bad_answers_are_refused_by_name(change: dict[str, Any], message: str) -> None:
    with pytest.raises(BadCheckIn, match=message):
        parse_answers({**WELL, **change})
    missing = dict(WELL)
    del missing["drinking"]
    with pytest.raises(BadCheckIn, match="drinking"):
        parse_answers(missing)


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (datetime(2026, 11, 24, 10, 0), datetime(2026, 11, 25, 23, 59, 59)),  # Tuesday
        (datetime(2026, 11, 27, 15, 0), datetime(2026, 11, 30, 23, 59, 59)),  # Friday → Monday
        (datetime(2026, 11, 28, 9, 0), datetime(2026, 11, 30, 23, 59, 59)),  # Saturday
        (datetime(2026, 11, 29, 23, 30), datetime(2026, 11, 30, 23, 59, 59)),  # Sunday night
    ],
)
def test_a_review_is_due_by_the_end_of_the_next_business_day(
    submitted: datetime, due: datetime
) -> None:
    assert review_due(submitted.replace(tzinfo=MOSCOW), MOSCOW) == due.replace(tzinfo=MOSCOW)


async def test_a_high_risk_check_in_jumps_the_queue_and_is_reviewed(platform: Platform) -> None:
    records = platform.records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    other_centre = await records.add_organisation("oncology_centre", "Онкоцентр №2")
    patient_id, session = await platform.patient("Мария Соколова", oncology_centre_id=centre.id)
    _, routine_session = await platform.patient("Пётр Ранний")
    _, oncologist_key = await platform.doctor(
        "Олег Онкологов", specialty="oncologist", organisation_id=centre.id
    )
    _, stranger_key = await platform.doctor(
        "Чужой онколог", specialty="oncologist", organisation_id=other_centre.id
    )
    base = f"{platform.url}api/patients/{patient_id}"

    async with aiohttp.ClientSession() as http:
        status, body = await call(http, "POST", f"{base}/checkins", session, WELL)
        assert (status, body["error"]) == (409, "not_under_chemotherapy")
        # Only the patient's own centre starts a course.
        status, _ = await call(http, "PUT", f"{base}/chemotherapy", stranger_key, {"active": True})
        assert status == 404
        status, body = await call(
            http, "PUT", f"{base}/chemotherapy", oncologist_key, {"active": True}
        )
        assert (status, body) == (200, {"under_chemotherapy": True})

        status, body = await call(http, "GET", f"{base}/checkins?lang=en", session)
        assert status == 200 and body["urgent_offer"] is False
        assert body["questions"][0]["key"] == "temperature_c"
        status, body = await call(
            http, "POST", f"{base}/checkins", session, {**WELL, "pain": "a lot"}
        )
        assert (status, body["error"]) == (400, "bad_request") and "pain" in body["message"]
        status, body = await call(
            http,
            "POST",
            f"{base}/checkins?lang=en",
            session,
            {**WELL, "temperature_c": 38.4, "shivering": True},
        )
        assert status == 201 and body["urgent_offer"] is True
        checkin = body["checkin"]
        assert checkin["level"] == "red" and checkin["flags"] == ["fever", "shivering"]
        assert checkin["flag_texts"][0] == "temperature 37.5 °C or above"
        assert checkin["review_due_at"] is not None and checkin["overdue"] is False

        status, due = await call(http, "GET", f"{platform.url}api/checkins/reviews", oncologist_key)
        assert status == 200 and [c["id"] for c in due["checkins"]] == [checkin["id"]]
        status, other = await call(http, "GET", f"{platform.url}api/checkins/reviews", stranger_key)
        assert status == 200 and other["checkins"] == []

    # A routine patient queued first; the high-risk one is taken first all the same.
    routine = Party(platform.url, {"session": routine_session})
    patient = Party(platform.url, {"session": session})
    doctor = Party(platform.url, {"key": oncologist_key})
    try:
        for party in (routine, patient, doctor):
            await party.connect()
        assert (await routine.call("queue.join", {}))["ok"] is True
        joined = await patient.call("queue.join", {"reason": "respiratory"})
        assert joined["position"] == 1 and joined["reason"] == "chemo_checkin"
        listing = await doctor.call("queue.list", {})
        assert [(w["patient_name"], w["urgent"]) for w in listing["waiting"]] == [
            ("Мария Соколова", True),
            ("Пётр Ранний", False),
        ]
        taken = await doctor.call("consultation.take", {})
        assert taken["consultation_id"] == joined["consultation_id"]
    finally:
        for party in (routine, patient, doctor):
            await party.close()

    async with aiohttp.ClientSession() as http:
        review = f"{platform.url}api/checkins/{checkin['id']}/review"
        status, _ = await call(http, "POST", review, stranger_key, {"note": "?"})
        assert status == 404
        status, body = await call(
            http,
            "POST",
            review,
            oncologist_key,
            {"note": "Фебрильная нейтропения исключена, ОАК завтра"},
        )
        assert (status, body["reviewed"]) == (200, True)
        status, body = await call(http, "POST", review, oncologist_key, {"note": "again"})
        assert (status, body["error"]) == (409, "already_reviewed")
        status, due = await call(http, "GET", f"{platform.url}api/checkins/reviews", oncologist_key)
        assert due["checkins"] == []
        status, body = await call(http, "GET", f"{base}/checkins", session)
        assert body["urgent_offer"] is False
        assert body["checkins"][0]["reviewed_by"] == "Олег Онкологов"
        assert body["checkins"][0]["review_note"].startswith("Фебрильная")

    # Once reviewed, the next queue place is routine again.
    assert await records.unreviewed_high_risk(patient_id) is None
    audit = [(e.action, e.outcome) for e in await records.audit_entries(patient_id)]
    for action in ("chemotherapy.write", "checkin.write", "checkins.read", "checkin.review"):
        assert (action, "ok") in audit, action
    refused = [e for e in await records.audit_entries() if e.outcome == "refused"]
    assert {e.action for e in refused} >= {"chemotherapy.write", "checkin.review"}
