"""RuMedTop3 (RuMedBench, Apache-2.0): outpatient complaints with the ICD-10 code given."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SOURCE = (
    "RuMedTop3 from RuMedBench (sb-ai-lab/MedBench, data/RuMedTop3, commit dd57f4f; "
    "arXiv:2201.06499): train_v1 to fit, dev_v1 to choose and report; the test split "
    "is never used"
)
LICENSE = "Apache-2.0"


@dataclass(frozen=True)
class Visit:
    idx: str
    text: str
    code: str


def data_dir() -> Path:
    """TELEMED_RUMEDTOP3, else shared/datasets/rumedtop3 beside the repository."""
    configured = os.environ.get("TELEMED_RUMEDTOP3")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "shared" / "datasets" / "rumedtop3"


def read(split: str, directory: Path | None = None) -> list[Visit]:
    """One split ("train" or "dev"); the held-out test split is refused."""
    if split not in ("train", "dev"):
        raise ValueError(f"{split!r}: only train and dev are used")
    path = (directory or data_dir()) / f"{split}_v1.jsonl"
    with path.open(encoding="utf-8") as lines:
        return [
            Visit(row["idx"], row["symptoms"], row["code"]) for row in map(json.loads, lines) if row
        ]
