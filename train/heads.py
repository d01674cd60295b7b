"""The outputs beside the emotion logits, computed in the same forward pass.

- ``embedding``: the mean of the last hidden states over real tokens, L2-normalised, the way
  all-MiniLM-L6-v2 makes its sentence embedding. Training keeps it close to MiniLM's own (cosine
  distillation), so exemplars embedded with this model can be compared with members' messages.
- ``distress``: the at-risk logit, a small MLP on that embedding.

The emotion model stays a plain ``...ForSequenceClassification`` checkpoint (``from_pretrained``
as any); the distress head is saved beside it as ``distress_head.safetensors`` with
``heads.json``. :class:`MultiHead` wraps both for training and export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

HEAD_FILE = "distress_head.safetensors"
HEADS_META = "heads.json"
HIDDEN = 256


class DistressHead(nn.Module):
    def __init__(self, dim: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.dense = nn.Linear(dim, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return self.out(F.gelu(self.dense(embedding))).squeeze(-1)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def hidden_size(model: Any) -> int:
    config = model.config
    return int(getattr(config, "hidden_size", None) or config.dim)


class MultiHead(nn.Module):
    """Emotion logits, distress logit and sentence embedding from one encoder pass."""

    def __init__(self, model: Any, head: nn.Module | None = None) -> None:
        super().__init__()
        self.model: Any = model
        self.head: nn.Module = head or DistressHead(hidden_size(model))

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = self.model(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True
        )
        embedding = F.normalize(mean_pool(out.hidden_states[-1], attention_mask), dim=-1)
        return out.logits, self.head(embedding), embedding

    def save_head(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        save_file(
            {k: v.detach().contiguous() for k, v in self.head.state_dict().items()},
            str(folder / HEAD_FILE),
        )
        (folder / HEADS_META).write_text(
            json.dumps(
                {
                    "distress": {"file": HEAD_FILE, "input": "embedding", "hidden": HIDDEN},
                    "embedding": {"pooling": "mean", "normalised": True},
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )


def has_heads(folder: Path) -> bool:
    return (folder / HEAD_FILE).exists()


def load_head(folder: Path, dim: int) -> DistressHead:
    from safetensors.torch import load_file

    meta = json.loads((folder / HEADS_META).read_text(encoding="utf-8"))
    head = DistressHead(dim, int(meta["distress"].get("hidden", HIDDEN)))
    state = {k: v.float() for k, v in load_file(str(folder / HEAD_FILE)).items()}
    head.load_state_dict(state)
    return head
