"""Datasets: dair-ai/emotion and GoEmotions, from a local folder or a hub name.

Local formats are those of the original releases (see ``../shared/README.md``):

* dair-ai/emotion: ``train.txt``, ``val.txt``, ``test.txt`` with one ``text;label`` per line;
* GoEmotions: ``train.tsv``, ``dev.tsv`` (and ``test.tsv`` when present) with
  ``text<TAB>comma-separated label ids<TAB>comment id``; label ids index ``emotions.txt``.

Every split comes back as :class:`Split`: texts plus a target matrix (class ids for single-label
data, a 0/1 matrix for multi-label data), with the :class:`~classifier.scheme.LabelScheme` it uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifier.scheme import (
    EMOTION_LABELS,
    GOEMOTIONS_LABELS,
    LabelScheme,
    emotion_scheme,
    goemotions_scheme,
)

logger = logging.getLogger(__name__)

# Canonical split names and the file stems each format uses for them.
SPLIT_ALIASES = {
    "train": "train",
    "validation": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
}
EMOTION_FILES = {"train": "train.txt", "validation": "val.txt", "test": "test.txt"}
GOEMOTIONS_FILES = {"train": "train.tsv", "validation": "dev.tsv", "test": "test.tsv"}
HUB_NAMES = {"emotion": "dair-ai/emotion", "goemotions": "google-research-datasets/go_emotions"}


@dataclass(frozen=True)
class Split:
    """Texts and targets of one split. ``targets`` is (n,) int for single-label, (n, k) 0/1 else."""

    texts: list[str]
    targets: np.ndarray
    scheme: LabelScheme
    source: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: np.ndarray | list[int]) -> Split:
        idx = np.asarray(indices, dtype=np.int64)
        return Split([self.texts[i] for i in idx], self.targets[idx], self.scheme, self.source)


class DataError(ValueError):
    """A dataset folder or file that cannot be read; the message names the file and the problem."""


def detect_format(source: str | Path) -> str:
    """``"emotion"`` or ``"goemotions"`` for a local folder, a hub name, or a short alias."""
    text = str(source)
    for fmt, hub in HUB_NAMES.items():
        if text in (fmt, hub):
            return fmt
    path = Path(source)
    if (path / "train.txt").exists() or (path / "test.txt").exists():
        return "emotion"
    if (path / "train.tsv").exists() or (path / "dev.tsv").exists():
        return "goemotions"
    raise DataError(
        f"{path}: not a dataset folder (expected dair-ai/emotion train.txt/val.txt/test.txt or "
        f"GoEmotions train.tsv/dev.tsv), nor a known hub name ({', '.join(HUB_NAMES.values())})"
    )


def load_split(source: str | Path, split: str) -> Split:
    """Load one split (``train``, ``validation``/``val``/``dev``, ``test``)."""
    canonical = SPLIT_ALIASES.get(split)
    if canonical is None:
        raise DataError(f"unknown split {split!r}: use train, validation (val, dev) or test")
    fmt = detect_format(source)
    path = Path(source)
    if not path.exists():
        return _load_from_hub(fmt, canonical)
    if fmt == "emotion":
        return _read_emotion(path / EMOTION_FILES[canonical])
    return _read_goemotions(path / GOEMOTIONS_FILES[canonical])


def _read_emotion(file: Path) -> Split:
    if not file.exists():
        raise DataError(f"{file}: missing")
    index = {label: i for i, label in enumerate(EMOTION_LABELS)}
    texts: list[str] = []
    targets: list[int] = []
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        text, sep, label = line.rpartition(";")
        if not sep or label.strip() not in index:
            raise DataError(
                f"{file}:{lineno}: expected 'text;label' with a label in {EMOTION_LABELS}"
            )
        texts.append(text)
        targets.append(index[label.strip()])
    return Split(texts, np.asarray(targets, dtype=np.int64), emotion_scheme(), str(file))


def _read_goemotions(file: Path) -> Split:
    if not file.exists():
        raise DataError(f"{file}: missing")
    k = len(GOEMOTIONS_LABELS)
    texts: list[str] = []
    rows: list[np.ndarray] = []
    for lineno, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise DataError(f"{file}:{lineno}: expected 'text<TAB>label ids[<TAB>id]'")
        row = np.zeros(k, dtype=np.float32)
        try:
            ids = [int(x) for x in parts[1].split(",") if x.strip()]
        except ValueError as exc:
            raise DataError(f"{file}:{lineno}: label ids must be integers: {parts[1]!r}") from exc
        if not ids or any(not 0 <= i < k for i in ids):
            raise DataError(f"{file}:{lineno}: label ids out of range 0..{k - 1}: {parts[1]!r}")
        row[ids] = 1.0
        texts.append(parts[0])
        rows.append(row)
    return Split(texts, np.stack(rows), goemotions_scheme(), str(file))


def _load_from_hub(fmt: str, split: str) -> Split:
    """Load from the Hugging Face hub with ``datasets`` (only where a hub is reachable)."""
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise DataError(
            f"{HUB_NAMES[fmt]}: not a local folder, and the 'datasets' package is not installed "
            "to fetch it from the hub (pip install datasets), or pass a local folder"
        ) from exc
    name = HUB_NAMES[fmt]
    if fmt == "emotion":
        ds = datasets.load_dataset(name, split=split)
        return Split(
            list(ds["text"]), np.asarray(ds["label"], dtype=np.int64), emotion_scheme(), name
        )
    ds = datasets.load_dataset(name, "simplified", split=split)
    targets = np.zeros((len(ds), len(GOEMOTIONS_LABELS)), dtype=np.float32)
    for i, ids in enumerate(ds["labels"]):
        targets[i, ids] = 1.0
    return Split(list(ds["text"]), targets, goemotions_scheme(), name)


def label_ids(split: Split) -> np.ndarray:
    """Single-label class ids (the argmax of multi-hot rows for multi-label data)."""
    return split.targets if split.targets.ndim == 1 else split.targets.argmax(axis=1)
