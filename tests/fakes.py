"""Test doubles that are real implementations, not mocks: a keyword-driven classifier with the
GoEmotions scheme, and a clock that tests move by hand."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from classifier.prediction import Prediction
from classifier.scheme import LabelScheme, goemotions_scheme

# keyword regex -> (label, score). The first matching rules win per label; scores are sigmoid-like
# and independent (multi-label), like the real GoEmotions model.
KEYWORDS: tuple[tuple[str, str, float], ...] = (
    (r"\b(sad|miserable|crying|cry|lonely|hopeless)\b", "sadness", 0.85),
    (r"\b(gutted|down|blue)\b", "sadness", 0.6),
    (r"\b(angry|furious|hate|rage)\b", "anger", 0.8),
    (r"\b(annoyed|annoying|ugh)\b", "annoyance", 0.7),
    (r"\b(scared|afraid|terrified)\b", "fear", 0.8),
    (r"\b(nervous|anxious|worried)\b", "nervousness", 0.7),
    (r"\b(disappointed|letdown)\b", "disappointment", 0.75),
    (r"\b(happy|great|awesome|yay)\b", "joy", 0.85),
    (r"\b(love|adore)\b", "love", 0.85),
    (r"\b(thanks|thank)\b", "gratitude", 0.9),
    (r"\b(wow|whoa)\b", "surprise", 0.7),
    (r"\?", "curiosity", 0.55),
    (r"(😂|🤣|lol|haha)", "amusement", 0.8),
)
BASELINE = 0.02


class FakeClassifier:
    """Implements :class:`bot.core.ports.Classifier` with keyword rules. Thread-safe.

    ``fail_times``: the next N ``predict`` calls raise. ``fail_on``: texts containing this
    substring make every call that includes them raise. ``calls`` / ``batch_sizes`` record use.
    """

    def __init__(self, *, version: str = "fake-1", scheme: LabelScheme | None = None) -> None:
        self._scheme = scheme or goemotions_scheme()
        self._version = version
        self._lock = threading.Lock()
        self.fail_times = 0
        self.fail_on: str | None = None
        self.calls = 0
        self.batch_sizes: list[int] = []
        self.rules = [
            (re.compile(rx, re.IGNORECASE), label, score) for rx, label, score in KEYWORDS
        ]

    @property
    def scheme(self) -> LabelScheme:
        return self._scheme

    @property
    def version(self) -> str:
        return self._version

    @property
    def thresholds(self) -> dict[str, float]:
        return {label: 0.5 for label in self._scheme.labels}

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        with self._lock:
            self.calls += 1
            self.batch_sizes.append(len(texts))
            if self.fail_times > 0:
                self.fail_times -= 1
                raise RuntimeError("fake classifier failure")
            if self.fail_on is not None and any(self.fail_on in t for t in texts):
                raise RuntimeError(f"fake classifier cannot read {self.fail_on!r}")
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> Prediction:
        labels = self._scheme.labels
        scores = {label: BASELINE for label in labels}
        for regex, label, score in self.rules:
            if label in scores and regex.search(text) and scores[label] < score:
                scores[label] = score
        neutral = [label for label in labels if self._scheme.family[label] == "neutral"]
        if neutral and max(scores.values()) <= BASELINE:
            scores[neutral[0]] = 0.9
        top = max(labels, key=lambda label: scores[label])
        over = tuple(label for label in labels if scores[label] >= 0.5) or (top,)
        note = "empty" if not text.strip() else ("long" if len(text) > 512 else None)
        return Prediction(
            label=top, scores=scores, labels=over, model_version=self._version, note=note
        )


class ManualClock:
    """A clock for the service: ``clock()`` returns the current time; ``advance`` moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
