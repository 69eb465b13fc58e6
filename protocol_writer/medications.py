"""Medicines the doctor prescribes, continues or renews, with dose, frequency and duration.

Each medicine mentioned owns its clause: from the conjunction or verb that leads to it up to
the next medicine's, so in "эналаприл десять миллиграмм два раза в день продолжайте и
добавляем индапамид два с половиной утром" the dose, the frequency and the renewal of each
are its own. A medicine in the scope of a stop ("не принимайте аспирин", "stop the
ibuprofen", "аллергия на пенициллин") is not prescribed. Recognisers swap speakers, so a
medicine on the patient's side counts when its clause is said as a prescription
("назначаю", "i'm prescribing"); a medicine the doctor only asks about ("амлодипин пьёте")
does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, lru_cache
from itertools import pairwise

from rapidfuzz import fuzz, process

from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, phrases, vocabulary
from protocol_writer.protocol import Medication
from protocol_writer.timewords import days_lasting

FUZZY_SCORE = 88  # recognisers misspell drug names: "тамоксефен" is still tamoxifen
COUNTED_UNITS = {"tablet", "capsule", "drop", "puff", "spray", "unit", "inhalation", "sachet"}


@dataclass(frozen=True)
class _Mention:
    token: int
    name: str


@cache
def _forms() -> dict[str, str]:
    """Stems as the city's recogniser writes them (drugs.json): "амлодипин" is also
    "амлодипина"; a Russian word inflects, so a stem matches the start of a word."""
    return {
        form: name
        for name, entry in vocabulary("drugs").items()
        if not name.startswith("_")
        for form in entry["forms"]
    }


@cache
def _english_names() -> dict[str, str]:
    """Whole English names and brands (drugs_en.json, built from a drug lexicon by
    scripts/build_drug_lexicon.py): "lasix" is furosemide; English names do not inflect."""
    return {
        form: name
        for name, entry in vocabulary("drugs_en").items()
        if not name.startswith("_")
        for form in entry["forms"]
    }


def is_oncology(name: str) -> bool:
    """Only an oncologist or haematologist renews it: drugs.json says, by international name,
    whichever language the medicine was named in."""
    return bool(vocabulary("drugs").get(name, {}).get("oncology"))


@cache
def _forms_by_start() -> dict[str, tuple[tuple[str, str], ...]]:
    """Single-word forms by their first four letters (all of a shorter form): a token is
    compared with the few forms it could start with, not with a thousand."""
    table: dict[str, list[tuple[str, str]]] = {}
    for form, name in _forms().items():
        if " " not in form:
            table.setdefault(form[:4], []).append((form, name))
    return {key: tuple(forms) for key, forms in table.items()}


@cache
def _forms_by_letter() -> dict[str, tuple[str, ...]]:
    """Single-word forms by first letter: recognisers misspell the middle of a name more
    often than its start, so fuzzy matching looks among those."""
    table: dict[str, list[str]] = {}
    for form in _forms():
        if " " not in form:
            table.setdefault(form[0], []).append(form)
    return {letter: tuple(forms) for letter, forms in table.items()}


@cache
def _phrase_forms() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """Forms of several words ("z pack", "но шпа"), by their first word."""
    forms = {
        **{f: n for f, n in _english_names().items() if " " in f},
        **{f: n for f, n in _forms().items() if " " in f},
    }
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for form, name in forms.items():
        words = tuple(form.split())
        table.setdefault(words[0], []).append((words, name))
    return {word: tuple(entries) for word, entries in table.items()}


@lru_cache(maxsize=65536)
def _drug_at(token: str) -> str | None:
    candidates = [*_forms_by_start().get(token[:4], ()), *_forms_by_start().get(token[:3], ())]
    for form, name in candidates:
        if token.startswith(form) or (form.startswith(token) and len(token) > 5):
            return name
    english = _english_names().get(token)
    if english is not None:
        return english
    if len(token) >= 6:
        match = process.extractOne(
            token, _forms_by_letter().get(token[0], ()), scorer=fuzz.ratio, score_cutoff=FUZZY_SCORE
        )
        if match is not None:
            return _forms()[match[0]]
    return None


def _mentions(u: Utterance) -> list[_Mention]:
    """Each medicine where it is first named in a run (a phrase form beats its words)."""
    found: dict[int, str] = {}
    covered: set[int] = set()  # tokens inside a phrase form
    phrases_ = _phrase_forms()
    for position, word in enumerate(u.tokens):
        for words, name in phrases_.get(word, ()):
            if u.tokens[position : position + len(words)] == words:
                found[position] = name
                covered.update(range(position, position + len(words)))
    for position, token in enumerate(u.tokens):
        if position not in covered:
            said = _drug_at(token)
            if said is not None:
                found[position] = said
    mentions = [_Mention(t, n) for t, n in sorted(found.items())]
    # "амоксиклав амоксициллин с клавуланатом": one medicine named twice in a row is one.
    return [
        m
        for i, m in enumerate(mentions)
        if i == 0 or mentions[i - 1].name != m.name or m.token - mentions[i - 1].token > 3
    ]


CLAUSE_REACH = 15
# A verb leads the medicine it comes just before ("назначаю вам амоксициллин", "start you on
# lisinopril"); one said further back ends the clause before ("капецитабин ... продолжаем при
# жидком стуле лоперамид").
LEAD_REACH = 3
ANAPHOR_REACH = 4  # turns back in which "renew them" finds what was read out


def _clause_starts(u: Utterance, mentions: list[_Mention]) -> list[int]:
    """Where each mention's clause begins: the last conjunction between it and the previous
    medicine, else a leading verb just before it, else the mention itself; the first one's at
    most CLAUSE_REACH words before it (a long turn says much else before its first medicine)."""
    cues = phrases()["medication"]
    conjunctions, leads = set(cues["conjunctions"]), tuple(cues["leads"])
    starts = [max(0, mentions[0].token - CLAUSE_REACH)] if mentions else []
    for previous, mention in pairwise(mentions):
        between = range(previous.token + 1, mention.token)
        joins = [i for i in between if u.tokens[i] in conjunctions]
        verbs = [
            i for i in between if u.tokens[i].startswith(leads) and mention.token - i <= LEAD_REACH
        ]
        starts.append(joins[-1] if joins else verbs[-1] if verbs else mention.token)
    return starts


def _unit(word: str, value: float) -> str | None:
    units = phrases()["medication"]["dose_units"]
    unit = next((v for k, v in units.items() if word.startswith(k)), None)
    if unit in COUNTED_UNITS and value != 1:
        return f"{unit}s"
    return unit


def _dose(part: Utterance, after: int) -> str | None:
    for number in part.numbers:
        if number.start < after or number.end >= len(part.tokens):
            continue
        unit = _unit(part.tokens[number.end], number.value)
        if unit is not None:
            value = int(number.value) if number.is_integer else number.value
            return f"{value} {unit}"
    return None


def _frequency(part: Utterance) -> str | None:
    cues = phrases()["medication"]
    tokens = part.tokens
    for number in part.numbers:  # "четыре раза в день", "four times a day"
        rest = " ".join(tokens[number.end : number.end + 4])
        if (
            any(rest.startswith(p) for p in cues["per_day"])
            and number.is_integer
            and 1 <= number.value <= 8
        ):
            return "once a day" if number.value == 1 else f"{int(number.value)} times a day"
    if part.has(cues["thrice"]):
        return "3 times a day"
    if part.has(cues["twice"]):
        return "2 times a day"
    if part.has(cues["once"]):
        return "once a day"
    for number in part.numbers:  # "каждые восемь часов", "every eight hours"
        window = " ".join(tokens[max(0, number.start - 1) : number.end + 1])
        if (
            ("каждые" in window or "every" in window)
            and number.end < len(tokens)
            and tokens[number.end].startswith(("час", "hour"))
        ):
            return f"every {int(number.value)} hours"
    if part.has(cues["as_needed"]):
        return "as needed"
    return None


def _stopped(u: Utterance, mentions: list[_Mention]) -> list[bool]:
    """Which mentions a stop governs. Its scope runs on over medicines joined by "и", "или",
    "and", "or" ("не принимайте аспирин и ибупрофен") and ends at the next one said on its
    own ("не принимайте аспирин парацетамол пятьсот при температуре")."""
    joins = set(phrases()["medication"]["joined"])
    governed = modifiers(u.tokens)
    stopped: list[bool] = []
    for k, mention in enumerate(mentions):
        inside = Modifier.STOPPED in governed[mention.token]
        if (
            inside
            and k > 0
            and stopped[k - 1]
            and mentions[k - 1].token < mention.token - 1
            and u.tokens[mention.token - 1] not in joins
        ):
            inside = False
        elif inside and k > 0 and stopped[k - 1] and mentions[k - 1].token == mention.token - 1:
            inside = False  # "...аспирин парацетамол": named right after, on its own
        stopped.append(inside)
    return stopped


def _said(u: Utterance, start: int, end: int, cues: list[str]) -> bool:
    """A cue said in tokens start..end, outside what is reported or asked: "dr brown put
    you on buspar" tells what the patient takes, "i'll put you on" prescribes."""
    governed = modifiers(u.tokens)
    for cue in cues:
        position = u.text.find(cue)
        while position >= 0:
            token = min(u.token_at(position + 1 if u.text[position] == " " else position), end)
            if start <= token < end and not governed[token] & NOT_PRESCRIBED:
                return True
            position = u.text.find(cue, position + 1)
    return False


