"""Training and evaluation data for the distress (suicide / self-harm risk) head.

Sources (``../shared/data/distress``, see ``../shared/README.md``; texts never leave these files
and are never logged):

- Patil et al. 2024 r/SuicideWatch posts with C-SSRS screener levels 0-6 (silver labels). Split
  once by post, seeded (:data:`SPLIT_FILE` records which rows are held out): ``train`` is used to
  train, ``dev`` (a slice of train's rows) to select, ``held_out`` only to report. Level >= 1 is
  at risk; level 0 ("a SuicideWatch post not about suicide") is a hard negative.
- SAD (Mauriello et al. 2021): short sentences about everyday stress, all negatives: stress is
  not risk.
- The project's exemplars (``train/distress_exemplars.tsv``): short chat-style risk lines and hard
  negatives, the matcher's file; community additions from reviewed flags join them.
- Ordinary chat (GoEmotions train) is a negative, except comments an explicit-phrase pattern
  matches: those are left out of the distress loss rather than taught as "no risk".

XSTest and the project's chat suite (``tests/distress``) are evaluation only.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_FILE = Path(__file__).with_name("distress_split.json")
SPLIT_SEED = 20261202
HELD_OUT_SHARE = 0.3
DEV_SHARE = 0.2  # of the training rows, for selection

# Comments in ordinary chat that *say* it are not taught as "no risk" (they are masked instead).
_EXPLICIT = re.compile(
    r"suicid|kill(ing)? my ?self|\bkms\b|end(ing)? my life|end it all|want(ed)? to die|"
    r"wish i (was|were) dead|self[- ]?harm|cut(ting)? myself|better off without me|unalive",
    re.IGNORECASE,
)


def mentions_risk(text: str) -> bool:
    return _EXPLICIT.search(text) is not None


@dataclass(frozen=True)
class PatilPost:
    row: str
    text: str
    severity: int

    @property
    def at_risk(self) -> bool:
        return self.severity >= 1


def load_patil(folder: Path) -> list[PatilPost]:
    path = folder / "patil-cssrs-2024" / "posts.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            PatilPost(r["row"], r["text"], int(r["severity_human"]))
            for r in csv.DictReader(fh)
            if r["severity_human"].strip().isdigit() and r["text"].strip()
        ]


def make_split(posts: list[PatilPost]) -> dict[str, list[str]]:
    """Row ids per part (seeded, stratified by severity so every level is in each part)."""
    rng = np.random.default_rng(SPLIT_SEED)
    parts: dict[str, list[str]] = {"train": [], "dev": [], "held_out": []}
    for level in sorted({p.severity for p in posts}):
        rows = sorted(p.row for p in posts if p.severity == level)
        rows = [rows[i] for i in rng.permutation(len(rows))]
        n_held = round(len(rows) * HELD_OUT_SHARE)
        rest = rows[n_held:]
        n_dev = round(len(rest) * DEV_SHARE)
        parts["held_out"] += rows[:n_held]
        parts["dev"] += rest[:n_dev]
        parts["train"] += rest[n_dev:]
    return {k: sorted(v, key=int) for k, v in parts.items()}


def patil_parts(folder: Path) -> dict[str, list[PatilPost]]:
    """The recorded split (written on first use, then always read back)."""
    posts = load_patil(folder)
    if SPLIT_FILE.exists():
        split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))["rows"]
    else:
        split = make_split(posts)
        SPLIT_FILE.write_text(
            json.dumps(
                {
                    "source": "patil-cssrs-2024/posts.csv, column row",
                    "seed": SPLIT_SEED,
                    "held_out_share": HELD_OUT_SHARE,
                    "dev_share_of_rest": DEV_SHARE,
                    "rows": split,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
    by_row = {p.row: p for p in posts}
    return {part: [by_row[r] for r in rows if r in by_row] for part, rows in split.items()}


def load_sad(folder: Path) -> list[str]:
    with (folder / "sad-stress" / "SAD_v1.csv").open(newline="", encoding="utf-8") as fh:
        return [r["sentence"].strip() for r in csv.DictReader(fh) if r["sentence"].strip()]


def load_xstest_safe(folder: Path) -> list[str]:
    with (folder / "xstest" / "xstest_prompts.csv").open(newline="", encoding="utf-8") as fh:
        return [r["prompt"] for r in csv.DictReader(fh) if r["label"] == "safe"]


@dataclass
class DistressExamples:
    """Texts with a 0/1 risk target and a per-example loss weight."""

    texts: list[str]
    targets: list[float]
    weights: list[float]

    def add(self, texts: list[str], target: float, weight: float = 1.0) -> None:
        self.texts += texts
        self.targets += [target] * len(texts)
        self.weights += [weight] * len(texts)


def training_examples(
    folder: Path | None,
    exemplars: list[tuple[str, bool]],
    *,
    positive_repeats: int = 3,
    max_research: int = 0,
    seed: int = 13,
) -> DistressExamples:
    """Everything the distress head learns from besides ordinary chat.

    ``exemplars`` are ``(text, at_risk)`` pairs (the project's file plus community additions).
    Short at-risk lines are few next to the negatives, so they are repeated ``positive_repeats``
    times per epoch. ``max_research`` (0: all) caps the research rows, drawn at random within
    at-risk and not at-risk so that their share stays; the exemplars are always all kept.
    """
    out = DistressExamples([], [], [])
    if folder is not None:
        research = [
            (post.text, 1.0 if post.at_risk else 0.0) for post in patil_parts(folder)["train"]
        ]
        # Everyday stress is not risk; the few SAD sentences that say more are left out.
        research += [(t, 0.0) for t in load_sad(folder) if not mentions_risk(t)]
        for text, target in stratified_sample(research, max_research, seed):
            out.add([text], target)
    risk = [t for t, at_risk in exemplars if at_risk]
    safe = [t for t, at_risk in exemplars if not at_risk]
    for _ in range(positive_repeats):
        out.add(risk, 1.0)
    out.add(safe, 0.0, weight=float(positive_repeats))
    return out


def stratified_sample(
    rows: list[tuple[str, float]], n: int, seed: int = 13
) -> list[tuple[str, float]]:
    """At most ``n`` of ``rows`` (0: all), the at-risk share kept; order as in ``rows``."""
    if n <= 0 or n >= len(rows):
        return rows
    rng = np.random.default_rng(seed)
    positives = [i for i, (_, target) in enumerate(rows) if target > 0.5]
    negatives = [i for i, (_, target) in enumerate(rows) if target <= 0.5]
    want_pos = round(n * len(positives) / len(rows))
    keep = list(rng.choice(positives, size=want_pos, replace=False)) if want_pos else []
    keep += list(rng.choice(negatives, size=n - want_pos, replace=False))
    return [rows[i] for i in sorted(int(i) for i in keep)]


def roc_auc(scores: np.ndarray, targets: np.ndarray) -> float:
    """Area under the ROC curve; nan when one class is missing."""
    from sklearn.metrics import roc_auc_score

    if len(set(np.asarray(targets > 0.5).tolist())) < 2:
        return float("nan")
    return float(roc_auc_score(targets > 0.5, scores))
