"""Which words a modifier governs: negated, hypothetical, historical, a target, stopped.

After ConText (Harkema et al., 2009) as medspaCy implements it: a trigger governs the words
in its direction up to `max_scope` of them or the first terminator of its category, so that
"давление сто тридцать на восемьдесят если заболит голова звоните" keeps its reading and
only "заболит голова звоните" is hypothetical. The rules are data (context_rules.json).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache

from protocol_writer.cues import vocabulary
from protocol_writer.numbers import is_number_word


class Modifier(Enum):
    PSEUDO = "PSEUDO"  # looks like a trigger, is not one: blocks triggers inside it
    HYPOTHETICAL = "HYPOTHETICAL"
    HISTORICAL = "HISTORICAL"
    TARGET = "TARGET"
    STOPPED = "STOPPED"
    REPORTED = "REPORTED"  # what the patient takes, told or asked: not a prescription
    OTHER = "OTHER"  # someone else's: "у мужа тоже кашель", "my husband has it too"


@dataclass(frozen=True)
class _Rule:
    words: tuple[str, ...]
    modifier: Modifier
    forward: bool
    backward: bool
    max_scope: int
    needs_number: bool  # a threshold ("выше", "below") governs up to its number, or nothing


@cache
def _rules() -> tuple[_Rule, ...]:
    return tuple(
        _Rule(
            tuple(r["literal"].replace("'", " ").split()),
            Modifier(r["category"]),
            r["direction"] in ("forward", "bidirectional"),
            r["direction"] in ("backward", "bidirectional"),
            int(r["max_scope"]),
            bool(r.get("needs_number", False)),
        )
        for r in vocabulary("context_rules")["rules"]
    )


@cache
def _rules_by_first_word() -> dict[str, tuple[_Rule, ...]]:
    table: dict[str, list[_Rule]] = {}
    for rule in _rules():
        table.setdefault(rule.words[0], []).append(rule)
    return {word: tuple(rules) for word, rules in table.items()}


@cache
def _terminators(modifier: Modifier) -> tuple[tuple[str, ...], ...]:
    table = vocabulary("context_rules")["terminators"]
    return tuple(
        tuple(t.replace("'", " ").split()) for t in [*table["ALL"], *table.get(modifier.value, [])]
    )


def _starts_at(tokens: tuple[str, ...], i: int, words: tuple[str, ...]) -> bool:
    return tokens[i : i + len(words)] == words


def _ends_scope(tokens: tuple[str, ...], i: int, modifier: Modifier) -> bool:
    return any(_starts_at(tokens, i, t) for t in _terminators(modifier))


@lru_cache(maxsize=4096)
def modifiers(tokens: tuple[str, ...]) -> tuple[frozenset[Modifier], ...]:
    """For each token, the modifiers whose scope covers it (a trigger's own words included)."""
    governed: list[set[Modifier]] = [set() for _ in tokens]
    by_first_word = _rules_by_first_word()
    blocked: set[int] = set()
    for i, token in enumerate(tokens):
        for rule in by_first_word.get(token, ()):
            if rule.modifier is Modifier.PSEUDO and _starts_at(tokens, i, rule.words):
                blocked.update(range(i, i + len(rule.words)))
    for i, token in enumerate(tokens):
        if i in blocked:
            continue
        for rule in by_first_word.get(token, ()):
            if rule.modifier is Modifier.PSEUDO or not _starts_at(tokens, i, rule.words):
                continue
            end = i + len(rule.words)
            reach = min(len(tokens), end + rule.max_scope)
            if rule.needs_number:
                numbers = [j for j in range(end, reach) if is_number_word(tokens[j])]
                if not numbers:
                    continue
                reach = numbers[0] + 1
                while reach < len(tokens) and is_number_word(tokens[reach]):
                    reach += 1
            for j in range(i, end):
                governed[j].add(rule.modifier)
            if rule.forward:
                for j in range(end, reach):
                    if _ends_scope(tokens, j, rule.modifier):
                        break
                    governed[j].add(rule.modifier)
            if rule.backward:
                for j in range(i - 1, max(-1, i - 1 - rule.max_scope), -1):
                    if _ends_scope(tokens, j, rule.modifier):
                        break
                    governed[j].add(rule.modifier)
    return tuple(frozenset(g) for g in governed)
