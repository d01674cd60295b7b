"""Token ids, length-bucketed batches and batched scoring: shared by training and distillation."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def encode(tokenizer: Any, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids per text, truncated to ``max_length`` (training data is short; serving windows)."""
    if not texts:  # the fast tokenizer fails on an empty batch
        return []
    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]


def bucketed_batches(
    lengths: list[int], batch_size: int, rng: np.random.Generator, shuffle: bool = True
) -> list[np.ndarray]:
    """Batches of similar length (little padding), in random order.

    Indices are shuffled, cut into pools of 50 batches, sorted by length within each pool, then
    the batches are shuffled: close to random batches, with a fraction of the padding.
    """
    order = rng.permutation(len(lengths)) if shuffle else np.arange(len(lengths))
    pool = batch_size * 50
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort([lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    if shuffle:
        rng.shuffle(batches)
    return batches


def collate(ids: list[list[int]], batch: np.ndarray, pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(ids[i]) for i in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, i in enumerate(batch):
        seq = ids[i]
        input_ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


@torch.no_grad()
def predict_scores(
    model: Any, ids: list[list[int]], pad_id: int, multi_label: bool, batch_size: int = 128
) -> np.ndarray:
    """Probabilities for every text (sigmoid for multi-label, softmax otherwise)."""
    model.eval()
    out = np.zeros((len(ids), model.config.num_labels), dtype=np.float32)
    order = np.argsort([len(x) for x in ids])
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        logits = model(**collate(ids, batch, pad_id)).logits
        probs = torch.sigmoid(logits) if multi_label else torch.softmax(logits, dim=-1)
        out[batch] = probs.float().numpy()
    return out
