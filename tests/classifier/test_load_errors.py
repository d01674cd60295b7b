"""A missing or corrupt model folder gives one clear error naming the folder and the problem."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import classifier


@pytest.fixture
def copy(emotion_run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(emotion_run / "model", tmp_path / "model"))


def _error(folder: Path) -> str:
    with pytest.raises(classifier.ModelLoadError) as info:
        classifier.load(folder)
    assert str(folder) in str(info.value)
    return info.value.problem


def test_missing_folder(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nowhere")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json", "labels.json", "meta.json"])
def test_missing_file(copy: Path, name: str) -> None:
    (copy / name).unlink()
    assert name in _error(copy)


@pytest.mark.slow
def test_corrupt_files(copy: Path) -> None:
    (copy / "meta.json").write_text("{not json")
    assert "meta.json is not valid JSON" in _error(copy)


@pytest.mark.slow
def test_lfs_pointer_and_garbage_model(copy: Path) -> None:
    (copy / "model.onnx").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n")
    assert "too small" in _error(copy)
    (copy / "model.onnx").write_bytes(b"\x00garbage" * 1000)
    assert "model.onnx cannot be loaded" in _error(copy)


@pytest.mark.slow
def test_labels_that_do_not_match_the_graph(copy: Path) -> None:
    labels = json.loads((copy / "labels.json").read_text())
    labels["labels"] = labels["labels"][:3]
    labels["family"] = {k: v for k, v in labels["family"].items() if k in labels["labels"]}
    (copy / "labels.json").write_text(json.dumps(labels))
    assert "outputs 6 scores" in _error(copy)


def test_importing_classifier_never_imports_torch_or_transformers() -> None:
    code = (
        "import sys, classifier, classifier.runtime; "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
