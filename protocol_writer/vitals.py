"""Vital signs said in the conversation: today's readings, as numbers in the registry's units.

A value follows its cue in the same segment ("сатурация девяносто восемь"), or answers the
question in the other party's next segment ("what is your saturation" / "ninety two"). A cue's
value lies before the next cue of another sign, so "пульс семьдесят шесть сатурация девяносто
восемь" gives each its own. Only today's readings count: a value in the scope of a
hypothetical ("если выше тридцати восьми"), a target ("держим до ста тридцати") or an earlier
time ("вчера было", "at home", "last visit") is not one (see context.py). A later reading
replaces an earlier one, and after a correction ("ой нет", "i mean") the corrected value is
the one said.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from protocol_writer.context import Modifier, modifiers
from protocol_writer.cues import Utterance, phrases
from protocol_writer.numbers import SpokenNumber
from protocol_writer.protocol import Vital
from protocol_writer.timewords import UNITS_DAYS
from protocol_writer.vital_signs import VitalPair, VitalSign, vital_pairs, vital_signs

WINDOW = 9  # tokens after a cue in which its value may follow
# "тридцать восемь два дня" is 38 for two days, not 38.2.
COUNTED = frozenset({*UNITS_DAYS, "раза", "раз", "times", "часа", "часов", "hours"})
NOT_TODAY = frozenset({Modifier.HYPOTHETICAL, Modifier.TARGET, Modifier.HISTORICAL, Modifier.OTHER})


@dataclass(frozen=True)
class _Cue:
    token: int  # the cue's first token
    end: int  # the token after the cue
    sign: VitalSign | VitalPair


def _cues(u: Utterance) -> list[_Cue]:
    """Every cue in the utterance, in order; a sign's cue inside another's longer cue (the
    "pulse" of "pulse ox") is the longer one's."""
    spans: list[tuple[int, int, VitalSign | VitalPair]] = []
    signs: list[VitalSign | VitalPair] = [*vital_signs().values(), *vital_pairs().values()]
    for sign in signs:
        for cue in sign.cues:
            position = u.text.find(cue)
            while position >= 0:
                spans.append((position, position + len(cue), sign))
                position = u.text.find(cue, position + 1)
    spans.sort(key=lambda s: s[0] - s[1])  # longest first
    kept: list[tuple[int, int, VitalSign | VitalPair]] = []
    for span in spans:
        if not any(span[0] < k[1] and k[0] < span[1] for k in kept):
            kept.append(span)
    kept.sort(key=lambda s: s[0])
    return [
        _Cue(
            u.token_at(start + 1 if u.text[start] == " " else start), u.token_at(end - 1) + 1, sign
        )
        for start, end, sign in kept
    ]


def _today(u: Utterance, number: SpokenNumber) -> bool:
    governed = modifiers(u.tokens)
    return not any(governed[i] & NOT_TODAY for i in range(number.start, number.end))


def _read(u: Utterance, number: SpokenNumber, sign: VitalSign) -> float | None:
    """The number as a value of the sign in its own unit, or None when it cannot be one."""
    value = number.value
    following = [n for n in u.numbers if n.start == number.end]
    digit = (
        following[0].value
        if following
        and following[0].end - following[0].start == 1
        and following[0].is_integer
        and following[0].value <= 9
        and not set(u.tokens[following[0].end : following[0].end + 1]) & COUNTED
        else None
    )
    if sign.decimals and number.is_integer and digit is not None:
        value += digit / 10  # "thirty seven eight", "ninety eight seven": decimals as digits
    for conversion in sign.conversions:
        near = " ".join(u.tokens[number.start : number.end + 3])
        said_in_unit = any(cue in f" {near} " for cue in conversion.cues)
        if (
            conversion.low <= value <= conversion.high and not sign.plausible(value)
        ) or said_in_unit:
            value = round(conversion.apply(value), sign.decimals)
            break
    return value if sign.plausible(value) else None


def _single(u: Utterance, start: int, end: int, sign: VitalSign) -> float | None:
    corrections = phrases()["corrections"]
    found: float | None = None
    found_end = start
    for number in u.numbers:
        if not start <= number.start < end or not _today(u, number):
            continue
        value = _read(u, number, sign)
        if value is None:
            continue
        between = " " + " ".join(u.tokens[found_end : number.start]) + " "
        if found is None or any(c in between for c in corrections):
            # "тридцать восемь ой нет тридцать семь и восемь": the corrected value
            found, found_end = value, number.end
    return found


