"""``emotion-bot bench model | core | explain | variants | distress | summary``: the measurement
programs of :mod:`bot.bench`, with their arguments."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from bot.bench import distress as bench_distress
from bot.bench import explain as bench_explain
from bot.bench import model as bench_model
from bot.bench import variants as bench_variants
from bot.cli.common import add_overrides, guard, settings_from_args
from bot.config import DEFAULT_DATA_DIR


def register(sub: Any) -> None:
    """Add the ``bench`` command group."""
    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", metavar="WHAT")
    _model(bench)
    _core(bench)
    _explain(bench)
    _variants(bench)
    _distress(bench)
    _summary(bench)


def _summary(bench: Any) -> None:
    p = bench.add_parser(
        "summary",
        help="the weekly summary and /emotion channel over many seeded rows, live messages too",
    )
    p.add_argument("--rows", type=int, default=100_000, help="messages seeded (default 100000)")
    p.add_argument("--weeks", type=int, default=2, help="weeks the rows span (default 2)")
    p.add_argument("--channels", type=int, default=8, help="channels (default 8)")
    p.add_argument("--members", type=int, default=300, help="members (default 300)")
    p.add_argument("--timezone", default="UTC", help="the community's time zone (default UTC)")
    p.add_argument(
        "--live-interval-ms",
        type=float,
        default=10.0,
        help="a live message every this many ms while the summary runs (default 10)",
    )
    p.add_argument("--database-url", help="an empty database to seed (default: a temporary file)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", action="store_true", help="only the final JSON line")
    p.set_defaults(func=_cmd_summary)


@guard
def _cmd_summary(args: argparse.Namespace) -> int:
    from bot.bench import summary  # deferred: builds the core and the store (SQLAlchemy)

    return summary.run_summary_bench(args)


def _distress(bench: Any) -> None:
    p = bench.add_parser(
        "distress", help="today's phrase detector and the new distress detector, side by side"
    )
    bench_distress.add_arguments(p)
    p.set_defaults(func=bench_distress.run_distress_bench)


def _model(bench: Any) -> None:
    p = bench.add_parser("model", help="int8 vs fp32 ONNX vs the PyTorch pipeline, side by side")
    p.add_argument(
        "--data", default=None, help="dair-ai/emotion folder (default ../shared/data/emotion)"
    )
    p.add_argument("--model", type=Path, help="int8 model folder (default: the shipped model)")
    p.add_argument(
        "--fp32",
        type=Path,
        help="fp32 ONNX model folder (default: exported from the shipped weights)",
    )
    p.add_argument(
        "--torch",
        type=Path,
        help="PyTorch checkpoint folder (default: the one shipped with the model)",
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
    p.set_defaults(func=bench_model.run_model_bench)


@guard
def _cmd_core(args: argparse.Namespace) -> int:
    from bot.bench import core  # deferred: builds the whole bot (SQLAlchemy, matplotlib)

    return asyncio.run(
        core.run_bench(
            settings_from_args(args),
            messages=args.messages,
            concurrency=args.concurrency,
            as_json=args.json,
            keep_db=args.database_url is not None,
        )
    )


def _core(bench: Any) -> None:
    core = bench.add_parser(
        "core", help="messages through the core with the real model and a real SQLite store"
    )
    add_overrides(core)
    core.add_argument("--messages", type=int, default=20_000)
    core.add_argument(
        "--concurrency",
        type=int,
        default=64,
        help="messages in flight at once, as on a busy server",
    )
    core.add_argument("--json", action="store_true", help="only the final JSON line")
    core.set_defaults(func=_cmd_core)


def _explain(bench: Any) -> None:
    p = bench.add_parser("explain", help="faithfulness (perturbation test) and latency of explain")
    p.add_argument("--data", default=str(DEFAULT_DATA_DIR), help="dair-ai/emotion folder")
    p.add_argument("--split", default="test")
    p.add_argument("--n", type=int, default=500, help="sentences")
    p.add_argument("--k", type=int, default=5, help="largest number of words masked")
    p.add_argument("--draws", type=int, default=5, help="random draws per sentence and k")
    p.add_argument(
        "--samples",
        type=int,
        default=32,
        help="also evaluate the refined explanation with this many samples (0: off)",
    )
    p.add_argument("--runs", type=int, default=100, help="latency runs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", type=Path, help="model folder (default: settings' MODEL_DIR)")
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime threads (0: all cores)")
    p.add_argument("--json", action="store_true", help="print only the JSON line")
    p.set_defaults(func=bench_explain.cmd_bench_explain)


def _variants(bench: Any) -> None:
    p = bench.add_parser("variants", help="model folders side by side: agreement and latency")
    p.add_argument("models", nargs="+", type=Path, help="model folders; the first is the reference")
    p.add_argument(
        "--data", default=str(DEFAULT_DATA_DIR), help="dataset folder (dair-ai or GoEmotions)"
    )
    p.add_argument("--split", default="test")
    p.add_argument("--messages", type=int, default=1000, help="messages timed one at a time")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--turns",
        choices=("pass", "message"),
        default="pass",
        help="take turns by whole passes (default) or message by message (use with --threads 1)",
    )
    p.add_argument("--threads", type=int, default=0, help="ONNX Runtime intra-op threads (0: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=bench_variants.run_variants_bench)
