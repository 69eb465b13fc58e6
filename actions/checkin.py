"""Chemotherapy check-ins: the questionnaire, how its answers are triaged, and when a
doctor must have looked at a high-risk one.

The triage follows the shape of the UKONS 24-hour triage tool (red: act today; amber: watch;
green: routine), reduced to what a patient can answer alone at home. The thresholds are the
tool's; a centre that uses other ones changes `assess`, and the tests say which answers
must stay red.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


class BadCheckIn(ValueError):
    pass


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # "number" (with a step), "count" (whole, per 24 hours), "yesno", "scale"
    low: float
    high: float
    text: dict[str, str]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "temperature_c",
        "number",
        34.0,
        43.0,
        {"ru": "Температура тела сейчас, °C", "en": "Your temperature now, °C"},
    ),
    Question(
        "shivering",
        "yesno",
        0,
        1,
        {
            "ru": "Озноб или вы чувствуете себя плохо, даже без температуры?",
            "en": "Shivering, or feeling unwell even without a temperature?",
        },
    ),
    Question(
        "bleeding",
        "yesno",
        0,
        1,
        {
            "ru": "Кровотечение или синяки, которым нет объяснения?",
            "en": "Any bleeding, or bruises you cannot explain?",
        },
    ),
    Question(
        "vomiting_per_day",
        "count",
        0,
        50,
        {
            "ru": "Сколько раз была рвота за последние сутки?",
            "en": "How many times have you vomited in the last 24 hours?",
        },
    ),
    Question(
        "diarrhoea_per_day",
        "count",
        0,
        50,
        {
            "ru": "Сколько раз был жидкий стул за сутки сверх обычного?",
            "en": "How many loose stools in 24 hours, above your usual?",
        },
    ),
    Question(
        "drinking",
        "yesno",
        0,
        1,
        {
            "ru": "Вы можете пить и удерживать жидкость?",
            "en": "Can you drink and keep fluids down?",
        },
    ),
    Question(
        "breathless",
        "yesno",
        0,
        1,
        {"ru": "Одышка или боль в груди?", "en": "Short of breath, or chest pain?"},
    ),
    Question(
        "pain",
        "scale",
        0,
        10,
        {
            "ru": "Боль от 0 (нет) до 10 (нестерпимая)",
            "en": "Pain from 0 (none) to 10 (unbearable)",
        },
    ),
)

# What each flag means to the doctor reading the check-in.
FLAG_TEXT = {
    "fever": {"ru": "температура 37,5 °C и выше", "en": "temperature 37.5 °C or above"},
    "low_temperature": {"ru": "температура 36,0 °C и ниже", "en": "temperature 36.0 °C or below"},
    "raised_temperature": {"ru": "температура 37,0–37,4 °C", "en": "temperature 37.0-37.4 °C"},
    "shivering": {"ru": "озноб, плохое самочувствие", "en": "shivering, feeling unwell"},
    "bleeding": {"ru": "кровотечение", "en": "bleeding"},
    "vomiting": {"ru": "рвота", "en": "vomiting"},
    "severe_vomiting": {"ru": "рвота 6 раз в сутки и чаще", "en": "vomiting 6 or more times a day"},
    "diarrhoea": {"ru": "диарея", "en": "diarrhoea"},
    "severe_diarrhoea": {
        "ru": "диарея 7 раз в сутки и чаще",
        "en": "diarrhoea 7 or more times a day",
    },
    "not_drinking": {"ru": "не может пить", "en": "cannot drink"},
    "breathless": {"ru": "одышка или боль в груди", "en": "short of breath or chest pain"},
    "pain": {"ru": "боль 4–6 из 10", "en": "pain 4-6 of 10"},
    "severe_pain": {"ru": "боль 7 из 10 и сильнее", "en": "pain 7 of 10 or worse"},
}


@dataclass(frozen=True)
class Assessment:
    level: str  # red, amber, green
    flags: tuple[str, ...]

    @property
    def high_risk(self) -> bool:
        return self.level == "red"


def parse_answers(body: dict[str, object]) -> dict[str, float | int | bool]:
    """Every question answered, each within its range; raises BadCheckIn naming the first
    that is not. Unknown keys are refused too: a typo must not pass as "not answered"."""
    known = {q.key for q in QUESTIONS}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadCheckIn(f"unknown answer: {unknown[0][:40]}")
    answers: dict[str, float | int | bool] = {}
    for q in QUESTIONS:
        value = body.get(q.key)
        if q.kind == "yesno":
            if not isinstance(value, bool):
                raise BadCheckIn(f"{q.key}: answer true or false")
            answers[q.key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadCheckIn(f"{q.key}: a number from {q.low:g} to {q.high:g} is needed")
        if q.kind != "number" and value != int(value):
            raise BadCheckIn(f"{q.key}: a whole number is needed")
        if not q.low <= value <= q.high:
            raise BadCheckIn(f"{q.key}: a number from {q.low:g} to {q.high:g} is needed")
        answers[q.key] = round(float(value), 1) if q.kind == "number" else int(value)
    return answers


def assess(answers: dict[str, float | int | bool]) -> Assessment:
    red: list[str] = []
    amber: list[str] = []
    temperature = float(answers["temperature_c"])
    if temperature >= 37.5:
        red.append("fever")
    elif temperature <= 36.0:
        red.append("low_temperature")
    elif temperature >= 37.0:
        amber.append("raised_temperature")
    if answers["shivering"]:
        # Sepsis after chemotherapy can come without fever: shivering alone is watched,
        # with any temperature change it is already red above.
        amber.append("shivering")
    if answers["bleeding"]:
        red.append("bleeding")
    for key, flag, amber_from, red_from in (
        ("vomiting_per_day", "vomiting", 3, 6),
        ("diarrhoea_per_day", "diarrhoea", 4, 7),
    ):
        count = int(answers[key])
        if count >= red_from:
            red.append(f"severe_{flag}")
        elif count >= amber_from:
            amber.append(flag)
    if not answers["drinking"]:
        red.append("not_drinking")
    if answers["breathless"]:
        red.append("breathless")
    pain = int(answers["pain"])
    if pain >= 7:
        red.append("severe_pain")
    elif pain >= 4:
        amber.append("pain")
    level = "red" if red else "amber" if amber else "green"
    return Assessment(level, tuple(red + amber))


def review_due(submitted: datetime, zone: ZoneInfo) -> datetime:
    """The end of the next business day after the one the answers came on (Saturdays and
    Sundays are not business days; public holidays are not known here)."""
    day = submitted.astimezone(zone).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(23, 59, 59), zone)


def questionnaire(language: str) -> list[dict[str, object]]:
    lang = language if language in ("ru", "en") else "ru"
    return [
        {"key": q.key, "kind": q.kind, "low": q.low, "high": q.high, "text": q.text[lang]}
        for q in QUESTIONS
    ]


def flag_texts(flags: list[str] | tuple[str, ...], language: str) -> list[str]:
    lang = language if language in ("ru", "en") else "ru"
    return [FLAG_TEXT.get(f, {}).get(lang, f) for f in flags]
