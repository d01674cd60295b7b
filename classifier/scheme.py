"""Label schemes: the names a model predicts and how they group, stored with the model.

A scheme is data (``labels.json`` in the model folder), so the bot never hard-codes label names:
it asks the scheme which labels are negative, positive or neutral, and how they fold into Ekman's
six basic emotions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The families the bot's policies reason about. Every label of a scheme belongs to exactly one.
FAMILIES = ("negative", "positive", "neutral", "ambiguous")


@dataclass(frozen=True)
class LabelScheme:
    """Names, kind (single- or multi-label) and groupings of a model's labels.

    ``groups`` maps a grouping name (``"ekman"``, ``"sentiment"``) to ``{group: [labels...]}``.
    ``family`` maps every label to one of :data:`FAMILIES`.
    """

    name: str
    labels: tuple[str, ...]
    multi_label: bool
    family: dict[str, str]
    groups: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"label scheme {self.name!r} repeats a label")
        missing = [label for label in self.labels if label not in self.family]
        if missing:
            raise ValueError(f"label scheme {self.name!r}: no family for {missing}")
        bad = {v for v in self.family.values() if v not in FAMILIES}
        if bad:
            raise ValueError(f"label scheme {self.name!r}: unknown families {sorted(bad)}")

    def labels_in(self, family: str) -> tuple[str, ...]:
        """Labels of one family, in scheme order (e.g. all negative emotions)."""
        return tuple(label for label in self.labels if self.family[label] == family)

    def group_of(self, grouping: str, label: str) -> str | None:
        """The group a label falls in under a grouping (``None`` when it has none, e.g. neutral)."""
        for group, members in self.groups.get(grouping, {}).items():
            if label in members:
                return group
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "labels": list(self.labels),
            "multi_label": self.multi_label,
            "family": dict(self.family),
            "groups": {g: {k: list(v) for k, v in m.items()} for g, m in self.groups.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabelScheme:
        return cls(
            name=str(data["name"]),
            labels=tuple(data["labels"]),
            multi_label=bool(data["multi_label"]),
            family={str(k): str(v) for k, v in data["family"].items()},
            groups={
                g: {k: tuple(v) for k, v in m.items()} for g, m in data.get("groups", {}).items()
            },
        )


# --- the two schemes this project trains -------------------------------------------------------

GOEMOTIONS_LABELS = [
    "admiration",
    "amusement",
    "anger",
    "annoyance",
    "approval",
    "caring",
    "confusion",
    "curiosity",
    "desire",
    "disappointment",
    "disapproval",
    "disgust",
    "embarrassment",
    "excitement",
    "fear",
    "gratitude",
    "grief",
    "joy",
    "love",
    "nervousness",
    "optimism",
    "pride",
    "realization",
    "relief",
    "remorse",
    "sadness",
    "surprise",
    "neutral",
]

# From the GoEmotions release (ekman_mapping.json, sentiment_dict.json).
GOEMOTIONS_EKMAN = {
    "anger": ("anger", "annoyance", "disapproval"),
    "disgust": ("disgust",),
    "fear": ("fear", "nervousness"),
    "joy": (
        "joy",
        "amusement",
        "approval",
        "excitement",
        "gratitude",
        "love",
        "optimism",
        "relief",
        "pride",
        "admiration",
        "desire",
        "caring",
    ),
    "sadness": ("sadness", "disappointment", "embarrassment", "grief", "remorse"),
    "surprise": ("surprise", "realization", "confusion", "curiosity"),
}
GOEMOTIONS_SENTIMENT = {
    "positive": (
        "amusement",
        "excitement",
        "joy",
        "love",
        "desire",
        "optimism",
        "caring",
        "pride",
        "admiration",
        "gratitude",
        "relief",
        "approval",
    ),
    "negative": (
        "fear",
        "nervousness",
        "remorse",
        "embarrassment",
        "disappointment",
        "sadness",
        "grief",
        "disgust",
        "anger",
        "annoyance",
        "disapproval",
    ),
    "ambiguous": ("realization", "surprise", "curiosity", "confusion"),
}


def goemotions_scheme() -> LabelScheme:
    family = {label: "neutral" for label in GOEMOTIONS_LABELS}
    for sentiment, members in GOEMOTIONS_SENTIMENT.items():
        for label in members:
            family[label] = sentiment
    return LabelScheme(
        name="goemotions",
        labels=tuple(GOEMOTIONS_LABELS),
        multi_label=True,
        family=family,
        groups={"ekman": GOEMOTIONS_EKMAN, "sentiment": GOEMOTIONS_SENTIMENT},
    )


EMOTION_LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise")


def emotion_scheme() -> LabelScheme:
    """dair-ai/emotion: six single-label classes (label ids in this order)."""
    family = {
        "sadness": "negative",
        "joy": "positive",
        "love": "positive",
        "anger": "negative",
        "fear": "negative",
        "surprise": "ambiguous",
    }
    ekman = {
        "sadness": ("sadness",),
        "joy": ("joy", "love"),
        "anger": ("anger",),
        "fear": ("fear",),
        "surprise": ("surprise",),
    }
    sentiment = {
        "positive": ("joy", "love"),
        "negative": ("sadness", "anger", "fear"),
        "ambiguous": ("surprise",),
    }
    return LabelScheme(
        name="emotion",
        labels=EMOTION_LABELS,
        multi_label=False,
        family=family,
        groups={"ekman": ekman, "sentiment": sentiment},
    )
