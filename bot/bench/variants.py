"""``emotion-bot bench variants``: model folders of the same model (the int8 variants a training
run writes, ``RUN/model-*``) side by side in one process: top-label agreement with the first
folder (give the fp32 one first) and single-message latency, tokenisation included.

The folders take turns, a whole pass over the messages each, in an order that rotates every
round, so a busy or throttled machine slows them all alike and the comparison stays fair even
when the absolute numbers move; ``--turns message --threads 1`` takes turns message by message.
``time_vs_first`` is the median per-message time ratio to the first folder. Ends with one JSON
line (only that line with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.modelstore.loader import load_model


def run_variants_bench(args: argparse.Namespace) -> int:
    from train.data import load_split  # deferred: train is the optional [train] extra

    split = load_split(args.data, args.split)
    models = [load_model(path, threads=args.threads) for path in args.models]
    tops = [model.scores(split.texts).argmax(axis=1) for model in models]
    texts = split.texts[: args.messages]
    for model in models:  # warm-up: first-call allocations
        for text in texts[:50]:
            model.predict([text])
    latencies: list[list[float]] = [[] for _ in models]
    for round_ in range(args.rounds):
        # Whole passes, the order rotating each round; or, with --turns message, every message
        # through every model in rotating order, so that even minute-to-minute drift cancels.
        # (With more than one thread, turns by message measure one session's idle worker threads
        # spinning against the next session: use --threads 1 for those.)
        if args.turns == "pass":
            schedule = [
                ((k + round_) % len(models), text) for k in range(len(models)) for text in texts
            ]
        else:
            schedule = [
                ((k + j) % len(models), text)
                for j, text in enumerate(texts)
                for k in range(len(models))
            ]
        for i, text in schedule:
            started = time.perf_counter()
            models[i].predict([text])
            latencies[i].append((time.perf_counter() - started) * 1000)
    rows: list[dict[str, Any]] = []
    for path, top, lat in zip(args.models, tops, latencies, strict=True):
        rows.append(
            {
                "model": str(path),
                "agreement": round(float(np.mean(top == tops[0])), 4),
                "p50_ms": round(statistics.median(lat), 3),
                "p99_ms": round(float(np.percentile(lat, 99)), 3),
                # Each model timed the same messages in the same order: the median per-message
                # ratio to the first model is the steadiest comparison on a drifting machine.
                "time_vs_first": round(float(np.median(np.divide(lat, latencies[0]))), 3),
                "model_mb": round((Path(path) / "model.onnx").stat().st_size / 2**20, 1),
            }
        )
    if not args.json:
        print(f"{len(split)} {args.split} texts for agreement, {len(texts)} x {args.rounds} timed")
        print(
            f"{'model':<48} {'agreement':>9} {'p50 ms':>7} {'p99 ms':>7} {'MB':>6} {'x first':>7}"
        )
        for row in rows:
            print(
                f"{row['model'][-48:]:<48} {row['agreement']:>9.4f} {row['p50_ms']:>7.3f} "
                f"{row['p99_ms']:>7.3f} {row['model_mb']:>6.1f} {row['time_vs_first']:>7.3f}"
            )
    print(json.dumps({"n": len(split), "timed": len(texts) * args.rounds, "variants": rows}))
    return 0
