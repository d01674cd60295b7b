"""Exemplars for the nearest-neighbour distress matcher (``distress_exemplars.tsv`` beside this).

The file is tab-separated UTF-8 with the header ``kind<TAB>category<TAB>text``, one short
chat-style message a line and no quoting:

* ``risk`` lines are grouped by C-SSRS category (:data:`RISK_CATEGORIES`): a member's message is
  scored by its best cosine similarity to a risk exemplar, and the moderators' card names the
  category of the closest one (through :data:`CATEGORY_NAMES`);
* ``safe`` lines are hard negatives (:data:`SAFE_CATEGORIES`): figures of speech, games, news,
  worry about someone else, ... A share of the best similarity to one of them is subtracted.

Both kinds are also training data for the model's distress head.

The texts are about suicide and self-harm. Nothing here logs or prints them; errors name the
line number only.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from classifier.exemplars import CATEGORY_NAMES as SERVED_NAMES
from classifier.exemplars import RISK_CATEGORIES

EXEMPLARS_PATH = Path(__file__).with_name("distress_exemplars.tsv")

HEADER = ("kind", "category", "text")

SAFE_CATEGORIES: tuple[str, ...] = (
    "hyperbole",
    "gaming",
    "third_person",
    "news",
    "negated",
    "lyrics_quote",
    "support",
    "harassment",
    "everyday_negative",
)
KIND_CATEGORIES: dict[str, tuple[str, ...]] = {"risk": RISK_CATEGORIES, "safe": SAFE_CATEGORIES}

# Plain words for the moderators' card ("closest to: preparatory acts"): the served wording, from
# the matcher in classifier, for the categories this file uses.
CATEGORY_NAMES: dict[str, str] = {
    k: v for k, v in SERVED_NAMES.items() if k in RISK_CATEGORIES + SAFE_CATEGORIES
}


@dataclass(frozen=True)
class Exemplar:
    kind: str  # "risk" or "safe"
    category: str  # a key of CATEGORY_NAMES
    text: str


def load_exemplars(path: Path | str = EXEMPLARS_PATH) -> list[Exemplar]:
    """Every exemplar in ``path``, in file order.

    Raises :class:`ValueError` naming the file and line number (never the text) for a wrong
    header, a line without exactly three tab-separated fields, an unknown kind, a category that
    does not belong to its kind, or an empty text.
    """
    path = Path(path)
    exemplars: list[Exemplar] = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header_seen = False
        for row in reader:
            line = reader.line_num

            def fail(why: str, line: int = line) -> ValueError:
                return ValueError(f"{path.name} line {line}: {why}")

            if not header_seen:
                if tuple(row) != HEADER:
                    raise fail("expected the header " + "<TAB>".join(HEADER))
                header_seen = True
                continue
            if len(row) != len(HEADER):
                raise fail(f"expected {len(HEADER)} tab-separated fields, got {len(row)}")
            kind, category, text = row
            if kind not in KIND_CATEGORIES:
                raise fail(f"unknown kind {kind!r} (expected one of {sorted(KIND_CATEGORIES)})")
            if category not in KIND_CATEGORIES[kind]:
                raise fail(f"category {category!r} is not a {kind} category")
            if not text.strip():
                raise fail("empty text")
            exemplars.append(Exemplar(kind, category, text))
        if not header_seen:
            raise ValueError(f"{path.name} line 1: empty file, expected a header")
    return exemplars
