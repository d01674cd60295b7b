"""``emotion-bot bench model``: the shipped int8 ONNX model, the fp32 ONNX model and the PyTorch
model through a plain ``transformers`` pipeline, side by side on the same messages.

Each engine runs in its own fresh process (so its peak RSS is its own) over the same texts:
batch size 1 (one message at a time, as chat arrives; tokenisation included) and batched.
``--rounds`` (default 3) repeats the three in alternating order and reports each figure's median;
the speed-up is the median of the per-round int8/PyTorch ratios, so a slow minute on this shared
machine does not land on one engine only.
The fp32 ONNX folder and the PyTorch checkpoint come from a training run (``runs/goemotions`` by
default); they are not shipped, so on a fresh clone run the training first or pass ``--fp32`` and
``--torch``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT

DEFAULT_RUN = REPO_ROOT / "runs" / "goemotions"
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "emotion"
BATCH = 32


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(predict_one: Any, predict_batch: Any, texts: list[str]) -> dict[str, float]:
    for text in texts[:20]:  # warm-up: first-call allocations, lazy init
        predict_one(text)
    latencies = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        predict_one(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    single_total = time.perf_counter() - started
    started = time.perf_counter()
    predict_batch(texts)
    batched_total = time.perf_counter() - started
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "msgs_per_s": len(texts) / single_total,
        "batched_msgs_per_s": len(texts) / batched_total,
    }


def _worker(engine: str, path: str, texts: list[str], threads: int, queue: Any) -> None:
    """Runs in a fresh process: load one engine, measure, report with this process's peak RSS."""
    try:
        if engine == "torch":
            import torch
            from transformers import pipeline

            if threads:
                torch.set_num_threads(threads)
            pipe = pipeline(
                "text-classification", model=path, tokenizer=path, top_k=None, device=-1
            )
            result = _measure(lambda t: pipe([t]), lambda ts: pipe(ts, batch_size=BATCH), texts)
        else:
            import classifier

            model = classifier.load(path, threads=threads, batch_size=BATCH)
            result = _measure(lambda t: model.predict([t]), model.predict, texts)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(result)
    except Exception as exc:  # reported, not raised: the other engines still run
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _run_engine(engine: str, path: Path, texts: list[str], threads: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(engine, str(path), texts, threads, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _size_mb(path: Path) -> float:
    files = (
        [path]
        if path.is_file()
        else [p for p in path.rglob("*") if p.suffix in (".onnx", ".safetensors", ".bin")]
    )
    return sum(f.stat().st_size for f in files) / 2**20


def _median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's rounds: the median of each figure, the largest peak RSS; or the first error."""
    errors = [row for row in rows if "error" in row]
    if errors:
        return errors[0]
    merged = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
    merged["peak_rss_mb"] = max(row["peak_rss_mb"] for row in rows)
    return merged


def run_model_bench(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from classifier.artifact import MODEL_FILE
    from train.data import load_split

    int8 = args.model or Path(load_settings().model_dir)
    fp32 = args.fp32 or DEFAULT_RUN / "model-fp32"
    ckpt = args.torch or DEFAULT_RUN / "checkpoint"
    data = args.data or str(DEFAULT_DATA)
    texts = load_split(data, "test").texts[: args.messages]
    engines = {"int8": int8, "fp32": fp32, "torch": ckpt}
    rounds = max(1, getattr(args, "rounds", 1))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in engines}
    for round_no in range(rounds):
        # Alternate the order so that no engine always runs first: this shared machine's speed
        # drifts over minutes, and rounds side by side cancel most of that drift.
        names = list(engines) if round_no % 2 == 0 else list(reversed(engines))
        for name in names:
            path = engines[name]
            if not Path(path).exists():
                runs[name].append({"error": f"{path} not found (train a model first, see README)"})
                continue
            row = _run_engine(name, Path(path), texts, args.threads)
            size_of = Path(path) / MODEL_FILE if name != "torch" else Path(path)
            row["model_mb"] = _size_mb(size_of)
            runs[name].append(row)
    results = {name: _median_row(rows) for name, rows in runs.items()}
    ratios = [
        i8["msgs_per_s"] / tr["msgs_per_s"]
        for i8, tr in zip(runs["int8"], runs["torch"], strict=True)
        if "msgs_per_s" in i8 and "msgs_per_s" in tr
    ]

    torch_row = results.get("torch", {})
    header = (
        f"{'engine':<7} {'p50 ms':>8} {'p99 ms':>8} {'msg/s b=1':>10} {'msg/s b=32':>11} "
        f"{'RSS MB':>8} {'file MB':>8} {'x torch b=1':>11}"
    )
    print(
        f"{len(texts)} messages of {data} (test split), threads={args.threads or 'auto'}, "
        f"median of {rounds} round(s)"
    )
    print(header)
    for name, row in results.items():
        if "error" in row:
            print(f"{name:<7} {row['error']}")
            continue
        ratio = (
            row["msgs_per_s"] / torch_row["msgs_per_s"]
            if "msgs_per_s" in torch_row
            else float("nan")
        )
        if name == "int8" and ratios:
            ratio = statistics.median(ratios)
        print(
            f"{name:<7} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['msgs_per_s']:>10.1f} "
            f"{row['batched_msgs_per_s']:>11.1f} {row['peak_rss_mb']:>8.0f} "
            f"{row['model_mb']:>8.1f} {ratio:>11.2f}"
        )
    i8 = results.get("int8", {})
    summary = {
        "messages": len(texts),
        "int8_p50_ms": i8.get("p50_ms"),
        "int8_p99_ms": i8.get("p99_ms"),
        "int8_msgs_per_s": i8.get("msgs_per_s"),
        "int8_batched_msgs_per_s": i8.get("batched_msgs_per_s"),
        "fp32_p50_ms": results.get("fp32", {}).get("p50_ms"),
        "fp32_msgs_per_s": results.get("fp32", {}).get("msgs_per_s"),
        "torch_p50_ms": torch_row.get("p50_ms"),
        "torch_msgs_per_s": torch_row.get("msgs_per_s"),
        "torch_batched_msgs_per_s": torch_row.get("batched_msgs_per_s"),
        # The median of the per-round ratios: each pairs two engines measured minutes apart.
        "int8_vs_torch_speedup": statistics.median(ratios) if ratios else None,
        "int8_vs_torch_speedup_by_round": ratios,
        "rounds": rounds,
        "model_mb": i8.get("model_mb"),
        "peak_rss_mb": i8.get("peak_rss_mb"),
        "fp32_peak_rss_mb": results.get("fp32", {}).get("peak_rss_mb"),
        "torch_peak_rss_mb": torch_row.get("peak_rss_mb"),
    }
    if len(ratios) > 1:
        print("int8 vs torch, one at a time, per round: " + ", ".join(f"{r:.2f}" for r in ratios))
    if args.json:
        print(json.dumps(summary))
    return 0 if all("error" not in r for r in results.values()) else 1
