"""Distress operating points chosen by a flag budget, at packaging time.

Moderators can review only so many flags, so thresholds are set by the share of ordinary chat
(GoEmotions dev) that would get flagged, not by a probability: for each budget the head's and the
exemplar matcher's thresholds are the chat quantiles that flag that share. The curve (budget
against recall of the Patil dev rows at risk, never the held-out rows) goes into ``meta.json`` and
``eval/distress-curve.png``. The exemplars are embedded here with the packaged model itself.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import numpy as np

from classifier.exemplars import EXEMPLAR_TEXTS_FILE, ExemplarMatcher
from train.config import TrainConfig
from train.distress_data import patil_parts, roc_auc
from train.exemplars import load_exemplars

logger = logging.getLogger(__name__)

# High-confidence budget per sensitivity: the share of ordinary chat messages one path may flag
# on its own. The head takes two thirds, the matcher one third; medium ("evidence"; two from one
# member within 24 h flag) is MEDIUM_FACTOR times wider.
# The default spends most of the ceiling (at most 0.5% of ordinary chat flagged, phrases
# included): 0.45% for the learned signals; low halves it, high doubles it.
SENSITIVITY_BUDGETS = {"low": 0.00225, "default": 0.0045, "high": 0.009}
HEAD_SHARE = 2 / 3
MEDIUM_FACTOR = 4.0
CURVE_BUDGETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05)


def _threshold(chat: np.ndarray, budget: float) -> float:
    return float(np.quantile(chat, 1.0 - budget))


def operating_points(chat_head: np.ndarray, chat_match: np.ndarray) -> dict[str, dict[str, float]]:
    points: dict[str, dict[str, float]] = {}
    for name, budget in SENSITIVITY_BUDGETS.items():
        points[name] = {
            "budget": budget,
            "head_high": _threshold(chat_head, budget * HEAD_SHARE),
            "match_high": _threshold(chat_match, budget * (1 - HEAD_SHARE)),
            "head_medium": _threshold(chat_head, min(0.5, budget * HEAD_SHARE * MEDIUM_FACTOR)),
            "match_medium": _threshold(
                chat_match, min(0.5, budget * (1 - HEAD_SHARE) * MEDIUM_FACTOR)
            ),
        }
    return points


def _curve(
    chat_head: np.ndarray, chat_match: np.ndarray, pos_head: np.ndarray, pos_match: np.ndarray
) -> list[dict[str, float]]:
    rows = []
    for b in CURVE_BUDGETS:
        th, tm = _threshold(chat_head, b), _threshold(chat_match, b)
        ch, cm = _threshold(chat_head, b * HEAD_SHARE), _threshold(chat_match, b * (1 - HEAD_SHARE))
        rows.append(
            {
                "chat_budget": b,
                "recall_head": float((pos_head > th).mean()),
                "recall_matcher": float((pos_match > tm).mean()),
                "recall_either": float(((pos_head > ch) | (pos_match > cm)).mean()),
                "chat_flagged_either": float(((chat_head > ch) | (chat_match > cm)).mean()),
            }
        )
    return rows


def curve_png(curve: list[dict[str, float]], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [100 * r["chat_budget"] for r in curve]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    # Okabe-Ito colours (colour-blind safe), with distinct markers as well.
    for key, label, colour, marker in (
        ("recall_either", "head or matcher (as served)", "#0072B2", "o"),
        ("recall_head", "distress head alone", "#E69F00", "s"),
        ("recall_matcher", "exemplar matcher alone", "#009E73", "^"),
    ):
        ax.plot(x, [100 * r[key] for r in curve], marker=marker, color=colour, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("share of ordinary chat flagged (GoEmotions dev), %")
    ax.set_ylabel("at-risk posts flagged, %")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _write_texts(exemplars: list[tuple[str, str, str]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerow(("kind", "category", "text"))
        writer.writerows(exemplars)


def calibrate_distress(
    model_folder: Path, chat_texts: list[str], config: TrainConfig, eval_dir: Path, out: Path
) -> dict[str, Any]:
    """Embed the exemplars, set the operating points, plot the curve; returns the meta section."""
    import classifier

    clf = classifier.load(model_folder)
    rows = [(e.kind, e.category, e.text) for e in load_exemplars()]
    if config.extra_exemplars and Path(config.extra_exemplars).exists():
        rows += [(e.kind, e.category, e.text) for e in load_exemplars(Path(config.extra_exemplars))]
    matcher = ExemplarMatcher(
        clf.embed([t for _, _, t in rows]), [k for k, _, _ in rows], [c for _, c, _ in rows]
    )
    out.mkdir(parents=True, exist_ok=True)
    matcher.save(out)
    _write_texts(rows, out / EXEMPLAR_TEXTS_FILE)

    chat = clf.predict(chat_texts)
    chat_head = np.array([p.distress or 0.0 for p in chat])
    chat_emb = np.stack([p.embedding if p.embedding is not None else np.zeros(1) for p in chat])
    chat_match = matcher.scores(chat_emb)

    section: dict[str, Any] = {"operating_points": operating_points(chat_head, chat_match)}
    if config.distress_data and Path(config.distress_data).exists():
        dev = patil_parts(Path(config.distress_data))["dev"]
        dev_pred = clf.predict([p.text for p in dev])
        dev_head = np.array([p.distress or 0.0 for p in dev_pred])
        dev_match = matcher.scores(np.stack([p.embedding for p in dev_pred]))  # type: ignore[misc]
        targets = np.array([1.0 if p.at_risk else 0.0 for p in dev])
        pos = targets > 0.5
        curve = _curve(chat_head, chat_match, dev_head[pos], dev_match[pos])
        title = "Distress flags: budget against recall (Patil dev)"
        curve_png(curve, eval_dir / "distress-curve.png", title)
        section["curve_patil_dev"] = curve
        section["patil_dev"] = {
            "n": len(dev),
            "at_risk": int(pos.sum()),
            "auc_head": roc_auc(dev_head, targets),
            "auc_matcher": roc_auc(dev_match, targets),
        }
    section.update(
        {
            "matcher": {
                "exemplars": len(matcher),
                "risk": sum(k == "risk" for k in matcher.kinds),
            },
            "chat_reference": "GoEmotions dev (ordinary chat)",
        }
    )
    logger.info("distress operating points: %s", section["operating_points"])
    return section


def recalibrate(model_dir: Path, chat_data: str) -> dict[str, Any]:
    """Recompute a packaged model's distress section (after a change of budgets) in place."""
    import json

    from classifier.artifact import META_FILE
    from train.data import load_split

    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    config = TrainConfig.from_json(meta["training_config"])
    chat = load_split(chat_data, "validation").texts
    meta["distress"] = calibrate_distress(model_dir, chat, config, model_dir / "eval", model_dir)
    (model_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta["distress"]


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO)
    recalibrate(Path(sys.argv[1]), sys.argv[2])