NOT_PRESCRIBED = frozenset({Modifier.REPORTED})


def _prescribed(u: Utterance, clause: tuple[int, int], mention: _Mention, alone: bool) -> bool:
    """Said as a prescription: the doctor names it with a dose, a schedule or a verb that
    prescribes, continues or renews (the verb may be the utterance's when it names one
    medicine); on the patient's side, only with a verb that prescribes, and not in what they
    ask or tell ("should i continue to take the tylenol")."""
    cues = phrases()["medication"]
    if u.negated_at(u.text.find(f" {u.tokens[mention.token]}") + 1, len(u.tokens[mention.token])):
        return False
    governed = modifiers(u.tokens)[mention.token]
    verbs = cues["prescribing"] if u.by_patient else cues["prescribing"] + cues["renewal"]
    if u.by_patient and governed & {Modifier.REPORTED, Modifier.HYPOTHETICAL}:
        return False
    if _said(u, *clause, verbs) or (alone and _said(u, clause[0], len(u.tokens), verbs)):
        return True
    if u.by_patient or Modifier.REPORTED in governed:
        return False  # "you are on ten milligrams of norvasc daily": what they take
    part = u.part(*clause)
    return _dose(part, 0) is not None or _frequency(part) is not None


def _renews(u: Utterance) -> bool:
    """A renewal said of a medicine, not of the sick note ("продлеваю больничный")."""
    cues = phrases()["medication"]
    text = u.text
    for other in cues["not_renewal"]:
        text = text.replace(other, " ")
    return any(cue in text for cue in cues["renewal"])


