"""Model commands: ``classify``, ``eval`` and ``train``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from bot.modelstore.loader import load_or_exit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="classify texts (arguments, or one per line on stdin)")
    p.add_argument("texts", nargs="*", metavar="TEXT")
    p.add_argument("--model", type=Path, help="model folder (default: settings' MODEL_DIR)")
    p.add_argument("--json", action="store_true", help="one JSON object per text")
    p.add_argument("--top", type=int, default=3, help="scores to show per text")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("eval", help="evaluate a model on a dataset split")
    p.add_argument(
        "--data", required=True, help="dataset folder (dair-ai/emotion or GoEmotions format)"
    )
    p.add_argument("--split", default="test", help="train, validation (val, dev) or test")
    p.add_argument("--model", type=Path, help="model folder (default: settings' MODEL_DIR)")
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("train", help="fine-tune a model (same as python -m train)", add_help=False)
    p.add_argument("train_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_train)


def cmd_classify(args: argparse.Namespace) -> int:
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin]
    model = load_or_exit(args.model)
    for text, pred in zip(texts, model.predict(texts), strict=True):
        if args.json:
            print(json.dumps({"text": text, **asdict(pred)}, ensure_ascii=False))
            continue
        top = sorted(pred.scores.items(), key=lambda kv: -kv[1])[: args.top]
        shown = ", ".join(f"{label} {score:.2f}" for label, score in top)
        note = f"  [{pred.note}]" if pred.note else ""
        print(f"{'+'.join(pred.labels):<24} {shown}{note}  | {text[:60]}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    # deferred: train is the optional [train] extra
    from train.data import DataError, load_split
    from train.metrics import metrics_for

    model = load_or_exit(args.model)
    try:
        split = load_split(args.data, args.split)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if split.scheme.labels != model.scheme.labels:
        print(
            f"error: the model predicts {model.scheme.name} labels but {args.data} holds "
            f"{split.scheme.name} labels",
            file=sys.stderr,
        )
        return 1
    scores = model.scores(split.texts)
    thresholds = np.array([model.thresholds[label] for label in model.scheme.labels])
    metrics = metrics_for(scores, split.targets, split.scheme, thresholds)
    metrics = {"model_version": model.version, "split": args.split, **metrics}
    if args.json:
        print(json.dumps(metrics))
        return 0
    for key, value in metrics.items():
        if not isinstance(value, (dict, list)):
            print(f"{key:>16}: {value:.4f}" if isinstance(value, float) else f"{key:>16}: {value}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from train.cli import main as train_main  # deferred: torch, the optional [train] extra

    return train_main(args.train_args)
