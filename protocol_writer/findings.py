"""What the patient reports (complaints) and their history (anamnesis)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, denied_in_answer, phrases, vocabulary
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
    "mouth sores",
)


@dataclass(frozen=True)
class Span:
    """Where a complaint was said: characters start..end of the utterance's text."""

    start: int
    end: int
    name: str
    inner: tuple[int, int] | None = None  # a site rule's words between site and feeling
    precise: bool = True  # said in words of its own, not only "болит" or "hurts"

    def holds(self, other: Span) -> bool:
        """Whether `other` lies in this span's own words: "приливы жара" holds the fever of
        "жар"; "палец покраснел распух болит" does not hold the "распух" between its words."""
        if other.name == self.name or not (self.start <= other.start and other.end <= self.end):
            return False
        if self.end - self.start <= other.end - other.start:
            return False
        inner = self.inner
        return inner is None or not (inner[0] <= other.start and other.end <= inner[1])


NOT_THE_PATIENTS = frozenset({Modifier.HYPOTHETICAL, Modifier.OTHER})


def _stated(u: Utterance, position: int, length: int) -> bool:
    """Not denied there ("кашля нет"), not only supposed ("если заболит голова") and not
    someone else's ("у мужа тоже кашель")."""
    token = min(
        u.token_at(position + 1 if u.text[position] == " " else position), len(u.tokens) - 1
    )
    return not u.negated_at(position, length) and not (
        modifiers(u.tokens)[token] & NOT_THE_PATIENTS
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
                    word = stem.strip()  # the words, not the spaces that bound them
                    at = position + stem.index(word)
                    spans.append(Span(at, at + len(word), name, None, " " in word))
                position = u.text.find(stem, position + 1)
    return spans


def _reading_follows(u: Utterance, position: int) -> bool:
    """ "температура тридцать семь и один": the reading, not the word, says if it is a fever."""
    token = u.token_at(position + 1 if u.text[position] == " " else position)
    return any(token < n.start <= token + 4 for n in u.numbers)


def _char_span(u: Utterance, first: int, last: int) -> tuple[int, int]:
    starts = [i + 1 for i, c in enumerate(u.text) if c == " "][: len(u.tokens)]
    return starts[first], starts[last] + len(u.tokens[last])


NEGATIONS = frozenset({"не", "нет", "no", "not", "t", "never", "ни"})
SHORTEST_STEM = 4  # a shorter site is a whole word: "ухо" is not the start of "уходу"


@dataclass(frozen=True)
class _SiteRule:
    name: str
    words: frozenset[str]  # sites shorter than SHORTEST_STEM: whole words
    stems: tuple[str, ...]  # the others: the start of a word
    feelings: tuple[str, ...]
    denied: bool  # a loss: "запахи не чувствую" names it by the feeling denied


@cache
def _site_rules() -> tuple[int, tuple[_SiteRule, ...]]:
    table = vocabulary("complaint_sites")
    return int(table["window"]), tuple(
        _SiteRule(
            name,
            frozenset(s for s in rule["sites"] if len(s) < SHORTEST_STEM),
            tuple(s for s in rule["sites"] if len(s) >= SHORTEST_STEM),
            tuple(f for f in rule["feelings"] if " " not in f),
            bool(rule.get("denied", False)),
        )
        for name, rule in table["sites"].items()
    )


def _site_spans(u: Utterance) -> list[Span]:
    """A body site and a feeling a few words away, either order, with no other site between:
    "голова в затылке болит"; "ломит всё тело голова раскалывается" is a body that aches and
    a head that splits."""
    window, rules = _site_rules()
    sites = {
        rule.name: [
            i for i, t in enumerate(u.tokens) if t in rule.words or t.startswith(rule.stems)
        ]
        for rule in rules
    }
    every_site = {i for found in sites.values() for i in found}
    spans: list[Span] = []
    for rule in rules:
        if not sites[rule.name]:
            continue
        feelings = [
            i
            for i, t in enumerate(u.tokens)
            if t.startswith(rule.feelings)
            # "не болит", "болеть не будут"; a loss is the feeling denied
            and bool({*u.tokens[max(0, i - 1) : i], *u.tokens[i + 1 : i + 2]} & NEGATIONS)
            == rule.denied
        ]
        for site in sites[rule.name]:
            for feeling in feelings:
                first, last = min(site, feeling), max(site, feeling)
                if (
                    feeling == site
                    or last - first > window
                    or every_site & set(range(first + 1, last))
                ):
                    continue
                start, end = _char_span(u, first, last)
                inner = (start + len(u.tokens[first]), end - len(u.tokens[last]))
                if rule.denied or _stated(u, start - 1, end - start + 1):
                    spans.append(Span(start, end, rule.name, inner))
    return spans


def _outermost(spans: list[Span]) -> list[Span]:
    """A complaint found inside another's longer words yields to it: "приливы жара" is hot
    flashes, not fever; "голова в затылке болит" is a headache, not a pain."""
    return [s for s in spans if not any(o.holds(s) for o in spans)]


def extract_complaints(items: list[Utterance], vitals: dict[str, Vital]) -> tuple[Complaint, ...]:
    """Complaints the patient states and does not deny; a duration said in the same segment
    ("второй день температура и заложен нос") belongs to each complaint of that segment."""
    vocabulary_ = {k: v for k, v in vocabulary("complaints").items() if not k.startswith("_")}
    found: dict[str, list[int]] = {}
    first: dict[str, tuple[int, int]] = {}  # where each was first said: the order shown
    durations: dict[str, int] = {}
    denied: set[str] = set()
    precise: set[str] = set()  # named in words of their own somewhere
    by_index = {u.index: u for u in items}
    for position, u in enumerate(items):
        if u.by_doctor:
            if denied_in_answer(items[position + 1 : position + 2]):
                # "any fever or pain in your back" / "no": a fever and a back pain, not any pain
                spans = _outermost(_phrase_spans(u, vocabulary_) + _site_spans(u))
                denied.update(span.name for span in spans)
            continue
        for span in _outermost(_phrase_spans(u, vocabulary_) + _site_spans(u)):
            found.setdefault(span.name, []).append(u.index)
            first.setdefault(span.name, (u.index, span.start))
            if span.precise:
                precise.add(span.name)
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
    # "болит" beside a headache is the headache; "жжёт когда мочусь" is a pain of its own
    if "pain" in found and "pain" not in precise and any(p in found for p in PRECISE_PAINS):
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
