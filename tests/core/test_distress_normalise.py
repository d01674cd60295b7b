"""Disguised phrases read as plain ones; ordinary text is left alone."""

from __future__ import annotations

import pytest

from bot.core.distress.normalise import for_matching, variants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("k.i.l.l myself", "kill myself"),
        ("k i l l myself", "kill myself"),
        ("k-i-l-l myself", "kill myself"),
        ("k*i*l*l myself", "kill myself"),
        ("ｋｉｌｌ ｍｙｓｅｌｆ", "kill myself"),  # full-width letters (NFKC)
        ("k\u0336i\u0336l\u0336l\u0336 myself", "kill myself"),  # combining strike-through
        ("||end my life||", "end my life"),  # Discord spoiler bars
        ("I’M DONE", "i'm done"),
        ("killlllll myself", "kill myself"),
    ],
)
def test_disguises_come_off(text: str, expected: str) -> None:
    assert for_matching(text) == expected


def test_repeated_letters_are_also_read_single() -> None:
    assert variants("I wanna dieeeee") == ["i wanna diee", "i wanna die"]
    assert variants("I wanna die") == ["i wanna die"]  # ordinary doubles stay


@pytest.mark.parametrize("text", ["I am a cat", "good morning everyone", "it's 5 p.m. now"])
def test_ordinary_text_keeps_its_words(text: str) -> None:
    assert for_matching(text).split() == text.lower().split()
