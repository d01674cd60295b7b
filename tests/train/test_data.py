from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from train.data import DataError, detect_format, load_split


def test_emotion_format(emotion_data: Path) -> None:
    split = load_split(emotion_data, "val")
    assert detect_format(emotion_data) == "emotion"
    assert len(split) == 120 and split.targets.dtype == np.int64
    assert not split.scheme.multi_label


def test_goemotions_format(goemotions_data: Path) -> None:
    split = load_split(goemotions_data, "dev")
    assert split.targets.shape == (160, 28)
    assert split.scheme.multi_label
    assert (split.targets.sum(axis=1) >= 1).all()


def test_real_file_semicolons_in_text(tmp_path: Path) -> None:
    (tmp_path / "train.txt").write_text("i feel ok; really;joy\n", encoding="utf-8")
    split = load_split(tmp_path, "train")
    assert split.texts == ["i feel ok; really"]


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("train.txt", "no label here\n", "train.txt:1"),
        ("train.txt", "text;notalabel\n", "train.txt:1"),
        ("train.tsv", "text\t99\tid\n", "out of range"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, name: str, content: str, needle: str) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=needle):
        load_split(tmp_path, "train")


def test_missing_folder_and_split(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not a dataset folder"):
        load_split(tmp_path / "nope", "train")
    with pytest.raises(DataError, match="unknown split"):
        load_split(tmp_path, "holdout")
