"""The retraining gate, plus the measurement's own look at both models (``bench retrain``).

    python -m bot.bench.retrain_gate --slice SLICE.txt --dev ../shared/data/goemotions \\
        --eval-out RUN/measured.json -- GATE ARGS...

Runs :mod:`train.gate` with ``GATE ARGS`` unchanged (its decision is the run's decision), then
scores the gate's ``--candidate`` and ``--current`` on the community slice the measurement holds
out (never seen by the trainer or the gate) and on GoEmotions dev, into ``--eval-out``. It stands
in as ``RetrainOptions.gate_command`` because the retraining job deletes the candidate after the
gate: this is the last moment the candidate exists.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import classifier
from train.data import Split, load_split
from train.gate import community_metrics
from train.gate import main as gate_main
from train.metrics import headline, metrics_for

# dair-ai/emotion's six labels are all GoEmotions labels of the same name.
COMMUNITY_LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")


def relabelled(split: Split, labels: tuple[str, ...]) -> Split:
    """A single-label dair-ai split with its targets as indices into ``labels`` (GoEmotions)."""
    names = [split.scheme.labels[int(t)] for t in split.targets]
    targets = np.array([labels.index(name) for name in names], dtype=np.int64)
    return Split(list(split.texts), targets, split.scheme, split.source)


def community_slice(folder: str, labels: tuple[str, ...], n: int, split: str = "test") -> Split:
    """The first ``n`` examples of ``split`` (dair-ai/emotion), relabelled onto ``labels``."""
    loaded = load_split(folder, split)
    return relabelled(loaded.subset(np.arange(min(n, len(loaded)))), labels)


def look(model: classifier.EmotionClassifier, slice_: Split, dev: Split) -> dict[str, Any]:
    """Community slice accuracy and macro F1, GoEmotions dev tuned macro F1 (the model's own
    thresholds, as ``emotion-bot eval`` reports it)."""
    started = time.perf_counter()
    thresholds = np.array([model.thresholds[label] for label in model.scheme.labels])
    dev_metrics = metrics_for(model.scores(dev.texts), dev.targets, dev.scheme, thresholds)
    return {
        "version": model.version,
        "community": community_metrics(model.scores(slice_.texts), slice_),
        "goemotions_dev_macro_f1_tuned": round(headline(dev_metrics), 4),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _gate_value(gate_args: list[str], flag: str) -> str:
    return gate_args[gate_args.index(flag) + 1]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split_at = argv.index("--") if "--" in argv else len(argv)
    own, gate_args = argv[:split_at], argv[split_at + 1 :]
    parser = argparse.ArgumentParser(prog="python -m bot.bench.retrain_gate")
    parser.add_argument("--slice", required=True, help="dair-ai/emotion folder")
    parser.add_argument("--slice-n", type=int, default=500)
    parser.add_argument("--dev", required=True, help="GoEmotions folder")
    parser.add_argument("--eval-out", required=True)
    args = parser.parse_args(own)
    code = gate_main(gate_args)
    if code != 0:
        return code
    threads = int(_gate_value(gate_args, "--threads")) if "--threads" in gate_args else 1
    seen: dict[str, Any] = {}
    dev: Split | None = None
    for side in ("candidate", "current"):
        model = classifier.load(Path(_gate_value(gate_args, f"--{side}")), threads=threads)
        dev = dev or load_split(args.dev, "dev")
        slice_ = community_slice(args.slice, model.scheme.labels, args.slice_n)
        seen[side] = look(model, slice_, dev)
    Path(args.eval_out).write_text(json.dumps(seen, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
