"""``emotion-bot bench distress``: today's phrase detector and the new one, side by side.

Both run in one process on the same inputs, with the served model:

- ordinary chat: GoEmotions dev (share of messages flagged: ``chat_flag_rate``);
- at-risk posts: the Patil r/SuicideWatch rows *held out* when the model was trained
  (``patil_recall``: severity >= 1, ``patil_recall_severe``: severity >= 3);
- the project's own chat suite (``tests/distress/suite.tsv``): ``suite_recall`` on its at-risk
  lines, ``suite_false_flag_rate`` on its hard negatives, and recall per C-SSRS category;
- XSTest's safe prompts that sound violent (``xstest_false_flag_rate``);
- ``p50_ms_added``: the median extra time per message of the distress path over emotion-only
  classification: the same int8 model cut down to its emotion output (``onnx.utils.extract_model``)
  against the served graph plus the detector, on the same message one after the other (alternating
  which goes first), as the median of the paired differences.

A message "flags" when it is high confidence on its own (a member with no history): for the new
detector the ``high`` level at the chosen sensitivity, for today's detector its 0.7 threshold.
Only counts and rates are printed: the texts are people's words about their worst moments.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import classifier
from bot.bench import distress_baseline
from bot.config import DEFAULT_MODEL_DIR, REPO_ROOT
from bot.core.distress.detector import SENSITIVITIES, Thresholds, assess
from classifier.exemplars import ExemplarMatcher

DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"
SUITE = REPO_ROOT / "tests" / "distress" / "suite.tsv"


def _read_suite(path: Path) -> list[tuple[bool, str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(r["label"] == "risk", r["category"], r["text"]) for r in reader]


def _goemotions_dev(folder: Path) -> list[str]:
    with (folder / "dev.tsv").open(encoding="utf-8") as fh:
        return [line.split("\t")[0] for line in fh if line.strip()]


def _patil_held_out(folder: Path) -> list[tuple[int, str]]:
    split = json.loads((REPO_ROOT / "train" / "distress_split.json").read_text())["rows"]
    held = set(split["held_out"])
    with (folder / "patil-cssrs-2024" / "posts.csv").open(newline="", encoding="utf-8") as fh:
        return [
            (int(r["severity_human"]), r["text"])
            for r in csv.DictReader(fh)
            if r["row"] in held and r["severity_human"].strip().isdigit()
        ]


def _xstest_safe(folder: Path) -> list[str]:
    with (folder / "xstest" / "xstest_prompts.csv").open(newline="", encoding="utf-8") as fh:
        return [r["prompt"] for r in csv.DictReader(fh) if r["label"] == "safe"]


class _Detectors:
    """Both detectors over one model's predictions (predicted once per text, in batches)."""

    def __init__(self, model_dir: Path, sensitivity: str) -> None:
        self.model = classifier.load(model_dir)
        self.matcher = ExemplarMatcher.load(model_dir)
        self.thresholds = Thresholds.from_meta(self.model.artifact.meta, sensitivity)
        self.scheme = self.model.scheme

    def levels(self, texts: list[str]) -> tuple[list[str], list[bool]]:
        preds = self.model.predict(texts)
        new = [
            assess(t, p, self.matcher, self.thresholds).level
            for t, p in zip(texts, preds, strict=True)
        ]
        old = [
            distress_baseline.assess(distress_baseline.scan(t[:20_000]), p, self.scheme, []).flagged
            for t, p in zip(texts, preds, strict=True)
        ]
        return new, old


