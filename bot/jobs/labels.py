"""Human labels -> training files in the original dataset's format (no ``train`` import here).

Labels of one message (several people may label it) become one example: the union of the
emotions for a multi-label scheme, the most frequent one (the latest on a tie) otherwise.
Emotions the current model does not know are dropped and counted.

The held-out slice is chosen by a hash of each example's key, so an example stays on the same
side as more labels arrive: the gate always measures on messages no model has trained on.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.records import HumanLabel
from classifier.scheme import LabelScheme

FORMATS = {"goemotions": ".tsv", "emotion": ".txt"}


class UnsupportedScheme(ValueError):
    """The model's labels have no dataset format the trainer reads."""


@dataclass(frozen=True)
class Example:
    key: str
    text: str
    emotions: tuple[str, ...]
    labelled_at: datetime

    @property
    def bucket(self) -> float:
        """A stable number in [0, 1) from the key (decides the held-out side)."""
        digest = hashlib.sha256(self.key.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _key(label: HumanLabel) -> str:
    if label.message_id:
        return f"{label.platform}:{label.community_id}:{label.message_id}"
    return "text:" + _clean(label.text).lower()


def examples_from(labels: Sequence[HumanLabel], scheme: LabelScheme) -> tuple[list[Example], int]:
    """Group labels into examples; returns (examples, labels dropped as unknown or empty)."""
    known = set(scheme.labels)
    grouped: dict[str, list[HumanLabel]] = defaultdict(list)
    dropped = 0
    for label in labels:
        if label.emotion not in known or not _clean(label.text):
            dropped += 1
            continue
        grouped[_key(label)].append(label)
    examples = []
    for key, items in grouped.items():
        items.sort(key=lambda x: x.labelled_at)
        counts = Counter(x.emotion for x in items)
        if scheme.multi_label:
            emotions = tuple(e for e, _ in counts.most_common())
        else:
            top = max(counts.values())
            emotions = (next(x.emotion for x in reversed(items) if counts[x.emotion] == top),)
        examples.append(Example(key, _clean(items[-1].text), emotions, items[-1].labelled_at))
    examples.sort(key=lambda e: e.labelled_at)
    return examples, dropped


def holdout_split(
    examples: Sequence[Example], fraction: float, minimum: int
) -> tuple[list[Example], list[Example]]:
    """(train, held out): examples whose bucket is under ``fraction``, topped up to ``minimum``
    (at most half of them) with the next lowest buckets."""
    ranked = sorted(examples, key=lambda e: e.bucket)
    n = sum(1 for e in ranked if e.bucket < fraction)
    n = max(n, min(minimum, len(ranked) // 2))
    held = {e.key for e in ranked[:n]}
    return [e for e in examples if e.key not in held], [e for e in examples if e.key in held]


def data_suffix(scheme: LabelScheme) -> str:
    try:
        return FORMATS[scheme.name]
    except KeyError:
        raise UnsupportedScheme(
            f"retraining needs a {' or '.join(FORMATS)} model; this one uses {scheme.name!r}"
        ) from None


def write_examples(path: Path, examples: Sequence[Example], scheme: LabelScheme) -> int:
    """Write ``examples`` in the dataset format of ``scheme`` (see :data:`FORMATS`)."""
    suffix = data_suffix(scheme)
    lines = []
    for i, ex in enumerate(examples):
        if suffix == ".tsv":
            ids = ",".join(str(scheme.labels.index(e)) for e in ex.emotions)
            lines.append(f"{ex.text}\t{ids}\tcommunity-{i}")
        else:
            lines.append(f"{ex.text};{ex.emotions[0]}")
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return len(lines)
