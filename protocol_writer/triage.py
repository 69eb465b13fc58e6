"""Green, yellow or red, from stated findings, always with the reasons."""

from __future__ import annotations

from protocol_writer.cues import Utterance, phrases
from protocol_writer.protocol import Complaint, FollowUp, Triage, Vital

LEVELS = ("green", "yellow", "red")


def assess(complaints: tuple[Complaint, ...], vitals: dict[str, Vital], follow_up: FollowUp,
           items: list[Utterance]) -> Triage:
    reasons: list[tuple[str, str, tuple[int, ...]]] = []  # (level, reason, segments)
    by_name = {c.name: c for c in complaints}
    spo2, temperature = vitals.get("spo2_percent"), vitals.get("temperature_c")
    rate, pulse = vitals.get("respiratory_rate"), vitals.get("heart_rate_bpm")
    systolic = vitals.get("systolic_mmhg")
    if spo2 is not None and spo2.value < 94:
        reasons.append(("red", f"SpO2 {spo2.value:g} % (below 94 %)", spo2.segments))
    elif spo2 is not None and spo2.value < 96:
        reasons.append(("yellow", f"SpO2 {spo2.value:g} % (94–95 %)", spo2.segments))
    if "shortness of breath" in by_name:
        reasons.append(("red", "breathing difficulty", by_name["shortness of breath"].segments))
    if temperature is not None and temperature.value >= 39:
        fever = by_name.get("fever")
        days = fever.duration_days if fever else None
        if days is not None and days > 3:
            reasons.append(("red", f"temperature {temperature.value:g} °C for {days} days",
                            temperature.segments))
        else:
            reasons.append(("yellow", f"temperature {temperature.value:g} °C",
                            temperature.segments))
    elif temperature is not None and temperature.value >= 38.5:
        reasons.append(("yellow", f"temperature {temperature.value:g} °C", temperature.segments))
    if rate is not None and rate.value > 24:
        reasons.append(("red" if rate.value > 30 else "yellow",
                        f"respiratory rate {rate.value:g}/min", rate.segments))
    if pulse is not None and pulse.value > 100:
        reasons.append(("yellow", f"heart rate {pulse.value:g}/min", pulse.segments))
    if systolic is not None and systolic.value < 90:
        reasons.append(("red", f"systolic pressure {systolic.value:g} mmHg", systolic.segments))
    if "chest pain" in by_name:
        reasons.append(("yellow", "chest pain", by_name["chest pain"].segments))
    worse = [u for u in items if u.by_patient and u.has(phrases()["deterioration"])]
    if worse:
        reasons.append(("yellow", "the patient reports getting worse", (worse[0].index,)))
    if follow_up.kind == "ambulance":
        reasons.append(("red", "ambulance arranged", follow_up.segments))
    if not reasons:
        return Triage("green", (), ())
    level = max((r[0] for r in reasons), key=LEVELS.index)
    return Triage(level, tuple(r[1] for r in reasons),
                  tuple(sorted({i for r in reasons for i in r[2]})))
