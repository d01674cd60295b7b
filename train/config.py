"""Training configuration: one dataclass, saved next to the model it produced."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

# The documented default for users who can reach the Hugging Face hub. On machines without a hub,
# pass a local folder (e.g. the packaged all-MiniLM-L6-v2, see ``train.base.local_minilm``).
DEFAULT_BASE = "distilbert-base-uncased"


TRAIN_LAYERS = ("all", "emotion-head")


@dataclass
class TrainConfig:
    """Everything that determines a training run (with data and seed, it is reproducible)."""

    data: str
    out: str
    base: str = DEFAULT_BASE
    epochs: int = 6
    lr: float = 1e-4
    batch_size: int = 32
    max_length: int = 128
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    seed: int = 13
    threads: int = 0  # 0: torch's default
    label_smoothing: float = 0.0  # single-label only
    # Single-label: "sqrt" weights each class's loss by 1/sqrt(its share of the training data)
    # (normalised to mean 1), so rare classes such as dair-ai's "surprise" count for more
    # without the over-correction of full inverse-frequency weights. "none": plain cross-entropy.
    class_weighting: str = "none"
    # Multi-label: start the output biases at the labels' log-odds in the training data, so the
    # first steps do not shove every logit down at once (which can kill a small head's ReLU units).
    prior_bias_init: bool = True
    # Exponential moving average of the weights (see ``train.ema``), scored on validation next to
    # the raw weights at every epoch; 0 = off. 0.999 averages over roughly the last 1,000 steps.
    ema_decay: float = 0.0
    # A smaller student (train.distill): keep only these encoder layers of the base, e.g. "0,3,5"
    # ("": all), and learn the teacher's scores (a fine-tuned checkpoint folder) next to the labels,
    # weighted distill_weight against 1 - distill_weight for the labels.
    keep_layers: str = ""
    teacher: str | None = None
    distill_weight: float = 0.5
    # "distilbert": convert a BERT-architecture base (after keep_layers) into a DistilBERT
    # (train.distilbert); "": keep the base's architecture.
    architecture: str = ""
    # Multi-task (train.multitask): the distress data folder (../shared/data/distress) turns on
    # the at-risk head, weighted distress_weight next to the emotion loss; embed_teacher (a base
    # name, e.g. "minilm") adds the cosine loss towards its sentence embedding, weighted
    # embed_weight. extra_exemplars: a TSV of community exemplars (kind, category, text).
    distress_data: str | None = None
    distress_weight: float = 0.5
    # At most this many rows of the research data (Patil posts, SAD sentences), drawn keeping
    # its share of at-risk rows (0 = all). Retraining caps it, so that a community's few hundred
    # labels are not drowned by ~8,000 research rows (and a run takes minutes, not an hour).
    distress_rows: int = 0
    embed_teacher: str | None = None
    embed_weight: float = 1.0
    extra_exemplars: str | None = None
    # Which weights learn: "all", or "emotion-head" (the emotion classifier head only: the encoder,
    # and with it the sentence embedding, the distress head and the exemplar matcher, stay exactly
    # as they were; retraining on a community's labels uses it).
    train_layers: str = "all"
    # Extra training examples (a file in the dataset's format), e.g. community labels (retraining).
    extra_train: str | None = None
    # Cap on training examples per epoch (0 = all); used by quick runs and tests.
    max_train_examples: int = 0
    max_eval_examples: int = 0

    def __post_init__(self) -> None:
        if self.class_weighting not in ("none", "sqrt"):
            raise ValueError(
                f"class_weighting must be 'none' or 'sqrt', not {self.class_weighting!r}"
            )
        if self.architecture not in ("", "distilbert"):
            raise ValueError(f"architecture must be '' or 'distilbert', not {self.architecture!r}")
        if self.train_layers not in TRAIN_LAYERS:
            raise ValueError(
                f"train_layers must be one of {', '.join(TRAIN_LAYERS)}, not {self.train_layers!r}"
            )
        if not 0.0 <= self.distill_weight <= 1.0:
            raise ValueError(f"distill_weight must be between 0 and 1, not {self.distill_weight}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
