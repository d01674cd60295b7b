"""Format checks for the chat-style distress suite (``suite.tsv``).

Failure messages name line numbers and counts only, never the texts.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from tests.distress.suite import (
    HEADER,
    ISSUE_EXAMPLES,
    LABELS,
    RISK_CATEGORIES,
    SAFE_CATEGORIES,
    STYLES,
    SuiteRow,
    load_suite,
    read_rows,
)

MIN_PER_LABEL = 150
MIN_ROWS = 340
MIN_STYLES_PER_RISK_CATEGORY = 3

# Sentences kept out of this suite because they are checked elsewhere.
HELD_OUT = ISSUE_EXAMPLES


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _bare(text: str) -> str:
    """Case-folded, punctuation-free, whitespace-collapsed (for the held-out comparison)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold().replace("'", "")).split())


@pytest.fixture(scope="module")
def suite() -> list[SuiteRow]:
    return load_suite()


def test_header_and_field_count() -> None:
    header, rows = read_rows()
    assert tuple(header) == HEADER
    bad = [n for n, fields in enumerate(rows, start=2) if len(fields) != len(HEADER)]
    assert not bad, f"lines without exactly {len(HEADER)} fields: {bad}"


def test_labels(suite: list[SuiteRow]) -> None:
    bad = [n for n, row in enumerate(suite, start=2) if row.label not in LABELS]
    assert not bad, f"lines with an unknown label: {bad}"


def test_size_and_balance(suite: list[SuiteRow]) -> None:
    total = len(suite)
    assert total >= MIN_ROWS
    counts = Counter(row.label for row in suite)
    for label in sorted(LABELS):
        assert counts[label] >= MIN_PER_LABEL, f"{label}: {counts[label]} lines"
        share = counts[label] / total
        assert 0.45 <= share <= 0.55, f"{label}: {share:.1%} of {total} lines"


@pytest.mark.parametrize(
    ("label", "minimums"), [("risk", RISK_CATEGORIES), ("safe", SAFE_CATEGORIES)]
)
def test_category_minimums(suite: list[SuiteRow], label: str, minimums: dict[str, int]) -> None:
    counts = Counter(row.category for row in suite if row.label == label)
    short = {c: counts[c] for c, need in minimums.items() if counts[c] < need}
    assert not short, f"{label} categories under their minimum: {short}"


def test_categories_belong_to_their_label(suite: list[SuiteRow]) -> None:
    allowed = {"risk": set(RISK_CATEGORIES), "safe": set(SAFE_CATEGORIES)}
    bad = [n for n, row in enumerate(suite, start=2) if row.category not in allowed[row.label]]
    assert not bad, f"lines whose category does not belong to their label: {bad}"
    assert not set(RISK_CATEGORIES) & set(SAFE_CATEGORIES)


def test_styles(suite: list[SuiteRow]) -> None:
    bad = [n for n, row in enumerate(suite, start=2) if row.style not in STYLES]
    assert not bad, f"lines with an unknown style: {bad}"
    per_category: dict[str, set[str]] = {}
    for row in suite:
        if row.at_risk:
            per_category.setdefault(row.category, set()).add(row.style)
    few = {
        c: sorted(styles)
        for c, styles in per_category.items()
        if len(styles) < MIN_STYLES_PER_RISK_CATEGORY
    }
    assert not few, f"risk categories with fewer than 3 styles: {few}"
    # Every risk category is also written indirectly at least once.
    no_indirect = sorted(c for c, styles in per_category.items() if "indirect" not in styles)
    assert not no_indirect, f"risk categories without an indirect line: {no_indirect}"


def test_no_duplicate_texts(suite: list[SuiteRow]) -> None:
    first: dict[str, int] = {}
    dups: list[tuple[int, int]] = []
    for n, row in enumerate(suite, start=2):
        key = _norm(row.text)
        if key in first:
            dups.append((first[key], n))
        else:
            first[key] = n
    assert not dups, f"duplicate texts (line pairs): {dups}"


def test_texts_are_single_clean_lines(suite: list[SuiteRow]) -> None:
    bad = [
        n
        for n, row in enumerate(suite, start=2)
        if not row.text.strip() or any(ch in row.text for ch in "\t\r\n")
    ]
    assert not bad, f"empty texts or texts with a tab or newline: {bad}"


def test_no_links(suite: list[SuiteRow]) -> None:
    bad = [
        n
        for n, row in enumerate(suite, start=2)
        if re.search(r"https?://|www\.|\.(com|org|net)\b", row.text, re.IGNORECASE)
    ]
    assert not bad, f"lines with a link: {bad}"


def test_held_out_sentences_not_in_suite(suite: list[SuiteRow]) -> None:
    held_out = {_bare(s) for s in HELD_OUT}
    bad = [n for n, row in enumerate(suite, start=2) if _bare(row.text) in held_out]
    assert not bad, f"lines that repeat a held-out sentence: {bad}"


def test_at_risk_property(suite: list[SuiteRow]) -> None:
    assert all(row.at_risk == (row.label == "risk") for row in suite)
