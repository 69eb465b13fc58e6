"""The registry of vital signs (vocabulary/vital_signs.json), typed.

One entry per sign holds how it is said, its plausible range, its unit, its LOINC code and its
labels; the extractor, the FHIR builder, the rendered protocol and the console editor read
this, so a sign added here is extracted, coded, shown and kept when the doctor signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from protocol_writer.cues import vocabulary


@dataclass(frozen=True)
class Conversion:
    """A value said in another unit: read as that unit when it falls in `low`..`high` (where
    the sign's own range cannot hold it) or when one of `cues` is near."""

    unit: str
    low: float
    high: float
    cues: tuple[str, ...]
    scale: float
    offset: float

    def apply(self, value: float) -> float:
        return value * self.scale + self.offset


@dataclass(frozen=True)
class VitalSign:
    name: str
    cues: tuple[str, ...]
    low: float
    high: float
    unit: str  # UCUM
    decimals: int
    loinc: tuple[str, str]  # code, display
    labels: dict[str, str]
    conversions: tuple[Conversion, ...]
    after: tuple[str, ...] = ()  # said after the value: "тридцать breaths a minute"

    def plausible(self, value: float) -> bool:
        return self.low <= value <= self.high

    def label(self, language: str) -> str:
        return self.labels.get(language, self.labels["en"])


@dataclass(frozen=True)
class VitalPair:
    """Two signs said together, as blood pressure is ("сто тридцать на восемьдесят")."""

    name: str
    cues: tuple[str, ...]
    parts: tuple[str, str]
    separators: frozenset[str]
    loinc: tuple[str, str]


def _sign(name: str, entry: dict[str, Any]) -> VitalSign:
    return VitalSign(
        name=name,
        cues=tuple(entry["cues"]),
        low=float(entry["range"][0]),
        high=float(entry["range"][1]),
        unit=entry["unit"],
        decimals=int(entry["decimals"]),
        loinc=(entry["loinc"][0], entry["loinc"][1]),
        labels=dict(entry["label"]),
        conversions=tuple(
            Conversion(
                c["from"],
                float(c["range"][0]),
                float(c["range"][1]),
                tuple(c["cues"]),
                float(c["scale"]),
                float(c["offset"]),
            )
            for c in entry.get("convert", [])
        ),
        after=tuple(entry.get("after", [])),
    )


@cache
def vital_signs() -> dict[str, VitalSign]:
    return {name: _sign(name, entry) for name, entry in vocabulary("vital_signs")["vitals"].items()}


@cache
def vital_pairs() -> dict[str, VitalPair]:
    return {
        name: VitalPair(
            name,
            tuple(entry["cues"]),
            (entry["parts"][0], entry["parts"][1]),
            frozenset(entry["separators"]),
            (entry["loinc"][0], entry["loinc"][1]),
        )
        for name, entry in vocabulary("vital_signs")["pairs"].items()
    }


def registry_for_editor(language: str) -> list[dict[str, str]]:
    """What the console's editor needs of each sign, in the registry's order."""
    return [
        {
            "name": s.name,
            "label": s.label(language),
            "unit": s.unit,
            "step": "1" if s.decimals == 0 else f"{10**-s.decimals:g}",
        }
        for s in vital_signs().values()
    ]
