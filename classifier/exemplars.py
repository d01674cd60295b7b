"""The exemplar matcher: how close a message is to the project's short risk exemplars.

``exemplars.npz`` in a model folder holds the exemplars' embeddings (computed by ``train package``
with that model's own embedding output), their kind (``risk`` or ``safe``) and category;
``exemplars.tsv`` beside it keeps the texts for retraining. A message's score is its best cosine
similarity to a risk exemplar minus :data:`NEGATIVE_SHARE` times its best similarity to a hard
negative ("this exam is killing me", a news report, a song lyric), and the category of the
closest risk exemplar names what it looked like ("closest to: preparatory acts").

Moderators' additions (a reviewed flag marked resolved, or a false alarm) are embedded at run
time with the same model and added with :meth:`ExemplarMatcher.with_added`: they count at once,
without retraining.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

EXEMPLARS_FILE = "exemplars.npz"
EXEMPLAR_TEXTS_FILE = "exemplars.tsv"
# How much the nearest hard negative pulls a score down; 0.5 measured better than 0 and 1 on the
# Patil dev rows at the same chat budget (see docs/model.md).
NEGATIVE_SHARE = 0.5

# Plain words for the moderators' card.
# The C-SSRS categories of risk exemplars (train.exemplars checks the file against them; a
# community's exemplars are written for the trainer in them).
RISK_CATEGORIES: tuple[str, ...] = (
    "wish_dead",
    "nonspecific",
    "method",
    "intent",
    "plan",
    "preparatory",
    "self_injury",
    "burden",
)
CATEGORY_NAMES: dict[str, str] = {
    "wish_dead": "wish to be dead",
    "nonspecific": "thoughts of suicide",
    "method": "method",
    "intent": "intent",
    "plan": "a plan",
    "preparatory": "preparatory acts",
    "self_injury": "self-injury",
    "burden": "feeling a burden",
    "hyperbole": "a figure of speech",
    "gaming": "gaming talk",
    "third_person": "worry about someone else",
    "news": "news or facts",
    "negated": "saying they are not at risk",
    "lyrics_quote": "lyrics or a quote",
    "support": "supporting someone",
    "harassment": "aimed at someone else",
    "everyday_negative": "an everyday bad day",
    "community": "a moderator's example",
}


@dataclass(frozen=True)
class Match:
    score: float
    risk_similarity: float
    safe_similarity: float
    category: str  # of the closest risk exemplar

    @property
    def category_name(self) -> str:
        return CATEGORY_NAMES.get(self.category, self.category.replace("_", " "))


class ExemplarMatcher:
    def __init__(self, embeddings: np.ndarray, kinds: list[str], categories: list[str]) -> None:
        if len(embeddings) != len(kinds) or len(kinds) != len(categories):
            raise ValueError("exemplar embeddings, kinds and categories differ in length")
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.kinds = list(kinds)
        self.categories = list(categories)
        risk = np.array([k == "risk" for k in kinds], dtype=bool)
        self._risk = self.embeddings[risk]
        self._risk_categories = [c for c, r in zip(categories, risk, strict=True) if r]
        self._safe = self.embeddings[~risk]

    def __len__(self) -> int:
        return len(self.kinds)

    def match(self, embedding: np.ndarray) -> Match | None:
        scores = self.match_many(np.asarray(embedding, dtype=np.float32)[None, :])
        return scores[0]

    def match_many(self, embeddings: np.ndarray) -> list[Match | None]:
        """One :class:`Match` per row (``None`` for a zero row: an empty text)."""
        if len(self._risk) == 0:
            return [None] * len(embeddings)
        risk = embeddings @ self._risk.T
        safe = embeddings @ self._safe.T if len(self._safe) else np.zeros((len(embeddings), 1))
        best = risk.argmax(axis=1)
        out: list[Match | None] = []
        for row in range(len(embeddings)):
            if not embeddings[row].any():
                out.append(None)
                continue
            r = float(risk[row, best[row]])
            s = float(safe[row].max())
            out.append(Match(r - NEGATIVE_SHARE * s, r, s, self._risk_categories[int(best[row])]))
        return out

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        """Scores only, as an array (zero rows score -1)."""
        if len(self._risk) == 0:
            return np.full(len(embeddings), -1.0, dtype=np.float32)
        risk = (embeddings @ self._risk.T).max(axis=1)
        safe = (embeddings @ self._safe.T).max(axis=1) if len(self._safe) else 0.0
        out = (risk - NEGATIVE_SHARE * safe).astype(np.float32)
        out[~embeddings.any(axis=1)] = -1.0
        return out

    def with_added(
        self, embeddings: np.ndarray, kinds: list[str], categories: list[str]
    ) -> ExemplarMatcher:
        if len(embeddings) == 0:
            return self
        return ExemplarMatcher(
            np.concatenate([self.embeddings, np.asarray(embeddings, dtype=np.float32)]),
            self.kinds + list(kinds),
            self.categories + list(categories),
        )

    def save(self, folder: Path) -> Path:
        path = folder / EXEMPLARS_FILE
        np.savez_compressed(
            path,
            embeddings=self.embeddings.astype(np.float16),
            kinds=np.array(self.kinds),
            categories=np.array(self.categories),
        )
        return path

    @classmethod
    def load(cls, folder: Path) -> ExemplarMatcher | None:
        path = Path(folder) / EXEMPLARS_FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            return cls(
                data["embeddings"].astype(np.float32),
                [str(k) for k in data["kinds"]],
                [str(c) for c in data["categories"]],
            )
