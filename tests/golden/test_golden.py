"""The command line gives, byte for byte, the outputs recorded before the bot's restructuring
(issue 17): ``--help`` of every command, a console transcript and ``summary --demo``.

Recorded by ``tests/golden/capture.py``; how each is run is in :mod:`tests.golden.run`. What is
normalised, because it is nondeterministic: the temporary folder's path, log records on stderr
(time stamps and logger names), and for the default ``summary --demo`` week its label and dates.
The transcript depends on the shipped model: it is compared while that model is the one recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.golden.run import (
    CHAT_TRANSCRIPT,
    MODEL,
    help_name,
    normalise_week,
    run_chat,
    run_help,
    run_summary_demo,
)

HERE = Path(__file__).resolve().parent
COMMANDS = [tuple(line.split()) for line in (HERE / "help-commands.txt").read_text().splitlines()]
RECORDED_MODEL = "goemotions-minilm-l3-int8-20261202-23157cda"


SCORE = re.compile(r"\b\d\.\d\d\b")


def same_but_last_digit(actual: str, expected: str) -> bool:
    """Equal text, scores within 0.01: int8 kernels differ by a last digit between CPUs."""
    words, numbers = SCORE.split(actual), SCORE.findall(actual)
    want_words, want_numbers = SCORE.split(expected), SCORE.findall(expected)
    close, pairs = 0.0101, zip(numbers, want_numbers, strict=True)
    return (
        words == want_words
        and len(numbers) == len(want_numbers)
        and all(abs(float(a) - float(b)) <= close for a, b in pairs)
    )


def test_same_but_last_digit_still_sees_a_changed_word_or_score():
    assert same_but_last_digit("joy 0.51 · fear 0.10", "joy 0.50 · fear 0.11")
    assert not same_but_last_digit("joy 0.51 · fear 0.10", "joy 0.53 · fear 0.10")
    assert not same_but_last_digit("joy 0.51 · fear 0.10", "joy 0.51 · anger 0.10")


def golden(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "emotion-bot")
def test_help_is_unchanged(path):
    assert run_help(path) == golden(f"help/{help_name(path)}")


def test_the_console_transcript_is_unchanged():
    version = json.loads((MODEL / "meta.json").read_text(encoding="utf-8")).get("version")
    if version != RECORDED_MODEL:
        pytest.skip(f"recorded with {RECORDED_MODEL}, {MODEL.name} is now {version}")
    assert golden("chat-input.txt") == CHAT_TRANSCRIPT
    transcript, recorded = run_chat(), golden("chat.txt")
    assert same_but_last_digit(transcript, recorded), (transcript, recorded)


def test_summary_demo_is_unchanged():
    assert run_summary_demo() == golden("summary-demo.txt")


def test_summary_demo_default_week_is_unchanged():
    assert normalise_week(run_summary_demo(None)) == normalise_week(golden("summary-demo.txt"))
