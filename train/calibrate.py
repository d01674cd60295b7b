"""Choose the bot's default empathy threshold from a model's behaviour on the validation split.

The bot prompts when a message's strongest *negative-family* score reaches the threshold. On the
validation split we treat "the annotators gave it a negative-family label" as the truth and report
precision and recall of that rule per threshold; the default is the lowest threshold whose
precision reaches ``--precision`` (0.875 by default: seven prompts in eight go to someone whose
message really was negative; the rest are gentle and harmless).

    python -m train.calibrate --model models/goemotions-minilm-int8 --data ../shared/data/goemotions
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import numpy as np

import classifier
from train.data import load_split

GRID = np.round(np.arange(0.10, 0.96, 0.05), 2)


def negative_rule_table(
    scores: np.ndarray, targets: np.ndarray, negative: list[int]
) -> list[dict[str, float]]:
    """Precision/recall/share-prompted of ``max negative score >= t`` for each t of the grid."""
    truth = (
        targets[:, negative].max(axis=1) > 0.5 if targets.ndim == 2 else np.isin(targets, negative)
    )
    strongest = scores[:, negative].max(axis=1)
    rows = []
    for t in GRID:
        fired = strongest >= t
        tp = float((fired & truth).sum())
        rows.append(
            {
                "threshold": float(t),
                "precision": tp / max(1.0, float(fired.sum())),
                "recall": tp / max(1.0, float(truth.sum())),
                "prompted_share": float(fired.mean()),
            }
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.calibrate", description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default="validation")
    parser.add_argument("--precision", type=float, default=0.875)
    args = parser.parse_args(argv)
    model = classifier.load(args.model)
    split = load_split(args.data, args.split)
    negative = [
        i for i, label in enumerate(model.scheme.labels) if model.scheme.family[label] == "negative"
    ]
    table = negative_rule_table(model.scores(split.texts), split.targets, negative)
    chosen = next((r for r in table if r["precision"] >= args.precision), table[-1])
    for row in table:
        mark = "  <- default" if row is chosen else ""
        print(
            f"t={row['threshold']:.2f} precision={row['precision']:.3f} "
            f"recall={row['recall']:.3f} prompted={row['prompted_share']:.3f}{mark}"
        )
    print(json.dumps({"model": model.version, "split": args.split, "empathy_threshold": chosen}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
