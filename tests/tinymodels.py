"""Session fixtures: tiny DistilBERT models trained and packaged once per test run (a pytest plugin
loaded by tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.train.tinydata import tiny_distilbert, write_emotion, write_goemotions

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny")


@pytest.fixture(scope="session")
def tiny_base(tiny_root: Path) -> Path:
    return tiny_distilbert(tiny_root / "base")


@pytest.fixture(scope="session")
def emotion_data(tiny_root: Path) -> Path:
    return write_emotion(tiny_root / "emotion")


@pytest.fixture(scope="session")
def goemotions_data(tiny_root: Path) -> Path:
    return write_goemotions(tiny_root / "goemotions")


def _fit(data: Path, base: Path, out: Path, epochs: int) -> Path:
    from train.cli import main

    code = main(
        [
            "fit",
            "--data",
            str(data),
            "--base",
            str(base),
            "--out",
            str(out),
            "--epochs",
            str(epochs),
            "--lr",
            "3e-3",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--max-length",
            "32",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="session")
def emotion_run(tiny_root: Path, tiny_base: Path, emotion_data: Path) -> Path:
    """A tiny DistilBERT fine-tuned, exported, quantised and packaged (single-label)."""
    return _fit(emotion_data, tiny_base, tiny_root / "run-emotion", epochs=6)


@pytest.fixture(scope="session")
def goemotions_run(tiny_root: Path, tiny_base: Path, goemotions_data: Path) -> Path:
    """The same for multi-label GoEmotions-format data."""
    return _fit(goemotions_data, tiny_base, tiny_root / "run-goemotions", epochs=6)
