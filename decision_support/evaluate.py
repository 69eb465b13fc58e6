"""Prints the shipped suggester's dev figures, clean and speech-like, and its coverage curve.

    python -m decision_support.evaluate [--data DIR]

The figures are computed afresh from the shipped files; the metadata's recorded ones are
printed beside them, and the command fails if they differ.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from decision_support import dataset, scoring
from decision_support.model import MODEL_DIR, Suggester


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decision_support.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", type=Path, default=None, help="folder of dev_v1.jsonl")
    parser.add_argument("--model", type=Path, default=MODEL_DIR)
    args = parser.parse_args(argv)
    suggester = Suggester(args.model)
    dev = dataset.read("dev", args.data)
    clean = scoring.rank(suggester, dev)
    speech = scoring.rank(suggester, dev, speech=True)
    figures = {"dev_clean": scoring.hits(clean), "dev_speech_like": scoring.hits(speech)}
    print(f"dev ({len(dev)} visits)        hit@1   hit@3")
    for name, label in (("dev_clean", "clean"), ("dev_speech_like", "speech-like")):
        print(
            f"  {label:<20} {figures[name]['hit@1']:.4f}  {figures[name]['hit@3']:.4f}"
            f"   (recorded {suggester.metadata[name]['hit@1']:.4f}"
            f"  {suggester.metadata[name]['hit@3']:.4f})"
        )
    print("coverage curve (clean dev): answer only when the three codes' probability ≥ t")
    print("  t      coverage  hit@3 of answered")
    for point in scoring.coverage_curve(clean):
        mark = "  <- abstain below" if point["threshold"] == suggester.threshold else ""
        print(f"  {point['threshold']:.2f}   {point['coverage']:.4f}    {point['hit@3']:.4f}{mark}")
    recorded = {name: suggester.metadata[name] for name in figures}
    if recorded != figures:
        print("the shipped model no longer reproduces its recorded figures", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
