"""Small synthetic datasets in the real on-disk formats, and a tiny random DistilBERT base.

The texts carry one keyword per emotion so that a tiny model learns them in seconds; the files use
exactly the formats of the real releases (``text;label`` lines, GoEmotions TSV).
"""

from __future__ import annotations

import random
from pathlib import Path

from classifier.scheme import EMOTION_LABELS, GOEMOTIONS_LABELS

KEYWORDS = {
    "sadness": ["sad", "lonely", "miserable"],
    "joy": ["happy", "glad", "cheerful"],
    "love": ["love", "adore", "cherish"],
    "anger": ["angry", "furious", "mad"],
    "fear": ["scared", "afraid", "terrified"],
    "surprise": ["shocked", "amazed", "astonished"],
}
FILLERS = ["today", "right now", "again", "this morning", "about it", "honestly"]


def write_emotion(
    folder: Path, sizes: tuple[int, int, int] = (480, 120, 120), seed: int = 0
) -> Path:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in zip(("train.txt", "val.txt", "test.txt"), sizes, strict=True):
        lines = []
        for _ in range(n):
            label = rng.choice(EMOTION_LABELS)
            lines.append(f"i feel {rng.choice(KEYWORDS[label])} {rng.choice(FILLERS)};{label}")
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_goemotions(folder: Path, sizes: tuple[int, int] = (480, 160), seed: int = 0) -> Path:
    """GoEmotions TSV over a few of its labels (ids index the real 28-label list).

    About a fifth of the rows carry two labels."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    words = {
        "joy": "glad",
        "anger": "furious",
        "sadness": "miserable",
        "fear": "terrified",
        "gratitude": "thanks",
        "neutral": "the",
    }
    for name, n in zip(("train.tsv", "dev.tsv"), sizes, strict=True):
        lines = []
        for i in range(n):
            chosen = rng.sample(list(words), 2 if rng.random() < 0.2 else 1)
            text = " ".join(f"{words[c]} {rng.choice(FILLERS)}" for c in chosen)
            ids = ",".join(str(GOEMOTIONS_LABELS.index(c)) for c in chosen)
            lines.append(f"{text}\t{ids}\tid{i}")
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def tiny_distilbert(folder: Path) -> Path:
    """A randomly initialised 2-layer DistilBERT with the uncased WordPiece tokenizer."""
    import torch
    from transformers import AutoTokenizer, DistilBertConfig, DistilBertModel

    from train.base import resolve_base

    config = DistilBertConfig(
        vocab_size=30522, dim=32, n_layers=2, n_heads=2, hidden_dim=64, max_position_embeddings=512
    )
    # Seeded: otherwise the weights depend on whatever used torch's global generator earlier in
    # the test run, and so do the tiny models trained from them.
    torch.manual_seed(1)
    DistilBertModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(resolve_base("minilm")).save_pretrained(folder)
    return folder
