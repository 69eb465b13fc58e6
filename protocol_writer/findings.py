"""What the patient reports (complaints) and their history (anamnesis)."""

from __future__ import annotations

from protocol_writer.cues import Utterance, phrases, vocabulary
from protocol_writer.protocol import AnamnesisItem, Complaint, Vital
from protocol_writer.timewords import days_lasting

FEVER_FROM_C = 37.2
# "pain" is a catch-all: it stands only when nothing more precise named the pain.
PRECISE_PAINS = ("sore throat", "headache", "chest pain", "muscle ache", "joint pain", "back pain",
                 "abdominal pain", "ear pain")


def _matches(u: Utterance, stems: list[str]) -> bool:
    """A stem occurs in u and is not denied there."""
    for stem in stems:
        position = u.text.find(stem)
        while position >= 0:
            if not u.negated_at(position, len(stem)):
                return True
            position = u.text.find(stem, position + 1)
    return False


def _denied_in_answer(answer: Utterance | None) -> bool:
    """"кашель есть?" / "нет": the patient denies what the doctor asked about."""
    return answer is not None and answer.by_patient and answer.tokens[:1] in (["нет"], ["no"])


def extract_complaints(items: list[Utterance], vitals: dict[str, Vital]) -> tuple[Complaint, ...]:
    """Complaints the patient states and does not deny; a duration said in the same segment
    ("второй день температура и заложен нос") belongs to each complaint of that segment."""
    vocabulary_ = {k: v for k, v in vocabulary("complaints").items() if not k.startswith("_")}
    found: dict[str, list[int]] = {}
    durations: dict[str, int] = {}
    denied: set[str] = set()
    by_index = {u.index: u for u in items}
    for position, u in enumerate(items):
        answer = items[position + 1] if position + 1 < len(items) else None
        for name, stems in vocabulary_.items():
            if u.by_doctor and u.has(stems) and _denied_in_answer(answer):
                denied.add(name)
            if u.by_patient and _matches(u, stems):
                found.setdefault(name, []).append(u.index)
    temperature = vitals.get("temperature_c")
    if temperature is not None and temperature.value >= FEVER_FROM_C:
        found.setdefault("fever", []).extend(temperature.segments)
    for name, indices in found.items():
        for index in indices:
            said = by_index.get(index)
            lasting = days_lasting(said) if said is not None and said.by_patient else None
            if lasting is not None:
                durations[name] = lasting
                break
    if "pain" in found and any(p in found for p in PRECISE_PAINS):
        del found["pain"]
    return tuple(Complaint(name, tuple(sorted(set(indices))), durations.get(name))
                 for name, indices in found.items() if name not in denied)


def extract_anamnesis(items: list[Utterance]) -> tuple[AnamnesisItem, ...]:
    """History the patient tells, or the doctor dictates as history ("в анамнезе диабет")."""
    cues = phrases()["anamnesis"]
    found: list[AnamnesisItem] = []
    for u in items:
        if not (u.by_patient or u.has(phrases()["history_markers"])):
            continue
        for kind, stems in cues.items():
            for stem in stems:
                position = u.text.find(stem)
                if position < 0:
                    continue
                negated = u.negated_at(position, len(stem)) or (
                    kind == "covid_test" and u.has(["отрицательн", "negative"]))
                found.append(AnamnesisItem(kind, u.text.strip(), negated, (u.index,)))
                break
    return tuple(found)
