"""Evaluation figures (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def confusion_png(matrix: np.ndarray, labels: list[str], path: Path, title: str) -> Path:
    """Row-normalised confusion matrix (rows: true label, columns: predicted), counts annotated."""
    matrix = np.asarray(matrix, dtype=float)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(5.0, 0.42 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if len(labels) <= 12:
        for i in range(len(labels)):
            for j in range(len(labels)):
                if matrix[i, j]:
                    ax.text(
                        j,
                        i,
                        str(int(matrix[i, j])),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if share[i, j] > 0.5 else "black",
                    )
    fig.colorbar(image, ax=ax, fraction=0.046, label="share of the true label's rows")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
