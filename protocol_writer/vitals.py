"""Vital signs said in the conversation, as numbers with units.

A value follows its cue in the same segment ("сатурация девяносто восемь"), or answers the
doctor's question in the patient's next segment ("what is your saturation" / "ninety two").
A later value replaces an earlier one: a patient who corrects themselves is believed last.
Conditional numbers ("при температуре выше тридцати восьми") are instructions, not findings.
"""

from __future__ import annotations

from protocol_writer.cues import Utterance, phrases
from protocol_writer.numbers import SpokenNumber
from protocol_writer.protocol import Vital

WINDOW = 8  # tokens after a cue in which its value may follow


def _in_range(number: SpokenNumber, bounds: list[float]) -> bool:
    return bounds[0] <= number.value <= bounds[1]


def _cue_token(u: Utterance, cues: list[str]) -> int | None:
    position = u.find(cues)
    return None if position < 0 else u.token_at(position)


def _value_after(u: Utterance, start: int, bounds: list[float]) -> SpokenNumber | None:
    candidates = [n for n in u.numbers
                  if start <= n.start <= start + WINDOW and _in_range(n, bounds)]
    if not candidates:
        return None
    return candidates[-1] if u.corrected else candidates[0]


def _pressure(u: Utterance, start: int) -> tuple[float, float] | None:
    separators = phrases()["pressure_separators"]
    numbers = [n for n in u.numbers if n.start >= start]
    for first, second in zip(numbers, numbers[1:], strict=False):
        between = u.tokens[first.end:second.start]
        joined = not between or (len(between) == 1 and between[0] in separators)
        if joined and 70 <= first.value <= 260 and 30 <= second.value <= 160 \
                and first.value > second.value:
            return first.value, second.value
    return None


def extract_vitals(items: list[Utterance]) -> dict[str, Vital]:
    spec = phrases()["vitals"]
    found: dict[str, Vital] = {}
    for position, u in enumerate(items):
        if u.conditional() and u.by_doctor:
            continue
        answer = items[position + 1] if position + 1 < len(items) else None
        for name, vital in spec.items():
            start = _cue_token(u, vital["cues"])
            if start is None:
                continue
            if name == "blood_pressure":
                _blood_pressure(found, u, answer, start)
                continue
            number = _value_after(u, start, vital["range"])
            sources: tuple[int, ...] = (u.index,)
            if number is None and u.by_doctor and answer is not None and answer.by_patient:
                number = _value_after(answer, 0, vital["range"])
                sources = (u.index, answer.index)
            if number is not None:
                found[name] = Vital(number.value, vital["unit"], sources)
    return found


def _blood_pressure(found: dict[str, Vital], u: Utterance, answer: Utterance | None,
                    start: int) -> None:
    pair = _pressure(u, start)
    sources_: tuple[int, ...] = (u.index,)
    if pair is None and u.by_doctor and answer is not None and answer.by_patient:
        pair, sources_ = _pressure(answer, 0), (u.index, answer.index)
    if pair is not None:
        found["systolic_mmhg"] = Vital(pair[0], "mm[Hg]", sources_)
        found["diastolic_mmhg"] = Vital(pair[1], "mm[Hg]", sources_)
