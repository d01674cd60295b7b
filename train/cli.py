"""``python -m train``: fine-tune, evaluate, export and quantise in one run.

    python -m train fit --data ../shared/data/goemotions --base minilm --out runs/goemotions
    python -m train package --run runs/goemotions --model-out models/goemotions-minilm-int8

``fit`` trains (selecting the best epoch on validation) and then packages the best checkpoint;
``package`` redoes only the export/quantise/evaluate/packaging step from an existing run.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from train.config import DEFAULT_BASE, TrainConfig

logger = logging.getLogger(__name__)


def _add_fit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="fine-tune, then package the best checkpoint")
    p.add_argument("--data", required=True, help="dataset folder or hub name")
    p.add_argument("--out", required=True, help="run folder (checkpoint, logs, exports)")
    p.add_argument(
        "--base",
        default=DEFAULT_BASE,
        help=f"hub name or local folder of the base encoder (default {DEFAULT_BASE}; "
        "'minilm' = the packaged all-MiniLM-L6-v2)",
    )
    defaults = TrainConfig(data="", out="")
    for f in fields(TrainConfig):
        if f.name in ("data", "out", "base"):
            continue
        flag = "--" + f.name.replace("_", "-")
        value = getattr(defaults, f.name)
        if isinstance(value, bool):
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=value)
            continue
        kind = type(value) if value is not None else str
        p.add_argument(flag, type=kind, default=value, help=f"default {value}")
    p.add_argument("--model-out", help="model folder to write (default OUT/model)")
    p.add_argument("--no-package", action="store_true", help="train only")
    p.add_argument(
        "--only-variant",
        help="quantise and measure only this int8 variant (retraining keeps the serving model's)",
    )
    p.set_defaults(func=_cmd_fit)


def _add_package(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("package", help="export, quantise, evaluate and package a trained run")
    p.add_argument("--run", required=True, help="run folder written by 'fit'")
    p.add_argument("--model-out", help="model folder to write (default RUN/model)")
    p.add_argument(
        "--test-data", help="dataset whose test split to evaluate on (default: the run's)"
    )
    p.add_argument(
        "--variant",
        help="ship this int8 variant (a key of train.export.QUANT_VARIANTS) instead of the "
        "automatic choice, e.g. u8s8-per-channel, the fastest, when speed matters more than "
        "agreement with fp32",
    )
    p.set_defaults(func=_cmd_package)


def _add_export_fp32(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-fp32",
        help="export a shipped model's PyTorch checkpoint to an fp32 ONNX model folder",
    )
    p.add_argument("--model", required=True, help="shipped model folder (with checkpoint/)")
    p.add_argument("--out", required=True, help="fp32 model folder to write")
    p.set_defaults(func=_cmd_export_fp32)


def _cmd_export_fp32(args: argparse.Namespace) -> int:
    from train.package import export_fp32_folder

    export_fp32_folder(Path(args.model), Path(args.out))
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from train.base import resolve_base
    from train.data import load_split
    from train.finetune import fine_tune

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig)}
    config = TrainConfig(**values)
    train_split = load_split(config.data, "train")
    if config.extra_train:
        from train.retrain_data import with_extra

        train_split = with_extra(train_split, Path(config.extra_train))
    validation = load_split(config.data, "validation")
    run_config = TrainConfig(**{**values, "base": resolve_base(config.base)})
    Path(config.out).mkdir(parents=True, exist_ok=True)
    config.save(Path(config.out) / "training_config.json")
    from train.heads import has_heads

    if config.distress_data or has_heads(Path(run_config.base)):
        # A base with a distress head (the served model, retrained) keeps it, with or without
        # the research data on this machine.
        from train.multitask import fine_tune_multitask

        folder = Path(config.distress_data) if config.distress_data else None
        best = fine_tune_multitask(run_config, train_split, validation, folder)
    else:
        best = fine_tune(run_config, train_split, validation)
    logger.info("best epoch %s, validation score %.4f", best.get("epoch"), best["score"])
    if args.no_package:
        return 0
    from train.package import package_run

    package_run(
        Path(config.out),
        model_out=args.model_out and Path(args.model_out),
        only_variant=args.only_variant,
    )
    return 0


def _cmd_package(args: argparse.Namespace) -> int:
    from train.package import package_run

    package_run(
        Path(args.run),
        model_out=args.model_out and Path(args.model_out),
        test_data=args.test_data,
        variant=args.variant,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "0")
    parser = argparse.ArgumentParser(
        prog="python -m train",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_fit(sub)
    _add_package(sub)
    _add_export_fp32(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
