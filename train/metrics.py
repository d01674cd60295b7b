"""Evaluation metrics for single- and multi-label emotion models (numpy + scikit-learn).

No torch here: ``emotion-bot eval`` computes the same metrics on the ONNX model's scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    roc_auc_score,
)

from classifier.scheme import LabelScheme

THRESHOLD_GRID = np.round(np.arange(0.02, 0.96, 0.01), 2)


def tune_thresholds(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per-label threshold that maximises that label's F1 on this data (the dev split)."""
    best = np.full(scores.shape[1], 0.5)
    for j in range(scores.shape[1]):
        y = targets[:, j] > 0.5
        if not y.any():
            continue
        preds = scores[:, j][:, None] >= THRESHOLD_GRID[None, :]
        tp = (preds & y[:, None]).sum(axis=0)
        fp = (preds & ~y[:, None]).sum(axis=0)
        fn = (~preds & y[:, None]).sum(axis=0)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best[j] = THRESHOLD_GRID[int(np.argmax(f1))]
    return best


def multilabel_predictions(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Labels over threshold; a row with none keeps its top label (every text gets an answer)."""
    preds = scores >= thresholds[None, :]
    empty = ~preds.any(axis=1)
    preds[empty, scores[empty].argmax(axis=1)] = True
    return preds


def _grouped(
    matrix: np.ndarray, scheme: LabelScheme, grouping: str
) -> tuple[np.ndarray, list[str]]:
    groups = scheme.groups[grouping]
    names = list(groups)
    out = np.zeros((matrix.shape[0], len(names)), dtype=bool)
    for g, name in enumerate(names):
        cols = [scheme.labels.index(label) for label in groups[name]]
        out[:, g] = matrix[:, cols].any(axis=1)
    return out, names


def _safe_auc(y: np.ndarray, s: np.ndarray, average: str) -> float | None:
    try:
        return float(roc_auc_score(y, s, average=average, multi_class="ovr"))
    except ValueError:  # a class with no positives in this sample
        return None


def per_class(y_true: np.ndarray, y_pred: np.ndarray, names: list[str]) -> dict[str, Any]:
    labels = None if y_true.ndim == 2 else list(range(len(names)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        name: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, name in enumerate(names)
    }


def single_label_metrics(
    scores: np.ndarray, targets: np.ndarray, scheme: LabelScheme
) -> dict[str, Any]:
    names = list(scheme.labels)
    pred = scores.argmax(axis=1)
    k = len(names)
    return {
        "n": len(targets),
        "accuracy": float(accuracy_score(targets, pred)),
        "macro_f1": float(
            f1_score(targets, pred, average="macro", labels=range(k), zero_division=0)
        ),
        "weighted_f1": float(
            f1_score(targets, pred, average="weighted", labels=range(k), zero_division=0)
        ),
        "roc_auc_macro": _safe_auc(targets, scores, "macro"),
        "per_class": per_class(targets, pred, names),
        "confusion_matrix": confusion_matrix(targets, pred, labels=range(k)).tolist(),
        "labels": names,
    }


def multi_label_metrics(
    scores: np.ndarray,
    targets: np.ndarray,
    scheme: LabelScheme,
    thresholds: np.ndarray | None = None,
) -> dict[str, Any]:
    """Macro F1 at 0.5 and at ``thresholds`` (tuned on dev), grouped F1, per-label figures."""
    names = list(scheme.labels)
    y = targets > 0.5
    tuned = thresholds if thresholds is not None else np.full(len(names), 0.5)
    at_half = multilabel_predictions(scores, np.full(len(names), 0.5))
    at_tuned = multilabel_predictions(scores, tuned)
    out: dict[str, Any] = {
        "n": len(targets),
        # Exact-match accuracy of the label sets, and top-label accuracy (top label is a gold one).
        "accuracy": float((at_tuned == y).all(axis=1).mean()),
        "top1_accuracy": float(y[np.arange(len(y)), scores.argmax(axis=1)].mean()),
        "macro_f1": float(f1_score(y, at_half, average="macro", zero_division=0)),
        "macro_f1_tuned": float(f1_score(y, at_tuned, average="macro", zero_division=0)),
        "micro_f1_tuned": float(f1_score(y, at_tuned, average="micro", zero_division=0)),
        "weighted_f1": float(f1_score(y, at_tuned, average="weighted", zero_division=0)),
        "roc_auc_macro": _safe_auc(y.astype(int), scores, "macro"),
        "per_class": per_class(y, at_tuned, names),
        "thresholds": {name: float(t) for name, t in zip(names, tuned, strict=True)},
        "labels": names,
    }
    for grouping in ("ekman", "sentiment"):
        if grouping not in scheme.groups:
            continue
        gy, gnames = _grouped(y, scheme, grouping)
        gp, _ = _grouped(at_tuned, scheme, grouping)
        # Neutral rows have no group: they count as "no group" on both sides, as in the paper.
        out[f"{grouping}_macro_f1"] = float(f1_score(gy, gp, average="macro", zero_division=0))
        out[f"{grouping}_per_class"] = per_class(gy, gp, gnames)
    return out


def metrics_for(
    scores: np.ndarray,
    targets: np.ndarray,
    scheme: LabelScheme,
    thresholds: np.ndarray | None = None,
) -> dict[str, Any]:
    if scheme.multi_label:
        return multi_label_metrics(scores, targets, scheme, thresholds)
    return single_label_metrics(scores, targets, scheme)


def headline(metrics: dict[str, Any]) -> float:
    """The number model selection maximises: tuned macro F1 (multi-label) or macro F1."""
    return float(metrics.get("macro_f1_tuned", metrics["macro_f1"]))
