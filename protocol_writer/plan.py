"""The plan: recommendations, sick leave and the follow-up."""

from __future__ import annotations

from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, phrases
from protocol_writer.protocol import FollowUp, Recommendation, SickLeave
from protocol_writer.timewords import days_lasting, days_until


def extract_recommendations(items: list[Utterance]) -> tuple[Recommendation, ...]:
    cues = phrases()["recommendation"]
    return tuple(
        Recommendation(u.text.strip(), (u.index,)) for u in items if u.by_doctor and u.has(cues)
    )


def extract_sick_leave(items: list[Utterance]) -> SickLeave | None:
    cues = phrases()["sick_leave"]
    found: SickLeave | None = None
    for u in items:
        if not u.by_doctor or not u.has(cues["cue"]):
            continue
        for action in ("close", "extend", "open"):
            if u.has(cues[action]):
                found = SickLeave(
                    action, days_lasting(u) if action != "close" else None, (u.index,)
                )
                break
    return found


FOLLOW_UP_REACH = (6, 10)  # tokens before and after an arrangement that may say when


def _when(u: Utterance, token: int) -> int | None:
    """In how many days, said around the arrangement at `token`: "созвонимся послезавтра",
    "на приём через десять дней", "see you in clinic in three months"."""
    p = phrases()
    near = u.part(max(0, token - FOLLOW_UP_REACH[0]), token + FOLLOW_UP_REACH[1])
    if near.has(p["after_results"]):
        return None
    if near.has(p["day_after_tomorrow"]):
        return 2
    days = days_until(near)
    if days is not None:
        return days
    if near.has(p["tomorrow"]):
        return 1
    if near.has(p["today"]):
        return 0
    return None


def _arrangements(u: Utterance, cues: list[str]) -> list[int]:
    """Tokens where one of the cues is said outside a hypothetical or past scope, in order."""
    governed = modifiers(u.tokens)
    found = set()
    for cue in cues:
        position = u.text.find(cue)
        while position >= 0:
            token = min(
                u.token_at(position + 1 if u.text[position] == " " else position), len(governed) - 1
            )
            # "если станет хуже приходите" arranges nothing; "в прошлый раз на приёме" is past
            if not governed[token] & {Modifier.HYPOTHETICAL, Modifier.HISTORICAL}:
                found.add(token)
            position = u.text.find(cue, position + 1)
    return sorted(found)


def extract_follow_up(items: list[Utterance]) -> FollowUp:
    """The most urgent follow-up the doctor arranged. Safety-net advice ("если станет хуже,
    приходите") is in a hypothetical scope and arranges nothing; recognisers swap speakers,
    so the patient's side counts too when it says "созвонимся" as the doctor would."""
    cues = phrases()["follow_up"]
    for kind in ("ambulance", "in_person", "telemedicine"):
        for u in items:
            if not (u.by_doctor or kind == "telemedicine"):
                continue
            tokens = _arrangements(u, cues[kind])
            if not tokens:
                continue
            if kind == "ambulance":
                return FollowUp(kind, 0, (u.index,))
            # When may be said beside any of its words: "через три дня приходите очно к лору
            # в поликлинику" names the day two words from "приходите", not from "поликлинику".
            days = next((d for d in (_when(u, t) for t in tokens) if d is not None), None)
            if days is None and not u.has(phrases()["after_results"]):
                days = days_until(u)
            return FollowUp(kind, days, (u.index,))
    return FollowUp("none", None, ())
