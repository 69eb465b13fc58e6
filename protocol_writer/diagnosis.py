"""The diagnosis with its ICD-10 code: as the doctor named it, or ranked suggestions."""

from __future__ import annotations

from decision_support import shipped
from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, denied_in_answer, vocabulary
from protocol_writer.protocol import (
    AnamnesisItem,
    Complaint,
    Diagnosis,
    Medication,
    Protocol,
    Vital,
)


def _entry(code: str, language: str) -> str:
    return str(vocabulary("icd10")["codes"][code][language if language == "ru" else "en"])


def _covid_code(items: list[Utterance], anamnesis: tuple[AnamnesisItem, ...]) -> str:
    data = vocabulary("icd10")
    confirmed = any(a.kind == "covid_test" and not a.negated for a in anamnesis) or any(
        u.has(data["covid_confirmed"]) for u in items
    )
    suspected = any(u.has(data["covid_suspected"]) for u in items)
    return "U07.1" if confirmed and not suspected else "U07.2"


def _ruled_out(u: Utterance, position: int) -> bool:
    """Denied ("это не пневмония"), to be excluded ("исключить пневмонию", "rule out"), or
    only conditional ("если это пневмония"): not a diagnosis the doctor makes."""
    token = u.token_at(position + 1 if u.text[position] == " " else position)
    before = u.text[max(0, position - 24) : position]
    return (
        u.negated_at(position, 1)
        or Modifier.HYPOTHETICAL in modifiers(u.tokens)[token]
        or any(cue in before for cue in vocabulary("icd10")["ruled_out"])
    )


QUESTION_TAIL = 3  # words after a disease's name in the question that ends a turn


def _asked(u: Utterance, position: int) -> bool:
    """Said in the question that ends the turn ("гипогликемии были"): the answer decides."""
    token = u.token_at(position + 1 if u.text[position] == " " else position)
    return len(u.tokens) - token <= QUESTION_TAIL


def stated_diagnoses(
    items: list[Utterance], anamnesis: tuple[AnamnesisItem, ...], language: str
) -> list[Diagnosis]:
    """Codes whose words the doctor said, the first said first and administrative Z codes
    after the disease they serve; a code named by a longer phrase ("артроз коленного сустава")
    hides one its words contain ("артроз"); COVID-19 resolved to U07.1/2."""
    codes = vocabulary("icd10")["codes"]
    found: dict[str, list[int]] = {}
    spans: list[tuple[int, int, int, str]] = []  # utterance, start, end, code
    for k, u in enumerate(items):
        if not u.by_doctor:
            continue
        denied = denied_in_answer(items[k + 1 : k + 2])
        for code, entry in codes.items():
            for trigger in entry["triggers"]:
                position = u.text.find(trigger)
                if (
                    position >= 0
                    and not _ruled_out(u, position)
                    and not (denied and _asked(u, position))
                ):
                    spans.append((u.index, position, position + len(trigger), code))
                    break
    spans = [
        s
        for s in spans
        if not any(
            o[0] == s[0]
            and o[1] <= s[1]
            and s[2] <= o[2]
            and (o[2] - o[1]) > (s[2] - s[1])
            and o[3] != s[3]
            for o in spans
        )
    ]
    spans.sort(key=lambda s: (s[3].startswith("Z"), s[0], s[1]))
    for index, _start, _end, code in spans:
        found.setdefault(code, []).append(index)
    if "U07.1" in found:
        found[_covid_code(items, anamnesis)] = found.pop("U07.1")
    for code, refined in _identified(items, found).items():
        found[refined] = found.pop(code)
    for general, specific in vocabulary("icd10")["more_specific"].items():
        if general in found and any(s in found for s in specific):
            del found[general]
    return [
        Diagnosis(code, _entry(code, language), tuple(indices), True)
        for code, indices in found.items()
    ]


def _identified(items: list[Utterance], found: dict[str, list[int]]) -> dict[str, str]:
    """Codes a positive test refines: "экспресс тест на грипп положительный" is influenza
    with the virus identified (J10.1), not J11.1."""
    table = {k: v for k, v in vocabulary("icd10")["identified"].items() if not k.startswith("_")}
    refined: dict[str, str] = {}
    for code, rule in table.items():
        triggers = vocabulary("icd10")["codes"][code]["triggers"]
        if code in found and any(u.has(triggers) and u.has(rule["cues"]) for u in items):
            refined[code] = rule["code"]
    return refined


def from_medicines(medications: tuple[Medication, ...], language: str) -> Diagnosis | None:
    """The condition a medicine with one usual indication treats ("продлеваю тамоксифен":
    C50.9), or medicines together do (an anticoagulant with a rate-controlling drug: atrial
    fibrillation), when the doctor names none: not stated, so the doctor confirms it."""
    indications = vocabulary("indications")
    for medication in medications:
        code = indications.get(medication.name)
        if code is not None and not medication.name.startswith("_"):
            return Diagnosis(code, _entry(code, language), medication.segments, False)
    names = {m.name: m for m in medications}
    for code, groups in indications["_together"].items():
        if code.startswith("_"):
            continue
        taken = [next((names[n] for n in group if n in names), None) for group in groups]
        if all(taken):
            segments = tuple(sorted({i for m in taken if m is not None for i in m.segments}))
            return Diagnosis(code, _entry(code, language), segments, False)
    return None