def _renewed_by_reference(
    u: Utterance, before: list[Utterance], found: dict[str, Medication]
) -> None:
    """ "carry on with both i'll renew them for three months": a renewal that names no
    medicine renews those the previous turns read out, with their dose and schedule."""
    cues = phrases()["medication"]
    verbs = cues["prescribing"] if u.by_patient else cues["prescribing"] + cues["renewal"]
    if not (u.has(cues["anaphors"]) and _said(u, 0, len(u.tokens), verbs) and _renews(u)):
        return
    for said in before:
        mentions = _mentions(said)
        starts = _clause_starts(said, mentions)
        for k, mention in enumerate(mentions):
            if mention.name in found:
                continue
            end = starts[k + 1] if k + 1 < len(mentions) else len(said.tokens)
            part = said.part(starts[k], end)
            found[mention.name] = Medication(
                name=mention.name,
                segments=(said.index, u.index),
                dose=_dose(part, mention.token - starts[k]),
                frequency=_frequency(part),
                duration_days=days_lasting(u),
                renewal=True,
                oncology=is_oncology(mention.name),
            )


def _share_trailing_verb(
    u: Utterance, mentions: list[_Mention], starts: list[int], found: dict[str, Medication]
) -> None:
    """ "эликвис пять миллиграмм два раза в день и конкор пять миллиграмм продолжаем на три
    месяца": a list joined by "и" with one verb at its end shares its renewal and duration."""
    cues = phrases()["medication"]
    joined = set(cues["joined"])
    for k in range(len(mentions) - 1, 0, -1):
        later, earlier = found.get(mentions[k].name), found.get(mentions[k - 1].name)
        if later is None or earlier is None or u.tokens[starts[k]] not in joined:
            continue
        if u.part(starts[k - 1], starts[k]).has(cues["leads_any"]):
            continue
        found[earlier.name] = replace(
            earlier,
            renewal=earlier.renewal or later.renewal,
            duration_days=earlier.duration_days or later.duration_days,
        )


