"""Which words made the model say so: word-level attributions by occlusion, on the ONNX model.

For a text and one emotion (default: the model's top label), every word is removed in turn and
all the "without word i" variants are scored in **one** batched call of the model; a word's
contribution is ``score(text) - score(text without the word)``: positive words pushed the
emotion up, negative ones held it down. Scores are the model's own probabilities (softmax for a
single-label model, the label's sigmoid for a multi-label one), through the same text
preparation as :meth:`EmotionClassifier.predict`.

Optional refinement (``samples > 0``): besides the leave-one-out variants, ``samples`` random
variants that drop 2 to 5 words at once are scored in the same call, and the contributions are
the least-squares additive fit ``score ≈ b + Σ contribution_i · kept_i`` over all of them (with
leave-one-out only, that fit *is* leave-one-out). It accounts for words that stand in for each
other (``sad`` and ``miserable``), which leave-one-out under-rates. ``emotion-bot bench explain``
measures whether it pays off.

Defined answers for odd input:

* nothing to explain (empty, whitespace, only code): no words, note ``"empty"``;
* one word: its contribution is measured against the model's answer for an empty message (the
  runtime answers "neutral" without running the model, see :mod:`classifier.runtime`);
* emoji-only: each emoji is a word (the model reads its Unicode name);
* more than ``max_words`` words: only the first ``max_words`` are explained, on the text cut
  after them (``base_score`` is the cut text's score), note ``"cut"``; ``words_total`` says how
  many there were.

Units and offsets: see :mod:`classifier.explain_words`.
"""

from __future__ import annotations

import logging
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from classifier.explain_words import drop, word_spans
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme
from classifier.textprep import prepare

logger = logging.getLogger(__name__)

MAX_WORDS = 64
MAX_SAMPLES = 256
DEFAULT_SAMPLES = 0  # plain leave-one-out unless ``bench explain`` shows the refinement pays off
SAMPLE_DROP = (2, 5)  # the refinement's random variants drop this many words (at most n - 1)


class Model(Protocol):
    """What an explanation needs of a model. :class:`~classifier.EmotionClassifier` fits (and its
    batched ``scores`` is used); so does any classifier with ``predict`` alone (slower: it is
    called once with all the variants)."""

    @property
    def scheme(self) -> LabelScheme: ...

    @property
    def version(self) -> str: ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...


class Word(NamedTuple):
    """One word of the text: ``text[start:end] == word``; ``contribution`` in probability units."""

    word: str
    start: int
    end: int
    contribution: float


