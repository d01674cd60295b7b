"""The model folder: what ``train`` writes and ``classifier`` loads.

model.onnx        the graph (int8 for the shipped model)
tokenizer.json    the Hugging Face fast-tokenizer file
labels.json       the label scheme (names, multi-label or not, families, groupings)
meta.json         version id, base model, thresholds, max length, metrics, provenance,
                      training config
README.md         the model card
eval/             metrics.json, confusion matrix PNG, parity report (optional)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.scheme import LabelScheme

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
LABELS_FILE = "labels.json"
META_FILE = "meta.json"
CARD_FILE = "README.md"
REQUIRED = (MODEL_FILE, TOKENIZER_FILE, LABELS_FILE, META_FILE)


class ModelLoadError(RuntimeError):
    """A model folder that cannot be used. The message names the folder and what is wrong."""

    def __init__(self, folder: Path | str, problem: str) -> None:
        super().__init__(f"model folder {folder}: {problem}")
        self.folder = Path(folder)
        self.problem = problem


@dataclass(frozen=True)
class ModelArtifact:
    """A checked model folder: paths, label scheme and metadata (nothing loaded into memory yet)."""

    folder: Path
    scheme: LabelScheme
    meta: dict[str, Any]

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def tokenizer_path(self) -> Path:
        return self.folder / TOKENIZER_FILE

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def max_length(self) -> int:
        return int(self.meta.get("max_length", 128))

    @property
    def thresholds(self) -> dict[str, float]:
        """Per-label decision thresholds (multi-label); 0.5 where none was tuned."""
        tuned = self.meta.get("thresholds") or {}
        return {label: float(tuned.get(label, 0.5)) for label in self.scheme.labels}


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    try:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(folder, f"cannot read {name}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ModelLoadError(folder, f"{name} is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(folder, f"{name} must hold a JSON object")
    return data


def read_artifact(folder: Path | str) -> ModelArtifact:
    """Check a model folder's files and read its scheme and metadata."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(folder, "does not exist or is not a folder")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelLoadError(
            folder, f"missing {', '.join(missing)} (expected {', '.join(REQUIRED)})"
        )
    if (folder / MODEL_FILE).stat().st_size < 1024:
        # A Git LFS pointer or a truncated copy.
        raise ModelLoadError(
            folder, f"{MODEL_FILE} is too small to be a model (a Git LFS pointer?)"
        )
    try:
        scheme = LabelScheme.from_json(_read_json(folder, LABELS_FILE))
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelLoadError(folder, f"{LABELS_FILE} is not a valid label scheme ({exc})") from exc
    meta = _read_json(folder, META_FILE)
    if "version" not in meta:
        raise ModelLoadError(folder, f"{META_FILE} has no 'version'")
    return ModelArtifact(folder=folder, scheme=scheme, meta=meta)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