def extract_medications(items: list[Utterance]) -> tuple[Medication, ...]:
    found: dict[str, Medication] = {}
    for position, u in enumerate(items):
        mentions = _mentions(u)
        if not mentions:
            _renewed_by_reference(u, items[max(0, position - ANAPHOR_REACH) : position], found)
            continue
        starts = _clause_starts(u, mentions)
        stopped = _stopped(u, mentions)
        prescribed: list[bool] = []
        leading: list[bool] = []  # a renewal said before the medicine, in its clause
        joins = set(phrases()["medication"]["joined"])
        for k, mention in enumerate(mentions):
            end = starts[k + 1] if k + 1 < len(mentions) else len(u.tokens)
            part = u.part(starts[k], end)
            # "continue you on the lipitor forty milligrams and the aspirin and the metoprolol":
            # a medicine joined on with no verb of its own shares the one before it.
            joined = (
                k > 0
                and prescribed[k - 1]
                and not part.has(phrases()["medication"]["leads_any"])
                and u.tokens[starts[k]] in set(phrases()["medication"]["joined"])
            )
            prescribed.append(
                not stopped[k]
                and (joined or _prescribed(u, (starts[k], end), mention, len(mentions) == 1))
            )
            leading.append(_renews(u.part(starts[k], mention.token)))
            if not prescribed[k]:
                continue
            # "продолжайте эналаприл и индапамид": a medicine joined on with no verb of its
            # own shares a renewal said before the one it is joined to (one said after it,
            # "спирива продолжайте и сальбутамол сейчас", is that medicine's own).
            renewal = (
                _renews(part)
                or (len(mentions) == 1 and _renews(u))
                or (
                    k > 0
                    and leading[k - 1]
                    and u.tokens[starts[k]] in joins
                    and not part.has(phrases()["medication"]["leads_any"])
                )
            )
            if k > 0 and leading[k - 1] and renewal:
                leading[k] = True  # "продолжайте эналаприл и индапамид и амлодипин"
            previous = found.get(mention.name)
            found[mention.name] = Medication(
                name=mention.name,
                segments=(previous.segments if previous else ()) + (u.index,),
                dose=_dose(part, mention.token - starts[k])
                or (previous.dose if previous else None),
                frequency=_frequency(part) or (previous.frequency if previous else None),
                duration_days=days_lasting(part) or (previous.duration_days if previous else None),
                renewal=renewal or bool(previous and previous.renewal),
                oncology=is_oncology(mention.name),
            )
        _share_trailing_verb(u, mentions, starts, found)
    return tuple(found.values())


def mentioned_medicines(items: list[Utterance]) -> tuple[Medication, ...]:
    """Every medicine named, prescribed or not ("how's the capecitabine going", "stop the
    capecitabine"): what the patient is treated with tells the disease when nothing else does."""
    found: dict[str, Medication] = {}
    for u in items:
        for mention in _mentions(u):
            found.setdefault(mention.name, Medication(mention.name, (u.index,)))
    return tuple(found.values())