@dataclass(frozen=True)
class Explanation:
    """Why the model gave ``emotion`` the score ``base_score`` for ``text``.

    ``words`` is sorted strongest first (by absolute contribution; ties keep reading order).
    ``note``: ``None``, ``"empty"`` (nothing the model reads) or ``"cut"`` (only the first
    ``max_words`` words were explained).
    """

    text: str
    emotion: str
    base_score: float
    words: list[Word]
    note: str | None = None
    label: str = ""  # the model's top label for the (possibly cut) text
    model_version: str = ""
    words_total: int = 0  # words in the whole text, before any cut
    method: str = "occlusion"  # or "sampled" (with the random multi-word refinement)
    scores: dict[str, float] = field(default_factory=dict)  # every label's score for the text

    def top(self, n: int = 5, *, positive_only: bool = False) -> list[Word]:
        """The ``n`` strongest words (only those that pushed the emotion up, if asked)."""
        chosen = [w for w in self.words if w.contribution > 0] if positive_only else self.words
        return chosen[:n]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``emotion-bot explain --json`` prints it)."""
        return {
            "text": self.text,
            "emotion": self.emotion,
            "base_score": round(self.base_score, 6),
            "label": self.label,
            "model_version": self.model_version,
            "method": self.method,
            "note": self.note,
            "words_total": self.words_total,
            "words": [
                {
                    "word": w.word,
                    "start": w.start,
                    "end": w.end,
                    "contribution": round(w.contribution, 6),
                }
                for w in self.words
            ],
        }


def resolve_emotion(model: Model, emotion: str | None) -> str | None:
    """The label ``emotion`` names (case-insensitive), ``None`` for "the top label".

    Raises ``ValueError`` listing the model's labels when it names none of them.
    """
    if emotion is None or not emotion.strip():
        return None
    known = {label.lower(): label for label in model.scheme.labels}
    found = known.get(emotion.strip().lower())
    if found is None:
        raise ValueError(
            f"unknown emotion {emotion!r}; this model's labels: {', '.join(model.scheme.labels)}"
        )
    return found


def explain(
    model: Model,
    text: str,
    emotion: str | None = None,
    *,
    max_words: int = MAX_WORDS,
    samples: int = DEFAULT_SAMPLES,
    seed: int | None = None,
) -> Explanation:
    """Word-level attributions of ``text`` for ``emotion`` (default: the model's top label).

    ``samples``: random multi-word variants added to leave-one-out (0: plain occlusion; capped
    at :data:`MAX_SAMPLES`); ``seed`` fixes them (default: derived from the text, so the same
    text always gets the same answer). Never raises for odd text; raises ``ValueError`` for an
    unknown ``emotion`` or ``max_words < 1``.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    text = text if isinstance(text, str) else ("" if text is None else str(text))
    wanted = resolve_emotion(model, emotion)
    spans = word_spans(text)
    total = len(spans)
    note: str | None = None
    if total > max_words:
        spans = spans[:max_words]
        text_used = text[: spans[-1][1]]
        note = "cut"
    else:
        text_used = text
    if not prepare(text_used).text:  # only code, blank, or nothing the model reads
        spans, note, total = [], "empty", 0

    masks = _masks(len(spans), samples, text_used if seed is None else seed)
    variants = [drop(text_used, spans, np.flatnonzero(~m)) for m in masks]  # masks[0]: all kept
    labels = model.scheme.labels
    all_scores = _scores(model, variants, labels)
    full = all_scores[0]
    label = labels[int(full.argmax())]
    emotion_ = wanted or label
    column = all_scores[:, labels.index(emotion_)].astype(np.float64)

    contributions = _fit(masks, column) if len(spans) else np.zeros(0)
    words = [
        Word(text[s:e], s, e, float(c)) for (s, e), c in zip(spans, contributions, strict=True)
    ]
    order = sorted(range(len(words)), key=lambda i: (-abs(words[i].contribution), i))
    return Explanation(
        text=text,
        emotion=emotion_,
        base_score=float(column[0]),
        words=[words[i] for i in order],
        note=note,
        label=label,
        model_version=model.version,
        words_total=total,
        method="sampled" if len(masks) > len(spans) + 1 else "occlusion",
        scores={lbl: float(p) for lbl, p in zip(labels, full, strict=True)},
    )


def _scores(model: Model, texts: list[str], labels: Sequence[str]) -> np.ndarray:
    """Every label's score for every text, in one batched call of the model."""
    batched = getattr(model, "scores", None)
    if callable(batched):
        return np.asarray(batched(texts))
    return np.array([[p.scores.get(label, 0.0) for label in labels] for p in model.predict(texts)])


def _masks(n: int, samples: int, seed: object) -> np.ndarray:
    """Kept-word masks, one row per variant: the whole text, leave-one-out, then random drops."""
    rows = [np.ones(n, dtype=bool)]
    for i in range(n):
        row = np.ones(n, dtype=bool)
        row[i] = False
        rows.append(row)
    samples = min(max(0, samples), MAX_SAMPLES)
    if samples and n >= 3:
        rng = random.Random(seed if isinstance(seed, int) else zlib.crc32(str(seed).encode()))
        low, high = SAMPLE_DROP[0], min(SAMPLE_DROP[1], n - 1)
        for _ in range(samples):
            row = np.ones(n, dtype=bool)
            row[rng.sample(range(n), rng.randint(low, max(low, high)))] = False
            rows.append(row)
    return np.stack(rows)


def _fit(masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Contributions: leave-one-out differences, or the least-squares additive fit with samples."""
    n = masks.shape[1]
    if masks.shape[0] == n + 1:
        return scores[0] - scores[1:]
    design = np.hstack([np.ones((masks.shape[0], 1)), masks.astype(np.float64)])
    coef, *_ = np.linalg.lstsq(design, scores, rcond=None)
    return np.asarray(coef[1:])
