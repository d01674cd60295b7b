"""A measured retraining run: wall time, peak memory, and the bot's message latency meanwhile.

    python -m bot.bench.retrain --model models/goemotions-minilm-int8 \\
        --data ../shared/data/goemotions --labels 300 --out runs/retrain-measure

What it does, in a throwaway SQLite database and models store under ``--out``:

1. seeds ``--labels`` human labels: GoEmotions training comments with their first gold label
   (a stand-in for a community's labels; the gate holds a slice of them out);
2. starts a real :class:`~bot.core.service.EmotionService` on ``--model`` and sends it
   ``--rate`` messages a second (GoEmotions dev comments) for ``--baseline`` seconds: the
   latency of ``on_message`` with the machine otherwise idle;
3. keeps the messages flowing while the retraining job runs exactly as the weekly job would
   (``nice -n 10 python -m train fit ...`` then ``python -m train.gate``, real base checkpoint
   or base model), sampling the child processes' resident memory;
4. writes ``report.json`` and ``report.md`` (wall time per step, peak memory of the trainer and of
   the bot, latency percentiles before and during, the gate's numbers and decision).

The bot never imports torch: the numbers show what the bot's process pays while the trainer runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.options import CoreOptions
from bot.core.records import HumanLabel
from bot.core.service import EmotionService
from bot.jobs.options import JobOptions, RetrainOptions
from bot.jobs.runtime import JobRuntime
from bot.modelstore.loader import load_model
from bot.storage import SqlStore, make_engine, upgrade

logger = logging.getLogger(__name__)

COMMUNITY = CommunityRef("measure", "community", "Measured community")
CHANNEL = ChannelRef(COMMUNITY, "general", "general")


def read_goemotions(path: Path, labels: tuple[str, ...]) -> list[tuple[str, str]]:
    """(text, first gold label) per line of a GoEmotions TSV."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].strip():
            rows.append((parts[0], labels[int(parts[1].split(",")[0])]))
    return rows


