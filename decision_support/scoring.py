"""Dev figures of a suggester: hit@1, hit@3, and coverage against hit@3 by confidence."""

from __future__ import annotations

from dataclasses import dataclass

from decision_support.dataset import Visit
from decision_support.model import Suggester
from decision_support.speech import speech_like


@dataclass(frozen=True)
class Ranked:
    codes: tuple[str, ...]
    confidence: float
    truth: str

    @property
    def hit1(self) -> bool:
        return self.codes[:1] == (self.truth,)

    @property
    def hit3(self) -> bool:
        return self.truth in self.codes[:3]


def rank(suggester: Suggester, visits: list[Visit], speech: bool = False) -> list[Ranked]:
    out = []
    for visit in visits:
        answer = suggester.suggest(
            speech_like(visit.text) if speech else visit.text, evidence_words=0
        )
        out.append(Ranked(tuple(s.code for s in answer.suggestions), answer.confidence, visit.code))
    return out


def hits(ranked: list[Ranked]) -> dict[str, float]:
    n = len(ranked)
    return {
        "hit@1": round(sum(r.hit1 for r in ranked) / n, 4),
        "hit@3": round(sum(r.hit3 for r in ranked) / n, 4),
    }


def coverage_curve(ranked: list[Ranked], step: float = 0.05) -> list[dict[str, float]]:
    """For each threshold, the share of cases answered and hit@3 among them."""
    curve = []
    for k in range(round(1 / step)):
        threshold = round(k * step, 4)
        kept = [r for r in ranked if r.confidence >= threshold]
        curve.append(
            {
                "threshold": threshold,
                "coverage": round(len(kept) / len(ranked), 4),
                "hit@3": round(sum(r.hit3 for r in kept) / len(kept), 4) if kept else 0.0,
            }
        )
    return curve


def abstain_threshold(ranked: list[Ranked], step: float = 0.05) -> float:
    """The highest threshold below which the three codes are more often wrong than right.

    Cases under it would have had the right code among the three less than half the time,
    so the console says "no confident suggestion" for them rather than three guesses.
    """
    chosen = 0.0
    for k in range(1, round(1 / step)):
        threshold = round(k * step, 4)
        below = [r for r in ranked if r.confidence < threshold]
        if below and sum(r.hit3 for r in below) / len(below) < 0.5:
            chosen = threshold
    return chosen
