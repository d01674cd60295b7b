"""Model commands: ``classify``, ``eval``, ``train`` and ``bench model``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any


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

    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", metavar="WHAT")
    p = bench.add_parser("model", help="int8 vs fp32 ONNX vs the PyTorch pipeline, side by side")
    p.add_argument(
        "--data", default=None, help="dair-ai/emotion folder (default ../shared/data/emotion)"
    )
    p.add_argument("--model", type=Path, help="int8 model folder (default: the shipped model)")
    p.add_argument(
        "--fp32", type=Path, help="fp32 ONNX model folder (default: from the training run)"
    )
    p.add_argument(
        "--torch", type=Path, help="PyTorch checkpoint folder (default: from the training run)"
    )
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of all three engines, in alternating order; medians reported (default 3)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bench_model)
    _register_bench_core(bench)
    from bot import bench_explain

    bench_explain.register(bench)
    from bot import bench_variants

    bench_variants.register(bench)


def _register_bench_core(bench: argparse._SubParsersAction) -> None:
    import importlib

    try:
        bench_core = importlib.import_module("bot.bench_core")
    except ModuleNotFoundError as exc:
        if exc.name != "bot.bench_core":
            raise
        return  # not built yet
    bench_core.register(bench)


def _model_dir(path: Path | None) -> Path:
    if path is not None:
        return path
    from bot.config import load_settings

    return Path(load_settings().model_dir)


def _load(path: Path | None) -> Any:
    import classifier

    try:
        return classifier.load(_model_dir(path))
    except classifier.ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


def cmd_classify(args: argparse.Namespace) -> int:
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin]
    model = _load(args.model)
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
    import numpy as np

    from train.data import DataError, load_split
    from train.metrics import metrics_for

    model = _load(args.model)
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
    from train.cli import main as train_main

    return train_main(args.train_args)


def cmd_bench_model(args: argparse.Namespace) -> int:
    from bot.bench_model import run_model_bench

    return run_model_bench(args)