def with_treated_condition(
    stated: list[Diagnosis],
    medications: tuple[Medication, ...],
    reviewed: bool,
    language: str,
) -> list[Diagnosis]:
    """A renewal names the medicine, not the disease: the medicine's indication joins the
    stated administrative codes. It leads when the condition was reviewed (today's readings
    taken): ICD-10 keeps Z76.0 for a prescription issued without a review, as the shared
    sample of a renewal codes it, and a preferential prescription carries the disease's code."""
    if not all(d.code.startswith("Z") for d in stated):
        return stated
    treated = from_medicines(medications, language)
    if treated is None:
        return stated
    return [treated, *stated] if reviewed else [*stated[:1], treated, *stated[1:]]


def _safety_overrides(
    complaints: tuple[Complaint, ...],
    vitals: dict[str, Vital],
    anamnesis: tuple[AnamnesisItem, ...],
    reason: str,
    items: list[Utterance],
) -> dict[str, float]:
    """Explicit rules that win over the fitted suggester, which never saw these codes:
    COVID-19 (a positive test, lost smell or taste), pneumonia when oxygen is low or breath
    short, and the visit's own purpose (a prescription renewal, a consilium)."""
    names = {c.name for c in complaints}
    spo2 = vitals.get("spo2_percent")
    scores: dict[str, float] = {}
    covid_test = any(a.kind == "covid_test" and not a.negated for a in anamnesis)
    if covid_test or "loss of smell" in names or "loss of taste" in names:
        scores[_covid_code(items, anamnesis)] = 3
    if (spo2 is not None and spo2.value < 94) or "shortness of breath" in names:
        scores["J18.9"] = 2.5 if spo2 is not None and spo2.value < 94 else 1.5
    if reason == "oncology_renewal" or any(
        u.by_doctor and u.has(["рецепт", "prescription", "продлева", "renew"]) for u in items
    ):
        scores["Z76.0"] = 2
    if reason == "consilium":
        scores["Z09"] = 1
    return scores


KNOWN_CONDITION_SCORE = 2.0  # above a cough's J18.9, below low oxygen's and COVID-19's


def _named_by_patient(items: list[Utterance]) -> dict[str, float]:
    """Chronic diseases the patient names as their own, not denied, supposed, past or
    someone else's: "he has asthma", "астма обострилась"."""
    data = vocabulary("icd10")
    scores: dict[str, float] = {}
    for u in items:
        if not u.by_patient:
            continue
        for code in data["known_conditions"]["codes"]:
            for trigger in data["codes"][code]["triggers"]:
                position = u.text.find(trigger)
                if position < 0 or _ruled_out(u, position):
                    continue
                token = u.token_at(position + 1 if u.text[position] == " " else position)
                if not modifiers(u.tokens)[token] & {Modifier.OTHER, Modifier.HISTORICAL}:
                    scores.setdefault(code, KNOWN_CONDITION_SCORE)
                break
    return scores


def _complaint_rules(complaints: tuple[Complaint, ...]) -> dict[str, float]:
    """When the suggester has nothing to say: English consultations (it was fitted on
    Russian notes) and Russian ones where it abstains (an acute respiratory infection spreads
    its probability over J00, J06, J20...): a code from its group of complaints."""
    names = {c.name for c in complaints}
    scores: dict[str, float] = {}
    for rule in vocabulary("icd10")["from_complaints"]["rules"]:
        said = names & set(rule["complaints"])
        if said and (not rule.get("needs") or said & set(rule["needs"])):
            scores[rule["code"]] = 1 + len(said) * 0.5
    if "J06.9" in scores and (names == {"sore throat"} or names == {"sore throat", "fever"}):
        scores["J02.9"] = scores["J06.9"] + 0.1
    return scores


def _learned(items: list[Utterance], language: str) -> list[Diagnosis]:
    """The fitted suggester over what the patient said; nothing when it abstains."""
    spoken = [u for u in items if u.by_patient]
    if not spoken:
        return []
    answer = shipped().suggest(" ".join(u.text for u in spoken), language)
    if answer.abstained:
        return []
    out = []
    for s in answer.suggestions:
        # The segments are those where the words behind the code were said.
        segments = tuple(u.index for u in spoken if any(w in u.tokens for w in s.evidence))
        out.append(Diagnosis(s.code, s.title, segments, False, round(s.score, 4), s.evidence))
    return out


def suggest(
    complaints: tuple[Complaint, ...],
    vitals: dict[str, Vital],
    anamnesis: tuple[AnamnesisItem, ...],
    reason: str,
    items: list[Utterance],
    language: str,
) -> tuple[Diagnosis, ...]:
    """Up to three codes, best first, when the doctor named none: the safety overrides
    first, then the fitted suggester's codes (decision_support) over the patient's words,
    or the respiratory rules when it has no confident suggestion."""
    overrides = _safety_overrides(complaints, vitals, anamnesis, reason, items)
    learned = _learned(items, language) if language == "ru" else []
    if not learned:
        overrides = {**_complaint_rules(complaints), **_named_by_patient(items), **overrides}
    evidence = tuple(sorted({i for c in complaints for i in c.segments}))
    ranked = [
        Diagnosis(code, _entry(code, language), evidence, False)
        for code in sorted(overrides, key=lambda code: -overrides[code])
    ]
    # A learned category the rules already name more precisely (J18 beside J18.9) is left out.
    named = {d.code.split(".")[0] for d in ranked}
    ranked += [d for d in learned if d.code.split(".")[0] not in named]
    return tuple(ranked[:3])


def suggestion_taken(protocol: Protocol) -> bool | None:
    """Whether the signed diagnosis is one of the suggester's codes (or a refinement of one:
    J06 suggested, J06.9 signed); None when the protocol carried no learned suggestion."""
    learned = [d.code for d in protocol.diagnosis_suggestions if d.score is not None]
    if not learned:
        return None
    code = protocol.diagnosis.code if protocol.diagnosis else ""
    return any(code == c or code.startswith(c + ".") for c in learned)
