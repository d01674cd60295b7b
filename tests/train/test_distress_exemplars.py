"""The distress matcher's exemplar file and its loader.

The texts are about suicide and self-harm: every assertion here reports line numbers or counts,
never a text.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from tests.distress.suite import ISSUE_EXAMPLES
from train.exemplars import (
    CATEGORY_NAMES,
    EXEMPLARS_PATH,
    RISK_CATEGORIES,
    SAFE_CATEGORIES,
    Exemplar,
    load_exemplars,
)

MIN_RISK = 18
MIN_SAFE = 12
REQUIRED_RISK = {
    "wish_dead",
    "nonspecific",
    "method",
    "intent",
    "plan",
    "preparatory",
    "self_injury",
    "burden",
}
REQUIRED_SAFE = {
    "hyperbole",
    "gaming",
    "third_person",
    "news",
    "negated",
    "lyrics_quote",
    "support",
    "harassment",
    "everyday_negative",
}
REQUIRED = {
    **{c: ("risk", MIN_RISK) for c in REQUIRED_RISK},
    **{c: ("safe", MIN_SAFE) for c in REQUIRED_SAFE},
}

# Held out for the end-to-end test: they must not appear, not even inside a longer exemplar.
HELD_OUT = ISSUE_EXAMPLES


def _rows() -> list[tuple[int, list[str]]]:
    with EXEMPLARS_PATH.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(reader.line_num, row) for row in reader]


def _body() -> list[tuple[int, str, str, str]]:
    out = []
    for line, row in _rows()[1:]:
        assert len(row) == 3, f"line {line}: {len(row)} fields"
        kind, category, text = row
        out.append((line, kind, category, text))
    return out


def _collapse(text: str) -> str:
    return " ".join(text.casefold().split())


def _words(text: str) -> list[str]:
    """Lower-case words, apostrophes dropped, other punctuation and emoji ignored."""
    return re.findall(r"[a-z0-9]+", text.casefold().replace("'", "").replace("’", ""))


def _one_edit_apart(a: list[str], b: list[str]) -> bool:
    """True when ``b`` is ``a`` with one word swapped, inserted or removed."""
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    if abs(len(a) - len(b)) != 1:
        return False
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def test_required_category_sets_match_the_loader() -> None:
    assert set(RISK_CATEGORIES) == REQUIRED_RISK
    assert set(SAFE_CATEGORIES) == REQUIRED_SAFE
    assert set(CATEGORY_NAMES) == REQUIRED_RISK | REQUIRED_SAFE
    assert all(name.strip() for name in CATEGORY_NAMES.values())
    assert CATEGORY_NAMES["preparatory"] == "preparatory acts"
    assert CATEGORY_NAMES["wish_dead"] == "wish to be dead"


def test_header() -> None:
    assert _rows()[0][1] == ["kind", "category", "text"]


def test_every_line_has_three_fields_and_no_stray_characters() -> None:
    raw = EXEMPLARS_PATH.read_bytes().decode("utf-8")
    assert "\r" not in raw
    assert raw.endswith("\n") and not raw.endswith("\n\n")
    bad = [
        line
        for line, row in _rows()
        if len(row) != 3 or any("\t" in v or "\n" in v or "\r" in v for v in row)
    ]
    assert bad == []


def test_kinds_and_categories() -> None:
    body = _body()
    assert [line for line, kind, _, _ in body if kind not in {"risk", "safe"}] == []
    wrong = [line for line, kind, cat, _ in body if REQUIRED.get(cat, ("?",))[0] != kind]
    assert wrong == []


def test_minimum_counts_per_category() -> None:
    counts = Counter((kind, cat) for _, kind, cat, _ in _body())
    short = {
        cat: counts[(kind, cat)]
        for cat, (kind, minimum) in REQUIRED.items()
        if counts[(kind, cat)] < minimum
    }
    assert short == {}


def test_no_duplicate_texts() -> None:
    first: dict[str, int] = {}
    dupes = []
    for line, _, _, text in _body():
        key = _collapse(text)
        if key in first:
            dupes.append((first[key], line))
        else:
            first[key] = line
    assert dupes == []


def test_no_one_word_variants() -> None:
    words = [(line, _words(text)) for line, _, _, text in _body()]
    pairs = [
        (la, lb)
        for i, (la, wa) in enumerate(words)
        for lb, wb in words[i + 1 :]
        if wa == wb or _one_edit_apart(wa, wb)
    ]
    assert pairs == []


def test_lengths() -> None:
    body = _body()
    assert [line for line, _, _, t in body if not 3 <= len(t.split()) <= 30] == []
    # risk exemplars are prototypical and short
    assert [line for line, k, _, t in body if k == "risk" and len(t.split()) > 20] == []
    assert [line for line, _, _, t in body if t != t.strip() or "  " in t] == []


def test_no_links_or_mentions() -> None:
    pattern = re.compile(r"https?://|www\.|\.com\b|<@|@\w")
    assert [line for line, _, _, text in _body() if pattern.search(text)] == []


def test_held_out_sentences_are_absent() -> None:
    held = [" ".join(_words(s)) for s in HELD_OUT]
    hits = [
        (line, i)
        for line, _, _, text in _body()
        for i, h in enumerate(held)
        if f" {h} " in f" {' '.join(_words(text))} "
    ]
    assert hits == []


def test_loader_reads_the_file() -> None:
    exemplars = load_exemplars()
    assert len(exemplars) == len(_body())
    assert all(isinstance(e, Exemplar) for e in exemplars)
    assert {e.kind for e in exemplars} == {"risk", "safe"}
    assert {e.category for e in exemplars} == set(CATEGORY_NAMES)
    with pytest.raises(AttributeError):
        exemplars[0].text = "changed"  # type: ignore[misc]


def test_loader_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "ok.tsv"
    path.write_text(
        "kind\tcategory\ttext\nrisk\tplan\tsome risk text\nsafe\tgaming\tsome game text\n",
        encoding="utf-8",
    )
    assert load_exemplars(path) == [
        Exemplar("risk", "plan", "some risk text"),
        Exemplar("safe", "gaming", "some game text"),
    ]
    assert load_exemplars(str(path)) == load_exemplars(path)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("kind\tcategory\ttext\nrisk\tplan\n", 2),  # missing field
        ("kind\tcategory\ttext\nrisk\tplan\tok text\nsafe\tnews\ta\tb\n", 3),  # extra field
        ("kind\tcategory\ttext\nmaybe\tplan\tsome text\n", 2),  # unknown kind
        ("kind\tcategory\ttext\nsafe\tplan\tsome text\n", 2),  # risk category under safe
        ("kind\tcategory\ttext\nrisk\tnope\tsome text\n", 2),  # unknown category
        ("kind\tcategory\ttext\nrisk\tplan\tok\n\nrisk\tplan\tother\n", 3),  # blank line
        ("kind\tcategory\ttext\nrisk\tplan\t  \n", 2),  # empty text
        ("kind,category,text\nrisk,plan,some text\n", 1),  # wrong header
        ("", 1),  # empty file
    ],
)
def test_loader_rejects_malformed_lines(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"bad\.tsv line {line}:"):
        load_exemplars(path)
