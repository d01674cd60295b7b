"""The distress detector's phrases, negation, quotation and scoring."""

from __future__ import annotations

import pytest

from bot.core.distress.detector import FLAG_THRESHOLD, assess, scan
from classifier.prediction import Prediction
from classifier.scheme import goemotions_scheme

SCHEME = goemotions_scheme()


def states(text: str) -> list[tuple[str, str]]:
    return [(m.phrase, m.state) for m in scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to kill myself", [("kill myself", "active")]),
        ("i'm going to end my life tonight", [("end my life", "active")]),
        ("I've been feeling suicidal", [("suicidal", "active")]),
        ("I keep cutting myself", [("hurt myself", "active")]),
        ("honestly no reason to live anymore", [("no reason to live", "active")]),
        ("I don't want to be alive", [("don't want to live", "active")]),
        ("everyone would be better off without me", [("better off dead", "active")]),
        ("I wish I was dead", [("want to die", "active")]),
        # negation in the same clause
        ("I'm not going to hurt myself", [("hurt myself", "negated")]),
        ("I would never kill myself", [("kill myself", "negated")]),
        ("I won’t kill myself, promise", [("kill myself", "negated")]),
        ("I really don't think I'll ever hurt myself", [("hurt myself", "negated")]),
        # ... but not across clauses, and "can't stop" / "don't know why" are not denials
        ("I'm not okay. I want to kill myself", [("kill myself", "active")]),
        ("I can't stop thinking about killing myself", [("kill myself", "active")]),
        ("I don't know why I want to die", [("want to die", "active")]),
        # quotation: lyrics, quotes, code
        ("> I wanna die, I wanna die\nwhat a song", [("want to die", "quoted")] * 2),
        ('she sang "I want to kill myself" and we all cried', [("kill myself", "quoted")]),
        ("“end my life” is a terrible song title", [("end my life", "quoted")]),
        ("```\nkill myself\n```", [("kill myself", "quoted")]),
        ("run `kill myself` in the shell", [("kill myself", "quoted")]),
        # ordinary speech
        ("I killed it at the gig today", []),
        ("kill the process and restart", []),
        ("this bug is killing me", []),
    ],
)
def test_scan(text, expected):
    assert states(text) == expected


def pred(**scores: float) -> Prediction:
    full = {label: scores.get(label, 0.01) for label in SCHEME.labels}
    top = max(full, key=full.__getitem__)
    return Prediction(label=top, scores=full, labels=(top,), model_version="t")


def test_an_explicit_phrase_flags_on_its_own():
    result = assess(scan("I want to kill myself"), pred(neutral=0.9), SCHEME, [])
    assert result.flagged and result.score >= FLAG_THRESHOLD
    assert "phrase: “kill myself”" in result.reason


def test_an_indirect_phrase_needs_the_model_or_the_history():
    matches = scan("I just want to die")
    assert not assess(matches, pred(amusement=0.9), SCHEME, []).flagged
    assert assess(matches, pred(sadness=0.8), SCHEME, []).flagged
    history = ["grief", "sadness", "fear", "joy"]
    with_history = assess(matches, pred(sadness=0.4), SCHEME, history)
    assert with_history.flagged
    assert "recent: 3 of last 4 messages negative" in with_history.reason


def test_negated_or_quoted_never_flags_however_sad():
    for text in ("I'm not going to kill myself", '> "kill myself" kill myself'):
        result = assess(scan(text), pred(grief=1.0), SCHEME, ["grief"] * 10)
        assert not result.flagged, text
    quoted = assess(scan('"kill myself"'), pred(grief=1.0), SCHEME, [])
    assert 0 < quoted.phrase_score < 0.75  # downweighted, still visible in the reason
    assert "quoted: “kill myself”" in quoted.reason