def read_emotion_rows(path: Path) -> list[tuple[str, str]]:
    """(text, label name) per ``text;label`` line of dair-ai/emotion."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text, _, label = line.rpartition(";")
        if text and label.strip():
            rows.append((text, label.strip()))
    return rows


def read_community(
    folder: Path, n: int, rng: random.Random
) -> tuple[list[tuple[str, str]], list[str]]:
    """``n`` "member labels" from dair-ai/emotion's train split (its six label names are
    GoEmotions labels), and the texts the bot is sent meanwhile (its validation split). The
    held-out slice is its test split (:func:`bot.bench.retrain_gate.community_slice`): the three
    never overlap."""
    labelled = rng.sample(read_emotion_rows(folder / "train.txt"), n)
    return labelled, [text for text, _ in read_emotion_rows(folder / "val.txt")]


def look_before(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    """The serving model on the community slice and GoEmotions dev, before any retraining."""
    from bot.bench.retrain_gate import community_slice, look
    from train.data import load_split  # deferred: train is the optional [train] extra

    dev = load_split(args.data, "dev")
    return look(model, community_slice(args.community_data, model.scheme.labels, args.slice), dev)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {
        "n": len(values),
        "p50_ms": pick(0.5),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1),
    }


class Load:
    """Messages at a steady rate; latency of each ``on_message`` into the current bucket."""

    def __init__(self, service: Any, texts: list[str], rate: float) -> None:
        self.service = service
        self.texts = texts
        self.rate = rate
        self.bucket: list[float] = []
        self.sent = 0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        interval = 1.0 / self.rate
        pending: set[asyncio.Task[None]] = set()
        while not self.stop.is_set():
            task = asyncio.create_task(self._one())
            pending.add(task)
            task.add_done_callback(pending.discard)
            await asyncio.sleep(interval)
        await asyncio.gather(*pending)

    async def _one(self) -> None:
        self.sent += 1
        n = self.sent
        msg = ChatMessage(
            f"load-{n}",
            CHANNEL,
            UserRef("measure", f"member-{n % 40}"),
            self.texts[n % len(self.texts)],
            datetime.now(UTC),
        )
        started = time.perf_counter()
        await self.service.on_message(msg)
        self.bucket.append(time.perf_counter() - started)

    def take(self) -> list[float]:
        values, self.bucket = self.bucket, []
        return values


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "measure.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    engine = make_engine(url)
    store = SqlStore(engine)
    model = load_model(args.model, threads=args.threads)
    data = Path(args.data)
    rng = random.Random(args.seed)
    if args.community_data:
        labelled, load_texts = read_community(Path(args.community_data), args.labels, rng)
    else:
        train_rows = read_goemotions(data / "train.tsv", model.scheme.labels)
        load_texts = [t for t, _ in read_goemotions(data / "dev.tsv", model.scheme.labels)]
        labelled = rng.sample(train_rows, args.labels)
    before: dict[str, Any] | None = None
    if args.community_data:
        before = await asyncio.to_thread(look_before, args, model)
    t0 = datetime.now(UTC) - timedelta(days=3)
    for i, (text, emotion) in enumerate(labelled):
        store.add_label(
            HumanLabel(
                platform=COMMUNITY.platform,
                community_id=COMMUNITY.id,
                text=text,
                emotion=emotion,
                labelled_by=f"mod-{i % 5}",
                labelled_at=t0 + timedelta(seconds=i),
                message_id=f"labelled-{i}",
            )
        )
    service = EmotionService(store=store, classifier=model, options=CoreOptions())
    evaluated = out / "measured.json"
    evaluated.unlink(missing_ok=True)
    tunables: dict[str, Any] = {"epochs": args.epochs} if args.epochs else {}
    if args.lr:
        tunables["lr"] = args.lr
    if args.repeat:
        tunables["repeat"] = args.repeat
    if args.replay:
        tunables["replay_min"] = args.replay
    if args.distress_rows >= 0:
        tunables["distress_rows"] = args.distress_rows
    if args.community_data:
        # The gate wrapper scores the candidate on the held-out slice before the job deletes it.
        tunables["gate_command"] = (
            sys.executable, "-m", "bot.bench.retrain_gate", "--slice", args.community_data,
            "--slice-n", str(args.slice), "--dev", str(data), "--eval-out", str(evaluated), "--",
        )  # fmt: skip
    retrain = RetrainOptions(data=str(data), min_labels=1, **tunables)
    runtime = JobRuntime(
        service=service,
        options=JobOptions(
            models_store=out / "models-store", retrain=retrain, classifier_threads=args.threads
        ),
        default_model_dir=Path(args.model).resolve(),
    )
    bot = psutil.Process()
    load = Load(service, load_texts, args.rate)
    load_task = asyncio.create_task(load.run())
    bot_peak = 0.0

    async def sample_bot() -> None:
        nonlocal bot_peak
        while True:
            bot_peak = max(bot_peak, bot.memory_info().rss / 2**20)
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_bot())
    try:
        await asyncio.sleep(args.baseline)
        baseline = load.take()
        started = time.perf_counter()
        outcome = await runtime.retrain(trigger="measure", force=True)
        wall = time.perf_counter() - started
        during = load.take()
        await asyncio.sleep(args.after)
        after = load.take()
    finally:
        load.stop.set()
        await load_task
        sampler.cancel()
        await service.aclose()
        engine.dispose()
    details = outcome.details
    gate = details.get("gate") or {}
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": psutil.cpu_count(),
            "cpus_physical": psutil.cpu_count(logical=False),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": sys.version.split()[0],
        },
        "model": model.version,
        "labels": args.labels,
        "rate_msgs_per_s": args.rate,
        "status": outcome.status,
        "reason": outcome.reason,
        "wall_s": round(wall, 1),
        "train_s": (details.get("train") or {}).get("seconds"),
        "gate_s": (details.get("gate_run") or {}).get("seconds"),
        "trainer_peak_rss_mb": (details.get("train") or {}).get("peak_rss_mb"),
        "bot_peak_rss_mb": round(bot_peak, 1),
        "data": details.get("data"),
        "base": details.get("base"),
        "latency": {
            "before": percentiles(baseline),
            "during": percentiles(during),
            "after": percentiles(after),
        },
        "gate": {
            side: {k: gate[side][k] for k in ("version", "original", "community")}
            for side in ("current", "candidate")
            if side in gate
        },
        "messages_sent": load.sent,
        "backlog_after": service.pending,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if before is not None:
        seen = json.loads(evaluated.read_text()) if evaluated.is_file() else {}
        report["community"] = {
            "data": args.community_data,
            "slice_n": args.slice,
            "before": before,
            "after": seen.get("candidate"),
        }
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (out / "report.md").write_text(markdown(report))
    return report


def markdown(r: dict[str, Any]) -> str:
    lat = r["latency"]
    rows = "\n".join(
        f"| {name} | {v.get('n', 0)} | {v.get('p50_ms', '-')} | {v.get('p95_ms', '-')} | "
        f"{v.get('p99_ms', '-')} | {v.get('max_ms', '-')} |"
        for name, v in lat.items()
    )
    m = r["machine"]
    return (
        f"## Measured retraining run ({r['when']})\n\n"
        f"Machine: {m['cpus']} logical CPUs ({m['cpus_physical']} physical), "
        f"{m['memory_gb']} GB RAM, Python {m['python']}. Model {r['model']}, "
        f"{r['labels']} labelled messages, bot load {r['rate_msgs_per_s']} messages/s.\n\n"
        f"- outcome: **{r['status']}** ({r['reason']})\n"
        f"- wall time: {r['wall_s']} s (training + packaging {r['train_s']} s, gate "
        f"{r['gate_s']} s)\n"
        f"- peak memory: trainer {r['trainer_peak_rss_mb']} MB, bot {r['bot_peak_rss_mb']} MB\n"
        f"- data: {r['data']}\n\n"
        "| bot latency (on_message) | messages | p50 ms | p95 ms | p99 ms | max ms |\n"
        "|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )


def community_table(reports: list[dict[str, Any]]) -> str:
    """What N labels do for the stand-in community: one row per N."""

    def cell(side: dict[str, Any] | None, key: str) -> str:
        if not side:
            return "-"
        value = side["community"][key] if key != "dev" else side["goemotions_dev_macro_f1_tuned"]
        return f"{value:.3f}"

    rows = []
    for r in reports:
        c = r["community"]
        b, a = c["before"], c["after"]
        during = r["latency"]["during"]
        rows.append(
            f"| {r['labels']} | {cell(b, 'top1_accuracy')} → {cell(a, 'top1_accuracy')} | "
            f"{cell(b, 'macro_f1')} → {cell(a, 'macro_f1')} | "
            f"{cell(b, 'dev')} → {cell(a, 'dev')} | "
            f"{r['status']} | {r['wall_s']} | {r['trainer_peak_rss_mb']} | "
            f"{during.get('p50_ms', '-')} / {during.get('p99_ms', '-')} |"
        )
    return (
        "| labels | community accuracy | community macro F1 | GoEmotions dev tuned macro F1 | "
        "gate | wall s | trainer peak MB | bot p50 / p99 ms during |\n"
        "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.bench.retrain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", default="models/goemotions-minilm-int8")
    parser.add_argument("--data", default="../shared/data/goemotions")
    parser.add_argument(
        "--labels", default="300", help="labelled messages; a comma list runs once per number"
    )
    parser.add_argument(
        "--community-data",
        default=None,
        help="a dair-ai/emotion folder: the stand-in community (labels from train, the bot's "
        "load from val, the held-out slice from test)",
    )
    parser.add_argument("--slice", type=int, default=500, help="held-out community messages")
    parser.add_argument("--rate", type=float, default=5.0, help="bot messages per second")
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds before training")
    parser.add_argument("--after", type=float, default=10.0, help="seconds after training")
    parser.add_argument("--threads", type=int, default=0, help="ONNX threads of the bot")
    parser.add_argument("--epochs", type=int, default=0, help="override RETRAIN_EPOCHS")
    parser.add_argument("--lr", type=float, default=0.0, help="override RETRAIN_LR")
    parser.add_argument("--repeat", type=int, default=0, help="override the community repeat")
    parser.add_argument(
        "--replay", type=int, default=0, help="override RETRAIN_REPLAY_MIN (original examples)"
    )
    parser.add_argument(
        "--distress-rows", type=int, default=-1, help="override the research rows kept (0: all)"
    )
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="runs/retrain-measure")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    counts = [int(n) for n in str(args.labels).split(",") if n.strip()]
    reports = []
    for n in counts:
        one = argparse.Namespace(**{**vars(args), "labels": n})
        if len(counts) > 1:
            one.out = str(Path(args.out) / f"labels-{n}")
        report = asyncio.run(measure(one))
        print(markdown(report))
        reports.append(report)
    if args.community_data:
        table = community_table(reports)
        print(table)
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "community.md").write_text(table)
        (Path(args.out) / "community.json").write_text(json.dumps(reports, indent=2, default=str))
    return 0 if all(r["status"] in ("promoted", "rejected") for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
