"""``emotion-bot bench model``: the shipped int8 ONNX model, the fp32 ONNX model and the PyTorch
model through a plain ``transformers`` pipeline, side by side on the same messages.

Each engine runs in its own process (so its peak RSS is its own), loaded once, over the same texts:
batch size 1 (one message at a time, as chat arrives; tokenisation included) and batched. The
engines take turns 100 messages at a time, in rotating order, so that a slow minute on this shared
machine lands on all three alike (whole passes of one engine after another let a noisy minute
fall on one engine only: the same int8/PyTorch ratio measured 3.45 and 5.51 in two rounds of one
run). ``--rounds`` (default 3) repeats the pass; each figure is the median over rounds, and the
speed-up the median of the per-round int8/PyTorch throughput ratios.
The PyTorch checkpoint is the one shipped beside the int8 model (``MODEL/checkpoint``, float16
weights loaded as float32), and the fp32 ONNX model is exported from it on the first run and
cached under ``runs/bench-model/<version>/``; so a fresh clone measures all three. Models shipped
without a checkpoint fall back to the training run named in their ``meta.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_DATA_DIR, REPO_ROOT, load_settings
from classifier.artifact import MODEL_FILE

DEFAULT_RUN = REPO_ROOT / "runs" / "goemotions"
BATCH = 32
CHUNK = 100  # messages per turn
PAUSE_S = 0.05


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(predict_one: Any, texts: list[str]) -> list[float]:
    latencies = []
    for text in texts:
        t0 = time.perf_counter()
        predict_one(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def _worker(
    engine: str, path: str, texts: list[str], threads: int, inbox: Any, outbox: Any
) -> None:
    """Runs in its own process: load one engine, then time what the parent asks for.

    ``("one", start, stop)`` times texts[start:stop] one at a time (milliseconds each);
    ``("batched",)`` times all texts in batches (seconds); ``None`` ends it with the peak RSS.
    """
    try:
        # Each engine's process imports only its own runtime, so that its peak RSS is its own.
        if engine == "torch":
            import torch
            from transformers import pipeline

            if threads:
                torch.set_num_threads(threads)
            pipe = pipeline(
                "text-classification", model=path, tokenizer=path, top_k=None, device=-1
            )
            predict_one: Any = lambda t: pipe([t])  # noqa: E731
            predict_batch: Any = lambda ts: pipe(ts, batch_size=BATCH)  # noqa: E731
        else:
            from bot.modelstore.loader import load_model

            model = load_model(path, threads=threads, batch_size=BATCH)
            predict_one = lambda t: model.predict([t])  # noqa: E731
            predict_batch = model.predict
        for text in texts[:20]:  # warm-up: first-call allocations, lazy init
            predict_one(text)
        outbox.put({"ready": True})
        while (command := inbox.get()) is not None:
            if command[0] == "one":
                outbox.put(_timed(predict_one, texts[command[1] : command[2]]))
            else:
                started = time.perf_counter()
                predict_batch(texts)
                outbox.put(time.perf_counter() - started)
        outbox.put({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    except Exception as exc:  # reported, not raised: the other engines still run
        outbox.put({"error": f"{type(exc).__name__}: {exc}"})


class _Engine:
    """One engine in its own process (so its peak RSS is its own), loaded once for all rounds."""

    def __init__(self, engine: str, path: Path, texts: list[str], threads: int) -> None:
        ctx = mp.get_context("spawn")
        self.inbox, self.outbox = ctx.Queue(), ctx.Queue()
        self.proc = ctx.Process(
            target=_worker, args=(engine, str(path), texts, threads, self.inbox, self.outbox)
        )
        self.proc.start()
        ready = self.outbox.get()
        self.error: str | None = ready.get("error")

    def ask(self, *command: Any) -> Any:
        self.inbox.put(command)
        answer = self.outbox.get()
        if isinstance(answer, dict) and "error" in answer:
            self.error = answer["error"]
            raise RuntimeError(self.error)
        return answer

    def close(self) -> dict[str, Any]:
        if self.error is None:
            self.inbox.put(None)
            last = self.outbox.get()
        else:
            last = {"error": self.error}
        self.proc.join()
        return last


def _run_of(model_dir: Path) -> Path:
    """The training run folder that produced ``model_dir`` (``training_config.out`` in its meta)."""
    try:
        meta = json.loads((model_dir / "meta.json").read_text(encoding="utf-8"))
        out = Path(meta["training_config"]["out"])
    except (OSError, ValueError, KeyError, TypeError):
        return DEFAULT_RUN
    run = out if out.is_absolute() else REPO_ROOT / out
    return run if run.is_dir() else DEFAULT_RUN


def _fp32_twin(int8: Path) -> Path:
    """``runs/bench-model/<version>/model-fp32``, exported by ``train export-fp32`` when missing
    (a subprocess: the bot does not import the training code)."""
    meta = json.loads((int8 / "meta.json").read_text(encoding="utf-8"))
    folder = REPO_ROOT / "runs" / "bench-model" / str(meta["version"]) / "model-fp32"
    if not (folder / "model.onnx").exists():
        print(f"exporting the fp32 twin of {meta['version']} to {folder} ...", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "train",
                "export-fp32",
                "--model",
                str(int8),
                "--out",
                str(folder),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return folder


def _size_mb(path: Path) -> float:
    files = (
        [path]
        if path.is_file()
        else [p for p in path.rglob("*") if p.suffix in (".onnx", ".safetensors", ".bin")]
    )
    return sum(f.stat().st_size for f in files) / 2**20


def _median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's rounds: the median of each figure."""
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def run_model_bench(args: argparse.Namespace) -> int:
    from train.data import DataError, load_split  # deferred: the optional [train] extra

    int8 = Path(args.model or load_settings().model_dir)
    run = _run_of(int8)
    shipped = int8 / "checkpoint"
    # The served model's own PyTorch weights travel with it (fp16 safetensors); its fp32 ONNX twin
    # is exported from them once and cached under runs/. Older models: the training run's files.
    ckpt = args.torch or (shipped if shipped.exists() else run / "checkpoint")
    fp32 = args.fp32 or (_fp32_twin(int8) if shipped.exists() else run / "model-fp32")
    data = args.data or str(DEFAULT_DATA_DIR)
    try:
        texts = load_split(data, "test").texts[: args.messages]
    except DataError as exc:
        print(f"bench model: {exc}; pass --data DIR (a dair-ai/emotion folder)", file=sys.stderr)
        return 2
    engines = {"int8": int8, "fp32": fp32, "torch": ckpt}
    rounds = max(1, getattr(args, "rounds", 1))
    errors: dict[str, str] = {}
    live: dict[str, _Engine] = {}
    for name, path in engines.items():
        if not Path(path).exists():
            errors[name] = f"{path} not found (train a model first, see README)"
            continue
        live[name] = _Engine(name, Path(path), texts, args.threads)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in live}
    try:
        for _ in range(rounds):
            latencies: dict[str, list[float]] = {name: [] for name in live if not live[name].error}
            for k, start in enumerate(range(0, len(texts), CHUNK)):
                # The engines take turns chunk by chunk, in rotating order: this shared
                # machine's speed drifts by the minute, and turns this short land a slow
                # minute on all of them alike.
                names = list(latencies)
                for name in names[k % len(names) :] + names[: k % len(names)]:
                    time.sleep(PAUSE_S)  # the previous engine's worker threads stop spinning
                    latencies[name] += live[name].ask("one", start, start + CHUNK)
            for name, lat in latencies.items():
                time.sleep(PAUSE_S)
                batched_s = live[name].ask("batched")
                runs[name].append(
                    {
                        "p50_ms": statistics.median(lat),
                        "p99_ms": _percentile(lat, 0.99),
                        "msgs_per_s": len(lat) / (sum(lat) / 1000),
                        "batched_msgs_per_s": len(texts) / batched_s,
                    }
                )
    except RuntimeError:
        pass  # the engine's error is kept on it and reported below
    results: dict[str, dict[str, Any]] = {}
    for name, path in engines.items():
        if name in errors:
            results[name] = {"error": errors[name]}
            continue
        last = live[name].close()
        if "error" in last or not runs[name]:
            results[name] = {"error": last.get("error", "no measurement")}
            continue
        results[name] = {
            **_median_row(runs[name]),
            "peak_rss_mb": last["peak_rss_mb"],
            "model_mb": _size_mb(Path(path) / MODEL_FILE if name != "torch" else Path(path)),
        }
    ratios = [
        i8["msgs_per_s"] / tr["msgs_per_s"]
        for i8, tr in zip(runs.get("int8", []), runs.get("torch", []), strict=False)
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
