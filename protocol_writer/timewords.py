"""How long and how soon: "второй день", "for four days", "через два месяца", "in a week"."""

from __future__ import annotations

from protocol_writer.cues import Utterance

UNITS_DAYS = {
    "день": 1,
    "дня": 1,
    "дней": 1,
    "дню": 1,
    "сутки": 1,
    "суток": 1,
    "day": 1,
    "days": 1,
    "неделю": 7,
    "недели": 7,
    "недель": 7,
    "неделя": 7,
    "week": 7,
    "weeks": 7,
    "месяц": 30,
    "месяца": 30,
    "месяцев": 30,
    "month": 30,
    "months": 30,
}
ORDINAL_DAYS = {
    "второй": 2,
    "третий": 3,
    "четвертый": 4,
    "пятый": 5,
    "шестой": 6,
    "седьмой": 7,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
}
LEAD_IN = {"через", "in", "within", "after"}
SPAN = {"на", "for", "уже", "в", "течение", "последние", "past", "last"}


def _amount_then_unit(u: Utterance, lead_words: set[str]) -> int | None:
    tokens = u.tokens
    for number in u.numbers:
        if number.end < len(tokens) and tokens[number.end] in UNITS_DAYS:
            before = set(tokens[max(0, number.start - 2) : number.start])
            if lead_words & before:
                return int(number.value * UNITS_DAYS[tokens[number.end]])
    for i, token in enumerate(tokens[:-1]):
        # "через неделю", "in a week", "через месяц": an implied one; "раз в день" is a rate.
        if token == "в" and tokens[i + 1] in ("день", "сутки"):
            continue
        if token in lead_words and tokens[i + 1] in UNITS_DAYS:
            return UNITS_DAYS[tokens[i + 1]]
        if (
            token in lead_words
            and tokens[i + 1] == "a"
            and i + 2 < len(tokens)
            and tokens[i + 2] in UNITS_DAYS
        ):
            return UNITS_DAYS[tokens[i + 2]]
    return None


def days_until(u: Utterance) -> int | None:
    """In how many days something is to happen: "через три дня" -> 3."""
    return _amount_then_unit(u, LEAD_IN)


def days_lasting(u: Utterance) -> int | None:
    """How long something lasts or lasted: "на пять дней", "for four days", "второй день"."""
    for i, token in enumerate(u.tokens[:-1]):
        if token in ORDINAL_DAYS and u.tokens[i + 1] in ("день", "сутки", "day", "неделю"):
            return ORDINAL_DAYS[token] * (7 if u.tokens[i + 1] == "неделю" else 1)
    found = _amount_then_unit(u, SPAN)
    if found is not None:
        return found
    tokens = u.tokens
    for number in u.numbers:  # "три дня", "four days now": a bare amount of days
        if number.end < len(tokens) and tokens[number.end] in UNITS_DAYS:
            before = set(tokens[max(0, number.start - 1) : number.start])
            if not (before & LEAD_IN):
                return int(number.value * UNITS_DAYS[tokens[number.end]])
    if u.has(["со вчера", "с вечера", "since yesterday", "вчера", "yesterday"]):
        return 1
    return None
