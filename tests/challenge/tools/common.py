"""Helpers for writing the blind evaluation corpus (scenario -> labels -> transcript)."""

CASES = []


def f2c(f):
    """Fahrenheit to Celsius rounded to one decimal."""
    return round((f - 32) * 5 / 9 + 1e-9, 1)


def M(name, renewal=False, dose=None, freq=None, days=None):
    m = {"name": name, "renewal": renewal}
    if dose is not None:
        m["dose"] = dose
    if freq is not None:
        m["frequency"] = "%d times a day" % freq
    if days is not None:
        m["duration_days"] = days
    return m


def C(name, scenario, transcript, dx, vitals, triage, fu, meds, complaints, sick=None, tags=()):
    kind, days = fu
    labels = {
        "scenario": scenario,
        "diagnosis": {"icd10_any": list(dx)},
        "vitals": dict(vitals),
        "triage": triage,
        "follow_up": {"kind": kind, "in_days": days},
        "medications": list(meds),
        "complaints": list(complaints),
    }
    if sick:
        labels["sick_leave"] = {"action": sick}
    lines = [l.strip() for l in transcript.strip().splitlines() if l.strip()]
    CASES.append({"name": name, "labels": labels, "lines": lines, "tags": set(tags)})


def V(t=None, spo2=None, hr=None, rr=None, sys=None, dia=None):
    v = {}
    if t is not None:
        v["temperature_c"] = t
    if spo2 is not None:
        v["spo2_percent"] = spo2
    if hr is not None:
        v["heart_rate_bpm"] = hr
    if rr is not None:
        v["respiratory_rate"] = rr
    if sys is not None:
        v["systolic_mmhg"] = sys
    if dia is not None:
        v["diastolic_mmhg"] = dia
    return v
