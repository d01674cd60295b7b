"""Parity between the PyTorch model and its ONNX exports, measured through ``classifier``.

The ONNX side is the real serving path (``classifier.load`` → ``scores``), so text preparation and
tokenisation are part of what is compared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from classifier.textprep import prepare


@torch.no_grad()
def torch_scores(
    model: Any,
    tokenizer: Any,
    texts: list[str],
    *,
    multi_label: bool,
    max_length: int = 128,
    batch_size: int = 64,
) -> np.ndarray:
    """PyTorch probabilities for texts prepared exactly as the classifier prepares them."""
    model.eval()
    vocab = frozenset(t for t in tokenizer.get_vocab() if len(t) == 1)
    prepared = [prepare(t, vocab).text for t in texts]
    out = []
    for start in range(0, len(prepared), batch_size):
        enc = tokenizer(
            prepared[start : start + batch_size],
            truncation=True,
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
        probs = torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)
        out.append(probs.float().numpy())
    return np.concatenate(out)


def compare(reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    """Argmax agreement and score differences of ``candidate`` against ``reference``."""
    diff = np.abs(reference - candidate)
    return {
        "argmax_agreement": float((reference.argmax(1) == candidate.argmax(1)).mean()),
        "max_abs_diff": float(diff.max()),
        "mean_abs_diff": float(diff.mean()),
        "n": len(reference),
    }


def onnx_scores(model_dir: Path, texts: list[str]) -> np.ndarray:
    import classifier

    return classifier.load(model_dir).scores(texts)
