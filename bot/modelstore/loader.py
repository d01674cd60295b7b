"""The one model loader: every part of the bot that needs a model loads it here."""

from __future__ import annotations

import sys
from pathlib import Path

import classifier
from bot.config import load_settings


def load_model(
    model_dir: str | Path, *, threads: int = 0, batch_size: int | None = None
) -> classifier.EmotionClassifier:
    """Load a model folder (``threads``: ONNX Runtime intra-op threads, 0: all cores).

    Raises :class:`classifier.ModelLoadError` naming the folder and the problem."""
    if batch_size is None:
        return classifier.load(model_dir, threads=threads)
    return classifier.load(model_dir, threads=threads, batch_size=batch_size)


def load_or_exit(model_dir: Path | None, threads: int = 0) -> classifier.EmotionClassifier:
    """For command-line programs: ``model_dir`` (default: the settings' ``MODEL_DIR``), or
    ``error: ...`` on stderr and exit status 1."""
    if model_dir is None:
        model_dir = Path(load_settings().model_dir)
    try:
        return load_model(model_dir, threads=threads)
    except classifier.ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
