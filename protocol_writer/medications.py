"""Medicines the doctor prescribes or renews, with dose, frequency and duration."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from protocol_writer.cues import Utterance, phrases, vocabulary
from protocol_writer.protocol import Medication
from protocol_writer.timewords import days_lasting

FUZZY_SCORE = 88  # recognisers misspell drug names: "тамоксефен" is still tamoxifen


def _forms() -> dict[str, str]:
    return {form: name for name, entry in vocabulary("drugs").items() if not name.startswith("_")
            for form in entry["forms"]}


def _drug_at(token: str) -> str | None:
    forms = _forms()
    for form, name in forms.items():
        if token.startswith(form) or (" " not in form and form.startswith(token)
                                      and len(token) > 5):
            return name
    if len(token) >= 6:
        match = process.extractOne(token, [f for f in forms if " " not in f], scorer=fuzz.ratio,
                                   score_cutoff=FUZZY_SCORE)
        if match is not None:
            return forms[match[0]]
    return None


def _dose(u: Utterance, after: int) -> str | None:
    units = phrases()["medication"]["dose_units"]
    for number in u.numbers:
        if number.start < after or number.end >= len(u.tokens):
            continue
        unit = next((v for k, v in units.items() if u.tokens[number.end].startswith(k)), None)
        if unit is not None:
            value = int(number.value) if number.is_integer else number.value
            return f"{value} {unit}"
    return None


def _frequency(u: Utterance) -> str | None:
    cues = phrases()["medication"]
    if u.has(cues["as_needed"]):
        return "as needed"
    if u.has(cues["thrice"]):
        return "3 times a day"
    if u.has(cues["twice"]):
        return "2 times a day"
    if u.has(cues["once"]):
        return "once a day"
    for number in u.numbers:  # "каждые восемь часов", "every eight hours"
        window = " ".join(u.tokens[max(0, number.start - 1):number.end + 1])
        if ("каждые" in window or "every" in window) and number.end < len(u.tokens) \
                and u.tokens[number.end].startswith(("час", "hour")):
            return f"every {int(number.value)} hours"
    return None


def extract_medications(items: list[Utterance]) -> tuple[Medication, ...]:
    drugs = vocabulary("drugs")
    renewal_cues = phrases()["medication"]["renewal"]
    found: dict[str, Medication] = {}
    phrases_ = {form: name for form, name in _forms().items() if " " in form}
    for u in items:
        if not u.by_doctor:
            continue
        mentions = [(position, _drug_at(token)) for position, token in enumerate(u.tokens)]
        mentions += [(u.token_at(u.text.find(f" {form} ") + 1), name)
                     for form, name in phrases_.items() if f" {form} " in u.text]
        for position, name in mentions:
            if name is None:
                continue
            token = u.tokens[position] if position < len(u.tokens) else ""
            if u.negated_at(u.text.find(f" {token}") + 1, len(token)):
                continue
            previous = found.get(name)
            medication = Medication(
                name=name,
                segments=(previous.segments if previous else ()) + (u.index,),
                dose=_dose(u, position) or (previous.dose if previous else None),
                frequency=_frequency(u) or (previous.frequency if previous else None),
                duration_days=days_lasting(u) or (previous.duration_days if previous else None),
                renewal=u.has(renewal_cues) or bool(previous and previous.renewal),
                oncology=bool(drugs[name]["oncology"]),
            )
            found[name] = medication
    return tuple(found.values())
