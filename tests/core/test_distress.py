"""The distress detector: phrases (normalised, negated, quoted), learned signals and levels."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.distress.detector import Thresholds, assess, scan
from classifier.exemplars import ExemplarMatcher
from classifier.prediction import Prediction

THRESHOLDS = Thresholds(head_high=0.8, head_medium=0.5, match_high=0.6, match_medium=0.45)


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
        ("everyone would be better off without me", [("better off without me", "active")]),
        ("I wish I was dead", [("want to die", "active")]),
        ("nobody would even notice if I was gone", [("nobody would notice", "active")]),
        ("I wrote a goodbye letter to my family", [("goodbye letter", "active")]),
        ("I'm going to take all my pills tonight", [("all my pills", "active")]),
        # disguised
        ("k.i.l.l myself", [("kill myself", "active")]),
        ("ｋｉｌｌ ｍｙｓｅｌｆ", [("kill myself", "active")]),
        ("||i wanna dieeee||", [("want to die", "active")]),
        # negation in the same clause
        ("I'm not going to hurt myself", [("hurt myself", "negated")]),
        ("I would never kill myself", [("kill myself", "negated")]),
        ("I won’t kill myself, promise", [("kill myself", "negated")]),
        # ... but not across clauses, and "can't stop" / "don't know why" are not denials
        ("I'm not okay. I want to kill myself", [("kill myself", "active")]),
        ("I can't stop thinking about killing myself", [("kill myself", "active")]),
        ("I don't know why I want to die", [("want to die", "active")]),
        # quotation: lyrics, quotes, code
        ("> I wanna die, I wanna die\nwhat a song", [("want to die", "quoted")]),
        ('she sang "I want to kill myself" and we all cried', [("kill myself", "quoted")]),
        ("```\nkill myself\n```", [("kill myself", "quoted")]),
        # ordinary speech
        ("I killed it at the gig today", []),
        ("kill the process and restart", []),
        ("this bug is killing me", []),
        ("a report on self-harm in schools", []),
    ],
)
def test_scan(text: str, expected: list[tuple[str, str]]) -> None:
    assert states(text) == expected


def test_the_whole_message_is_scanned_however_long() -> None:
    text = "ok " * 15_000 + "I want to kill myself"  # past Slack's 40,000 characters
    assert states(text) == [("kill myself", "active")]


def pred(distress: float | None = None, embedding: np.ndarray | None = None) -> Prediction:
    return Prediction(
        label="neutral",
        scores={"neutral": 0.9},
        labels=("neutral",),
        model_version="t",
        distress=distress,
        embedding=embedding,
    )


def test_explicit_phrase_is_high_indirect_is_medium() -> None:
    assert assess("I want to kill myself", pred(0.01), None, THRESHOLDS).level == "high"
    assert assess("I can't go on", pred(0.01), None, THRESHOLDS).level == "medium"


def test_indirect_phrase_and_a_medium_model_score_agree_to_high() -> None:
    assert assess("I can't go on", pred(0.6), None, THRESHOLDS).level == "high"


def test_the_learned_score_alone_can_be_high_medium_or_nothing() -> None:
    assert assess("it is all arranged for friday", pred(0.9), None, THRESHOLDS).level == "high"
    assert assess("it is all arranged for friday", pred(0.6), None, THRESHOLDS).level == "medium"
    assert assess("it is all arranged for friday", pred(0.2), None, THRESHOLDS).level == "none"


def test_a_joke_or_a_game_makes_an_explicit_phrase_medium() -> None:
    assert assess("kms lol this level", pred(0.01), None, THRESHOLDS).level == "medium"


def test_quoted_text_is_evidence_only_however_risky() -> None:
    result = assess('> "I want to kill myself"', pred(0.95), None, THRESHOLDS)
    assert result.level == "low"


def test_negated_phrases_cap_the_learned_signal_at_medium() -> None:
    assert assess("I would never kill myself", pred(0.95), None, THRESHOLDS).level == "medium"
    assert assess("I would never kill myself", pred(0.1), None, THRESHOLDS).level == "low"


def test_aimed_at_someone_else_is_not_the_authors_distress() -> None:
    result = assess("kys nobody likes you", pred(0.9), None, THRESHOLDS)
    assert result.level == "none" and result.harassment
    # ... unless the author speaks of themself too
    assert (
        assess("kill yourself? no, I want to kill myself", pred(0.1), None, THRESHOLDS).level
        == "high"
    )


def test_the_matcher_names_the_closest_category() -> None:
    risk = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    matcher = ExemplarMatcher(
        np.stack([risk, np.array([0, 0, 1.0], np.float32)]),
        ["risk", "safe"],
        ["preparatory", "news"],
    )
    result = assess("it is all arranged", pred(0.1, risk), matcher, THRESHOLDS)
    assert result.level == "high"
    assert "closest to: preparatory acts" in result.reason


def test_without_model_thresholds_only_phrases_count() -> None:
    assert assess("it is all arranged", pred(0.99), None, Thresholds()).level == "none"
