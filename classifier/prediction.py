"""What the classifier answers for one text."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNREAD_NOTES = frozenset({"empty", "unread"})
# The label a text that was not read (:attr:`Prediction.read` False) is stored under: no mood.
UNREAD_LABEL = "unread"


@dataclass(frozen=True)
class Prediction:
    """The model's answer for one text.

    ``label`` is the top-scoring label; ``scores`` holds every label's probability (softmax for
    single-label models, per-label sigmoid for multi-label ones); ``labels`` are the labels over
    their decision threshold (multi-label) or just ``(label,)`` (single-label), never empty:
    when no label clears its threshold the top label stands alone. ``note`` says when the text
    was treated specially: ``"empty"`` (nothing to classify: the neutral/fallback answer),
    ``"long"`` (split into windows and averaged), ``"invalid_text"`` (unencodable characters
    dropped), ``"unread"`` (another script or language, :mod:`classifier.readable`: the model
    did not run, the scores are the neutral fallback). ``read`` is False for empty and unread
    texts: they carry no mood.

    Models with a distress head (see ``train.heads``) also give, from the same forward pass,
    ``distress``: the probability that the text expresses suicide or self-harm risk (the
    highest window's for long texts), and ``embedding``: the normalised sentence embedding
    (of that window), for the exemplar matcher. Both are ``None`` for emotion-only models and
    for empty texts.
    """

    label: str
    scores: dict[str, float]
    labels: tuple[str, ...]
    model_version: str
    note: str | None = None
    distress: float | None = None
    embedding: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def read(self) -> bool:
        return self.note not in UNREAD_NOTES

    @property
    def confidence(self) -> float:
        return self.scores[self.label]
