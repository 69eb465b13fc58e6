"""Utterances (a segment's text prepared for matching) and the cue vocabularies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from clinic.domain import Segment, Speaker
from protocol_writer.numbers import SpokenNumber, find_numbers, is_number_word, tokenize

VOCABULARY = Path(__file__).parent / "vocabulary"


# What people read (labels, titles) is kept as written; everything else is a cue to match.
SHOWN = frozenset({"ru", "en", "label", "_comment"})


@cache
def vocabulary(name: str) -> Any:
    data = json.loads((VOCABULARY / f"{name}.json").read_text(encoding="utf-8"))
    return data if name == "labels" else _as_spoken(data)


def _as_spoken(value: Any) -> Any:
    """Utterances keep words only ("we'll" is "we ll", "ё" is "е"): cues are read the same way."""
    if isinstance(value, str):
        return value.replace("'", " ").replace("ё", "е")
    if isinstance(value, list):
        return [_as_spoken(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k in SHOWN else _as_spoken(v) for k, v in value.items()}
    return value


def phrases() -> Any:
    return vocabulary("phrases")


# Said twice on purpose, not a recogniser's stutter.
REPEATS_MEANT = frozenset({"нет", "no", "very", "очень", "да", "yes", "so", "that", "had"})


def _without_stutters(tokens: list[str]) -> list[str]:
    """ "давление давление сто двадцать": a word the recogniser heard twice in a row, once.
    Number words stay: "ninety seven seven" is 97.7, and a doubled number is read apart."""
    return [
        t
        for i, t in enumerate(tokens)
        if i == 0 or t != tokens[i - 1] or t in REPEATS_MEANT or is_number_word(t)
    ]


@dataclass(frozen=True)
class Utterance:
    """One transcript segment, normalised: its index is what extracted fields point to."""

    index: int
    speaker: Speaker
    text: str  # lower case, ё as е, single spaces, padded with spaces at both ends
    tokens: tuple[str, ...]
    numbers: tuple[SpokenNumber, ...]

    @classmethod
    def of(cls, index: int, segment: Segment) -> Utterance:
        tokens = _without_stutters(tokenize(segment.text))
        # Numbers are read in the language of the words said, whatever the consultation's.
        number_language = "ru" if any("а" <= c <= "я" for c in segment.text.lower()) else "en"
        return cls(
            index,
            segment.speaker,
            " " + " ".join(tokens) + " ",
            tuple(tokens),
            tuple(find_numbers(tokens, number_language)),
        )

    @property
    def by_patient(self) -> bool:
        return self.speaker is Speaker.PATIENT

    @property
    def by_doctor(self) -> bool:
        return self.speaker is Speaker.DOCTOR

    def part(self, start: int, end: int) -> Utterance:
        """Tokens start..end of this utterance as an utterance of their own (a clause)."""
        tokens = self.tokens[start:end]
        numbers = tuple(
            SpokenNumber(n.value, n.start - start, n.end - start)
            for n in self.numbers
            if start <= n.start and n.end <= end
        )
        return Utterance(self.index, self.speaker, " " + " ".join(tokens) + " ", tokens, numbers)

    def has(self, cues: list[str]) -> bool:
        return any(cue in self.text for cue in cues)

    def find(self, cues: list[str]) -> int:
        """Character position of the first cue, or -1."""
        positions = [self.text.find(cue) for cue in cues if cue in self.text]
        return min(positions) if positions else -1

    def token_at(self, char_position: int) -> int:
        return self.text[:char_position].count(" ") - 1 if char_position > 0 else 0

    def negated_at(self, position: int, length: int) -> bool:
        """Whether the words around a match deny it: "кашля нет", "горло не болит", "no cough"."""
        p = phrases()
        before = " " + self.text[max(0, position - 12) : position + 1]
        after = self.text[position + length : position + length + 14]
        # "жалоб нет после орви": a new clause, or what comes after, is not denied
        clause_break = max(before.rfind(f" {b} ") for b in p["clause_breaks"])
        if clause_break >= 0:
            before = before[clause_break:]
        # Cues are whole words: " не " must not match inside "на фоне ".
        return any(f" {n}" in before for n in p["negation_before"]) or any(
            after.startswith(n) or f"{n} " in after[:10] for n in p["negation_after"]
        )

    @property
    def corrected(self) -> bool:
        """The speaker corrects themselves, so the last value said is the one meant."""
        return self.has(phrases()["corrections"])


def denied_in_answer(answer: list[Utterance]) -> bool:
    """ "кашель есть?" / "нет": the patient denies what the doctor asked about (the answer is
    the next utterance, if any)."""
    return bool(answer) and answer[0].by_patient and answer[0].tokens[:1] in (("нет",), ("no",))


def utterances(segments: list[Segment]) -> list[Utterance]:
    return [Utterance.of(i, s) for i, s in enumerate(segments) if s.kind == "speech"]
