"""What the patient reports (complaints) and their history (anamnesis)."""

from __future__ import annotations

from functools import cache

from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, phrases, vocabulary
from protocol_writer.protocol import AnamnesisItem, Complaint, Vital
from protocol_writer.timewords import days_lasting

FEVER_FROM_C = 37.5  # a reading from here is a fever (UKONS's threshold too)
# "pain" is a catch-all: it stands only when nothing more precise named the pain.
PRECISE_PAINS = (
    "sore throat",
    "headache",
    "chest pain",
    "muscle ache",
    "joint pain",
    "back pain",
    "abdominal pain",
    "ear pain",
)


Span = tuple[int, int, str]  # start and end character in the utterance's text, complaint


def _stated(u: Utterance, position: int, length: int) -> bool:
    """Not denied there ("кашля нет") and not only supposed ("если заболит голова")."""
    token = min(
        u.token_at(position + 1 if u.text[position] == " " else position), len(u.tokens) - 1
    )
    return (
        not u.negated_at(position, length)
        and Modifier.HYPOTHETICAL not in modifiers(u.tokens)[token]
    )


def _phrase_spans(u: Utterance, vocabulary_: dict[str, list[str]]) -> list[Span]:
    spans: list[Span] = []
    for name, stems in vocabulary_.items():
        for stem in stems:
            position = u.text.find(stem)
            while position >= 0:
                if _stated(u, position, len(stem)) and not (
                    name == "fever" and _reading_follows(u, position)
                ):
                    spans.append((position, position + len(stem), name))
                position = u.text.find(stem, position + 1)
    return spans


def _reading_follows(u: Utterance, position: int) -> bool:
    """ "температура тридцать семь и один": the reading, not the word, says if it is a fever."""
    token = u.token_at(position + 1 if u.text[position] == " " else position)
    return any(token < n.start <= token + 4 for n in u.numbers)


def _char_span(u: Utterance, first: int, last: int) -> tuple[int, int]:
    starts = [i + 1 for i, c in enumerate(u.text) if c == " "][: len(u.tokens)]
    return starts[first], starts[last] + len(u.tokens[last])


NEGATIONS = frozenset({"не", "нет", "no", "not", "t", "never"})


@cache
def _site_rules() -> tuple[int, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]]:
    table = vocabulary("complaint_sites")
    return int(table["window"]), tuple(
        (name, tuple(rule["sites"]), tuple(f for f in rule["feelings"] if " " not in f))
        for name, rule in table["sites"].items()
    )


def _site_spans(u: Utterance) -> list[Span]:
    """A body site and a feeling a few words apart, either order: "голова в затылке болит"."""
    window, rules = _site_rules()
    negations = NEGATIONS
    spans: list[Span] = []
    for name, site_stems, feeling_stems in rules:
        sites = [i for i, t in enumerate(u.tokens) if t.startswith(site_stems)]
        if not sites:
            continue
        feelings = [i for i, t in enumerate(u.tokens) if t.startswith(feeling_stems)]
        for site in sites:
            for feeling in feelings:
                around = set(u.tokens[max(0, feeling - 1) : feeling]) | set(
                    u.tokens[feeling + 1 : feeling + 2]
                )  # "не болит", "болеть не будут"
                if site == feeling or abs(site - feeling) > window or around & negations:
                    continue
                first, last = min(site, feeling), max(site, feeling)
                start, end = _char_span(u, first, last)
                if _stated(u, start - 1, end - start + 1):
                    spans.append((start, end, name))
    return spans


def _outermost(spans: list[Span]) -> list[Span]:
    """A complaint found inside another's longer words yields to it: "приливы жара" is hot
    flashes, not fever; "голова в затылке болит" is a headache, not a pain."""
    return [
        s
        for s in spans
        if not any(
            o[2] != s[2] and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
            for o in spans
        )
    ]


def _denied_in_answer(answer: Utterance | None) -> bool:
    """ "кашель есть?" / "нет": the patient denies what the doctor asked about."""
    return answer is not None and answer.by_patient and answer.tokens[:1] in (("нет",), ("no",))


def extract_complaints(items: list[Utterance], vitals: dict[str, Vital]) -> tuple[Complaint, ...]:
    """Complaints the patient states and does not deny; a duration said in the same segment
    ("второй день температура и заложен нос") belongs to each complaint of that segment."""
    vocabulary_ = {k: v for k, v in vocabulary("complaints").items() if not k.startswith("_")}
    found: dict[str, list[int]] = {}
    first: dict[str, tuple[int, int]] = {}  # where each was first said: the order shown
    durations: dict[str, int] = {}
    denied: set[str] = set()
    by_index = {u.index: u for u in items}
    for position, u in enumerate(items):
        answer = items[position + 1] if position + 1 < len(items) else None
        if u.by_doctor:
            if _denied_in_answer(answer):
                denied.update(name for name, stems in vocabulary_.items() if u.has(stems))
            continue
        for start, _end, name in _outermost(_phrase_spans(u, vocabulary_) + _site_spans(u)):
            found.setdefault(name, []).append(u.index)
            first.setdefault(name, (u.index, start))
    temperature = vitals.get("temperature_c")
    if temperature is not None and temperature.value >= FEVER_FROM_C:
        found.setdefault("fever", []).extend(temperature.segments)
        said = by_index.get(temperature.segments[-1])
        where = said.find(vocabulary_["fever"]) if said is not None else -1
        first.setdefault("fever", (temperature.segments[-1], max(where, 0)))
    for name, indices in found.items():
        for index in indices:
            said = by_index.get(index)
            lasting = days_lasting(said) if said is not None and said.by_patient else None
            if lasting is not None:
                durations[name] = lasting
                break
    if "pain" in found and any(p in found for p in PRECISE_PAINS):
        del found["pain"]
    return tuple(
        Complaint(name, tuple(sorted(set(indices))), durations.get(name))
        for name, indices in sorted(found.items(), key=lambda f: first[f[0]])
        if name not in denied
    )


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
                    kind == "covid_test" and u.has(["отрицательн", "negative"])
                )
                found.append(AnamnesisItem(kind, u.text.strip(), negated, (u.index,)))
                break
    return tuple(found)
