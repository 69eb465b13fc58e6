"""Green, yellow or red, from stated findings, always with the reasons.

The thresholds follow published tools, so that a reason can be checked against its source:

- NEWS2 (Royal College of Physicians, 2017): a single parameter scoring 3 calls for an urgent
  response (red): SpO2 ≤ 91 % (we act below 94 %, the WHO's level for oxygen in COVID-19),
  respiratory rate ≥ 25, heart rate ≥ 131, systolic pressure ≤ 90, temperature ≤ 35.0 °C.
  Scoring 1–2 (yellow): SpO2 94–95 %, respiratory rate 21–24, heart rate 91–130,
  temperature ≥ 38.1 °C (we take 38.0 °C, the level at which the city's home-treatment
  protocol for ARVI and COVID-19 asks for a call within a day).
- UKONS 24-hour triage tool (UK Oncology Nursing Society, 2020): a patient on systemic
  anticancer treatment with a temperature ≥ 37.5 °C, or who feels feverish or shivers, is red
  (suspected febrile neutropenia until shown otherwise); diarrhoea, vomiting or mouth sores
  on treatment are amber (yellow); diarrhoea 4–6 times a day is amber, 7 or more red.
- NICE NG138 (community-acquired pneumonia) and NICE CG191: signs of pneumonia (low SpO2, fast
  breathing, chest pain on breathing with fever) need a same-day in-person assessment (red).
- NICE NG128 / the FAST test (face, arm, speech) and NICE CG95 (acute chest pain with sweating
  or breathlessness): emergency (red).
- ESH 2023: blood pressure ≥ 160/100 (grade 2 or worse) without organ symptoms: yellow.
- NICE CG84 (diarrhoea and vomiting in children under 5): both together risk dehydration:
  yellow.

Children (the parent speaks for them) breathe faster: the adult respiratory-rate thresholds
do not apply; WHO IMCI's fast breathing (≥ 40/min from one year) is yellow, ≥ 60 red.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol_writer.cues import Utterance, phrases
from protocol_writer.protocol import Complaint, FollowUp, Medication, Triage, Vital

LEVELS = ("green", "yellow", "red")
NEUTROPENIC_FEVER_C = 37.5  # UKONS


@dataclass(frozen=True)
class Findings:
    complaints: dict[str, Complaint]
    vitals: dict[str, Vital]
    named: tuple[Medication, ...]  # every medicine named, prescribed or not
    follow_up: FollowUp
    items: list[Utterance]

    def said_by_patient(self, key: str) -> list[Utterance]:
        """Patient segments with one of the triage cues under `key`, not denied there."""
        cues = phrases()["triage"][key]
        found = []
        for u in self.items:
            if not u.by_patient:
                continue
            position = u.find(cues)
            if position >= 0 and not u.negated_at(position, 8):
                found.append(u)
        return found

    def said(self, key: str) -> list[Utterance]:
        return [u for u in self.items if u.has(phrases()["triage"][key])]

    @property
    def child(self) -> bool:
        return bool(self.said("child"))

    @property
    def on_chemotherapy(self) -> bool:
        """Said, or an anticancer medicine named (taken, renewed or held: "how's the
        capecitabine going")."""
        cytotoxic = set(phrases()["triage"]["cytotoxic"])
        return bool(self.said("chemotherapy")) or any(m.name in cytotoxic for m in self.named)


Reason = tuple[str, str, tuple[int, ...]]  # level, reason, segments


def _vital_reasons(f: Findings) -> list[Reason]:
    reasons: list[Reason] = []
    v = f.vitals
    spo2, temperature = v.get("spo2_percent"), v.get("temperature_c")
    rate, pulse = v.get("respiratory_rate"), v.get("heart_rate_bpm")
    systolic, diastolic = v.get("systolic_mmhg"), v.get("diastolic_mmhg")
    if spo2 is not None and spo2.value < 94:
        reasons.append(("red", f"SpO2 {spo2.value:g} % (below 94 %)", spo2.segments))
    elif spo2 is not None and spo2.value < 96:
        reasons.append(("yellow", f"SpO2 {spo2.value:g} % (94–95 %)", spo2.segments))
    if rate is not None:
        red, yellow = (60, 40) if f.child else (25, 21)
        if rate.value >= red:
            reasons.append(("red", f"respiratory rate {rate.value:g}/min", rate.segments))
        elif rate.value >= yellow:
            reasons.append(("yellow", f"respiratory rate {rate.value:g}/min", rate.segments))
    if pulse is not None and (pulse.value >= 131 or pulse.value <= 40):
        reasons.append(("red", f"heart rate {pulse.value:g}/min", pulse.segments))
    elif pulse is not None and pulse.value > 100 and not f.child:
        reasons.append(("yellow", f"heart rate {pulse.value:g}/min", pulse.segments))
    if systolic is not None and systolic.value <= 90:
        reasons.append(("red", f"systolic pressure {systolic.value:g} mmHg", systolic.segments))
    elif (systolic is not None and systolic.value >= 160) or (
        diastolic is not None and diastolic.value >= 100
    ):
        parts = [x for x in (systolic, diastolic) if x is not None]
        said = "/".join(f"{x.value:g}" for x in parts)
        reasons.append(("yellow", f"blood pressure {said} mmHg", parts[0].segments))
    if temperature is not None and temperature.value <= 35.0:
        reasons.append(("red", f"temperature {temperature.value:g} °C", temperature.segments))
    elif temperature is not None and temperature.value >= 38.0:
        fever = f.complaints.get("fever")
        days = fever.duration_days if fever else None
        if temperature.value >= 39 and days is not None and days > 3:
            reasons.append(
                (
                    "red",
                    f"temperature {temperature.value:g} °C for {days} days",
                    temperature.segments,
                )
            )
        else:
            reasons.append(
                ("yellow", f"temperature {temperature.value:g} °C", temperature.segments)
            )
    return reasons


def _fever_on_chemotherapy(f: Findings) -> Reason | None:
    if not f.on_chemotherapy:
        return None
    temperature = f.vitals.get("temperature_c")
    feverish = [c for name, c in f.complaints.items() if name in ("fever", "chills")]
    if temperature is not None and temperature.value >= NEUTROPENIC_FEVER_C:
        return (
            "red",
            "fever during chemotherapy: febrile neutropenia until shown otherwise",
            temperature.segments,
        )
    if feverish and (temperature is None or temperature.value >= NEUTROPENIC_FEVER_C):
        return (
            "red",
            "fever during chemotherapy: febrile neutropenia until shown otherwise",
            feverish[0].segments,
        )
    return None


def _pneumonia_signs(f: Findings) -> Reason | None:
    """Chest pain on breathing with fever: pleurisy of pneumonia until shown otherwise."""
    # "на вдохе немного шумно" is noisy breathing: pain on breathing needs a word of pain
    pleuritic = [
        u for u in f.said_by_patient("pleuritic_pain") if u.has(phrases()["triage"]["pain_words"])
    ]
    temperature = f.vitals.get("temperature_c")
    febrile = "fever" in f.complaints or (temperature is not None and temperature.value >= 37.5)
    if pleuritic and febrile:
        reason = (
            "chest pain on breathing with fever: signs of pneumonia, in-person assessment today"
        )
        return ("red", reason, (pleuritic[0].index,))
    return None


# UKONS: diarrhoea 4–6 episodes a day above baseline is amber, 7 or more red.
UKONS_DIARRHOEA_AMBER, UKONS_DIARRHOEA_RED = 4, 7


def _per_day(f: Findings, complaint: Complaint) -> float:
    """How many times a day, said with the complaint: "diarrhoea five or six times a day"."""
    per_day = phrases()["medication"]["per_day"]
    counts = [0.0]
    for u in f.items:
        if u.index not in complaint.segments:
            continue
        for number in u.numbers:
            rest = " ".join(u.tokens[number.end : number.end + 4])
            if any(rest.startswith(p) for p in per_day):
                counts.append(number.value)
    return max(counts)


def _as_always(f: Findings, complaint: Complaint) -> bool:
    """Said as the patient's usual state ("a bit breathless on the stairs same as always"):
    a chronic symptom unchanged is no sign of its own."""
    cues = phrases()["triage"]["baseline"]
    return all(u.has(cues) for u in f.items if u.index in complaint.segments)


def _complaint_reasons(f: Findings) -> list[Reason]:
    reasons: list[Reason] = []
    c = f.complaints
    breathless = c.get("shortness of breath")
    if breathless is not None and not _as_always(f, breathless):
        severe = f.said_by_patient("breathless_at_rest")
        reasons.append(
            ("red", "breathing difficulty at rest", breathless.segments)
            if severe
            else ("yellow", "breathing difficulty", breathless.segments)
        )
    if "chest pain" in c:
        acute = f.said_by_patient("cardiac_chest_pain")
        acs = "chest pain with sweating or spreading: acute coronary syndrome until shown otherwise"
        reasons.append(
            ("red", acs, c["chest pain"].segments)
            if acute
            else ("yellow", "chest pain", c["chest pain"].segments)
        )
    stroke = f.said_by_patient("stroke")
    if stroke:
        reasons.append(("red", "face, arm or speech: signs of a stroke", (stroke[0].index,)))
    if f.child and "vomiting" in c and "diarrhoea" in c:
        reasons.append(
            (
                "yellow",
                "a child with vomiting and diarrhoea: risk of dehydration",
                c["vomiting"].segments,
            )
        )
    if f.on_chemotherapy:
        toxic = [c[n] for n in ("diarrhoea", "vomiting", "mouth sores") if n in c]
        stools = _per_day(f, c["diarrhoea"]) if "diarrhoea" in c else 0
        if stools >= UKONS_DIARRHOEA_RED:
            reasons.append(
                (
                    "red",
                    f"diarrhoea {stools:g} times a day on anticancer treatment",
                    c["diarrhoea"].segments,
                )
            )
        elif stools >= UKONS_DIARRHOEA_AMBER or len(toxic) >= 2:
            # UKONS grades one symptom alone as green at low frequency
            reasons.append(
                ("yellow", "side effects during anticancer treatment", toxic[0].segments)
            )
    return reasons


def assess(
    complaints: tuple[Complaint, ...],
    vitals: dict[str, Vital],
    follow_up: FollowUp,
    items: list[Utterance],
    named: tuple[Medication, ...] = (),
) -> Triage:
    """The level with its reasons; `named` are the medicines the consultation names,
    prescribed or not (an anticancer one held today still means anticancer treatment)."""
    f = Findings({c.name: c for c in complaints}, vitals, named, follow_up, items)
    reasons = _vital_reasons(f) + _complaint_reasons(f)
    for rule in (_fever_on_chemotherapy(f), _pneumonia_signs(f)):
        if rule is not None:
            reasons.append(rule)
    worse = [u for u in items if u.by_patient and u.has(phrases()["deterioration"])]
    if worse:
        reasons.append(("yellow", "the patient reports getting worse", (worse[0].index,)))
    if follow_up.kind == "ambulance":
        reasons.append(("red", "ambulance arranged", follow_up.segments))
    if not reasons:
        return Triage("green", (), ())
    level = max((r[0] for r in reasons), key=LEVELS.index)
    return Triage(
        level, tuple(r[1] for r in reasons), tuple(sorted({i for r in reasons for i in r[2]}))
    )


def needs_seeing_today(triage: Triage) -> bool:
    """Red for signs of pneumonia or low oxygen: the draft asks for an in-person visit today
    unless the doctor arranged something as urgent."""
    return triage.level == "red" and any(
        r.startswith(("SpO2", "respiratory rate", "chest pain on breathing"))
        for r in triage.reasons
    )