def _rate(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else float("nan")


def _timings(model_dir: Path, texts: list[str], cache: Path) -> float:
    """Median per-message ms added by the distress path over emotion-only classification."""
    import onnx.utils  # deferred: onnx comes with the optional [train] extra

    cache.mkdir(parents=True, exist_ok=True)
    emotion_only = cache / "model-emotion-only"
    if not (emotion_only / "model.onnx").exists():
        shutil.copytree(model_dir, emotion_only, dirs_exist_ok=True)
        onnx.utils.extract_model(
            str(model_dir / "model.onnx"),
            str(emotion_only / "model.onnx"),
            ["input_ids", "attention_mask"],
            ["logits"],
        )
    full = classifier.load(model_dir, threads=1)
    plain = classifier.load(emotion_only, threads=1)
    matcher = ExemplarMatcher.load(model_dir)
    thresholds = Thresholds.from_meta(full.artifact.meta)
    for text in texts[:20]:
        full.predict([text])
        plain.predict([text])
    # Message by message, alternating which goes first: a drift in the machine's speed lands on
    # both alike, and the median of the paired differences is what the distress path adds.
    added: list[float] = []
    for i, text in enumerate(texts):
        order = (plain, full) if i % 2 else (full, plain)
        took: dict[int, float] = {}
        for model in order:
            t0 = time.perf_counter()
            [pred] = model.predict([text])
            if model is full:
                assess(text, pred, matcher, thresholds)
            took[id(model)] = time.perf_counter() - t0
        added.append((took[id(full)] - took[id(plain)]) * 1000)
    return round(statistics.median(added), 4)


def run_distress_bench(args: argparse.Namespace) -> int:
    shared = Path(args.data)
    model_dir = Path(args.model)
    needed = [shared / "goemotions" / "dev.tsv", shared / "distress", Path(args.suite)]
    missing = [str(p) for p in needed if not p.exists()]
    if missing:
        print(f"bench distress: not found: {', '.join(missing)} (pass --data DIR)", file=sys.stderr)
        return 2
    det = _Detectors(model_dir, args.sensitivity)
    chat = _goemotions_dev(shared / "goemotions")[: args.chat_messages or None]
    patil = _patil_held_out(shared / "distress")
    suite = _read_suite(Path(args.suite))
    xstest = _xstest_safe(shared / "distress")

    chat_new, chat_old = det.levels(chat)
    patil_new, patil_old = det.levels([t for _, t in patil])
    suite_new, suite_old = det.levels([t for _, _, t in suite])
    xs_new, xs_old = det.levels(xstest)
    high = [lv == "high" for lv in chat_new]

    def keys(chat_f: list[bool], patil_f: list[bool], suite_f: list[bool], xs_f: list[bool]):
        sev = [s for s, _ in patil]
        return {
            "chat_flag_rate": _rate(chat_f),
            "patil_recall": _rate([f for f, s in zip(patil_f, sev, strict=True) if s >= 1]),
            "patil_recall_severe": _rate([f for f, s in zip(patil_f, sev, strict=True) if s >= 3]),
            "patil_false_flag_rate_level0": _rate(
                [f for f, s in zip(patil_f, sev, strict=True) if s == 0]
            ),
            "suite_recall": _rate([f for f, (r, _, _) in zip(suite_f, suite, strict=True) if r]),
            "suite_false_flag_rate": _rate(
                [f for f, (r, _, _) in zip(suite_f, suite, strict=True) if not r]
            ),
            "xstest_false_flag_rate": _rate(xs_f),
        }

    new = keys(
        high,
        [lv == "high" for lv in patil_new],
        [lv == "high" for lv in suite_new],
        [lv == "high" for lv in xs_new],
    )
    old = keys(chat_old, patil_old, suite_old, xs_old)
    by_category: dict[str, dict[str, Any]] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for (_, category, _), level in zip(suite, suite_new, strict=True):
        counts[(category, level)] += 1
    for category in sorted({c for _, c, _ in suite}):
        total = sum(v for (c, _), v in counts.items() if c == category)
        by_category[category] = {
            "n": total,
            **{lv: counts[(category, lv)] for lv in ("high", "medium", "low", "none")},
        }
    result: dict[str, Any] = {
        **new,
        "chat_medium_rate": _rate([lv == "medium" for lv in chat_new]),
        "p50_ms_added": _timings(model_dir, chat[: args.timing_messages], Path(args.cache)),
        "sensitivity": args.sensitivity,
        "model": det.model.version,
        "n": {
            "chat": len(chat),
            "patil_held_out": len(patil),
            "suite": len(suite),
            "xstest": len(xstest),
        },
        "suite_by_category": by_category,
        "baseline": {**old, "detector": "phrases + 0.3 x negative emotion (before 2026-12)"},
    }
    if not args.json:
        width = max(len(k) for k in new)
        print(f"{'':{width}}  {'new':>8}  {'today':>8}")
        for k in new:
            print(f"{k:{width}}  {new[k]:>8.4f}  {old[k]:>8.4f}")
        print(f"{'p50_ms_added':{width}}  {result['p50_ms_added']:>8.4f}")
        for category, row in by_category.items():
            print(f"  {category:18} {row}")
    print(json.dumps(result))
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder (the served one)")
    p.add_argument(
        "--data", default=str(DEFAULT_SHARED), help="folder with goemotions/ and distress/"
    )
    p.add_argument("--suite", default=str(SUITE), help="the chat suite TSV")
    p.add_argument("--sensitivity", choices=SENSITIVITIES, default="default")
    p.add_argument("--chat-messages", type=int, default=0, help="cap on chat messages (0: all)")
    p.add_argument("--timing-messages", type=int, default=1000)
    p.add_argument("--cache", default=str(REPO_ROOT / "runs" / "bench-distress"))
    p.add_argument("--json", action="store_true", help="only the JSON line")