def _pair(u: Utterance, start: int, end: int, pair: VitalPair) -> tuple[float, float] | None:
    upper, lower = (vital_signs()[p] for p in pair.parts)
    numbers = [n for n in u.numbers if n.start >= start]
    found: tuple[float, float] | None = None
    for first, second in pairwise(numbers):
        between = u.tokens[first.end : second.start]
        joined = not between or (len(between) == 1 and between[0] in pair.separators)
        if first.start >= end:
            break
        if (
            joined
            and upper.plausible(first.value)
            and lower.plausible(second.value)
            and first.value > second.value
            and _today(u, first)
        ):
            found = (first.value, second.value)
            if not u.corrected:
                break
    return found


def _window(u: Utterance, cues: list[_Cue], k: int) -> tuple[int, int]:
    cue = cues[k]
    end = min(len(u.tokens), cue.end + WINDOW)
    for later in cues[k + 1 :]:
        if later.sign.name != cue.sign.name:
            end = min(end, later.token)
            break
    return cue.end, end


def _record(
    found: dict[str, Vital],
    u: Utterance,
    start: int,
    end: int,
    sign: VitalSign | VitalPair,
    sources: tuple[int, ...],
) -> bool:
    if isinstance(sign, VitalPair):
        pair = _pair(u, start, end, sign)
        if pair is None:
            return False
        for part, value in zip(sign.parts, pair, strict=True):
            found[part] = Vital(value, vital_signs()[part].unit, sources)
        return True
    single = _single(u, start, end, sign)
    if single is None:
        return False
    found[sign.name] = Vital(single, sign.unit, sources)
    return True


def _answer(found: dict[str, Vital], u: Utterance, answer: Utterance, asked: list[_Cue]) -> None:
    """Values said in reply, in the order asked ("сколько на градуснике и что на
    пульсоксиметре" / "тридцать восемь и две девяносто семь"), before the reply names a sign
    itself (which it then reads as its own)."""
    answer_cues = _cues(answer)
    end = answer_cues[0].token if answer_cues else len(answer.tokens)
    if len(asked) == 1:  # one value asked: corrections in the reply apply
        _record(found, answer, 0, max(1, end), asked[0].sign, (u.index, answer.index))
        return
    used: set[int] = set()
    for cue in asked:
        for number in answer.numbers:
            if number.start >= end or number.start in used:
                continue
            if _record(
                found, answer, number.start, number.start + 1, cue.sign, (u.index, answer.index)
            ):
                used.add(number.start)
                break


def _named_after(found: dict[str, Vital], u: Utterance) -> None:
    """Values named by what follows them: "about thirty breaths a minute"."""
    for sign in vital_signs().values():
        for cue in sign.after:
            position = u.text.find(f" {cue}")
            while position >= 0:
                token = u.token_at(position + 1)
                before = [n for n in u.numbers if n.end == token]
                if before:
                    _record(found, u, before[0].start, token, sign, (u.index,))
                position = u.text.find(f" {cue}", position + 1)


def _uncued_pairs(found: dict[str, Vital], u: Utterance) -> None:
    """ "сто сорок на девяносто", "one twenty eight over seventy eight" with no cue: said with
    the pair's own separator word and plausible parts, it is the pair."""
    for pair in vital_pairs().values():
        if any(part in found for part in pair.parts):
            continue
        words = [s for s in pair.separators if s.isalpha()]
        for first, second in pairwise(u.numbers):
            if (
                tuple(u.tokens[first.end : second.start]) in {(w,) for w in words}
                and first.value >= 90
                and _record(found, u, first.start, first.start + 1, pair, (u.index,))
            ):
                break


def extract_vitals(items: list[Utterance]) -> dict[str, Vital]:
    found: dict[str, Vital] = {}
    for position, u in enumerate(items):
        _named_after(found, u)
        answer = items[position + 1] if position + 1 < len(items) else None
        cues = _cues(u)
        unanswered: list[_Cue] = []
        for k, cue in enumerate(cues):
            start, end = _window(u, cues, k)
            if not _record(found, u, start, end, cue.sign, (u.index,)):
                unanswered.append(cue)
        # A question the patient answers in the next segment: the doctor asks last (on
        # either side's line, recognisers swap speakers).
        if (
            unanswered
            and answer is not None
            and answer.by_patient
            and _window(u, cues, len(cues) - 1)[1] >= len(u.tokens) - 2
        ):
            _answer(found, u, answer, unanswered)
    for u in items:
        _uncued_pairs(found, u)
    return found
