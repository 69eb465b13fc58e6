"""The plan: recommendations, sick leave and the follow-up."""

from __future__ import annotations

from protocol_writer.cues import Utterance, phrases
from protocol_writer.protocol import FollowUp, Recommendation, SickLeave
from protocol_writer.timewords import days_lasting, days_until


def extract_recommendations(items: list[Utterance]) -> tuple[Recommendation, ...]:
    cues = phrases()["recommendation"]
    return tuple(Recommendation(u.text.strip(), (u.index,))
                 for u in items if u.by_doctor and u.has(cues))


def extract_sick_leave(items: list[Utterance]) -> SickLeave | None:
    cues = phrases()["sick_leave"]
    found: SickLeave | None = None
    for u in items:
        if not u.by_doctor or not u.has(cues["cue"]):
            continue
        for action in ("close", "extend", "open"):
            if u.has(cues[action]):
                found = SickLeave(action, days_lasting(u) if action != "close" else None,
                                  (u.index,))
                break
    return found


def extract_follow_up(items: list[Utterance]) -> FollowUp:
    """The most urgent follow-up the doctor arranged; safety-net advice ("если станет хуже,
    вызывайте скорую") is not an arrangement."""
    cues = phrases()["follow_up"]
    for kind in ("ambulance", "in_person", "telemedicine"):
        for u in items:
            position = u.find(cues[kind]) if u.by_doctor else -1
            if position < 0 or u.conditional_before(position):
                continue
            if kind == "ambulance" or u.has(phrases()["today"]):
                days: int | None = 0
            elif u.has(phrases()["tomorrow"]):
                days = 1
            else:
                days = days_until(u)
            return FollowUp(kind, days, (u.index,))
    return FollowUp("none", None, ())
