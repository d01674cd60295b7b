"""The project's own chat-style distress suite: loading ``suite.tsv``.

The suite is data (``suite.tsv`` next to this module), one chat message per line with its
expected label (``risk`` or ``safe``), a category (the C-SSRS item for risk lines, the kind of
hard negative for safe lines) and a writing style. Tests that score the distress detector import
:func:`load_suite` from here.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SUITE_PATH = Path(__file__).with_name("suite.tsv")
HEADER = ("label", "category", "style", "text")

LABELS = frozenset({"risk", "safe"})

# C-SSRS-style risk categories, with the minimum number of lines each must have.
RISK_CATEGORIES: dict[str, int] = {
    "wish_dead": 20,
    "nonspecific": 20,
    "method": 20,
    "intent": 20,
    "plan": 20,
    "preparatory": 20,
    "self_injury": 20,
    "burden": 20,
}

# Hard negatives: messages that mention death, killing or self-harm without the author being at
# risk, with the minimum number of lines each must have.
SAFE_CATEGORIES: dict[str, int] = {
    "hyperbole": 15,
    "gaming": 15,
    "third_person": 15,
    "news": 15,
    "negated": 15,
    "lyrics_quote": 15,
    "support": 15,
    "harassment": 15,
    "everyday_negative": 15,
}

STYLES = frozenset({"plain", "lowercase", "slang", "typos", "emoji", "indirect", "long"})


@dataclass(frozen=True)
class SuiteRow:
    label: str
    category: str
    style: str
    text: str

    @property
    def at_risk(self) -> bool:
        return self.label == "risk"


def read_rows(path: str | Path | None = None) -> tuple[list[str], list[list[str]]]:
    """The raw header and rows of the TSV, unvalidated (for the format test)."""
    with open(path or SUITE_PATH, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        return header, list(reader)


def load_suite(path: str | Path | None = None) -> list[SuiteRow]:
    """Every line of the suite, in file order. Raises ``ValueError`` on a malformed file."""
    header, rows = read_rows(path)
    if tuple(header) != HEADER:
        raise ValueError(f"suite header is {header!r}, expected {list(HEADER)!r}")
    out: list[SuiteRow] = []
    for lineno, fields in enumerate(rows, start=2):
        if len(fields) != len(HEADER):
            raise ValueError(f"suite line {lineno}: {len(fields)} fields, expected {len(HEADER)}")
        label, category, style, text = fields
        if label not in LABELS:
            raise ValueError(f"suite line {lineno}: unknown label {label!r}")
        out.append(SuiteRow(label=label, category=category, style=style, text=text))
    return out


# The issue's examples of what the old detector missed (already public in it): kept out of the suite
# and the exemplars, and checked end to end through the core
# (tests/core/test_distress_shipped_model.py).
ISSUE_EXAMPLES = (
    "I want to die",
    "I can't do this anymore, I just want it all to end",
    "everyone would be better off without me",
    "I'm going to take all my pills tonight",
    "nobody would even notice if I was gone",
    "I wrote a goodbye letter to my family",
    "I wish I was dead",
)
