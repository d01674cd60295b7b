"""The command line gives, byte for byte, the outputs recorded before the bot's restructuring
(issue 17): ``--help`` of every command, a console transcript and ``summary --demo``.

Recorded by ``tests/golden/capture.py``; how each is run is in :mod:`tests.golden.run`. What is
normalised, because it is nondeterministic: the temporary folder's path, log records on stderr
(time stamps and logger names), and for the default ``summary --demo`` week its label and dates.
The transcript depends on the shipped model: it is compared while that model is the one recorded.
"""

from __future__ import annotations

import json
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
    assert run_chat() == golden("chat.txt")


def test_summary_demo_is_unchanged():
    assert run_summary_demo() == golden("summary-demo.txt")


def test_summary_demo_default_week_is_unchanged():
    assert normalise_week(run_summary_demo(None)) == normalise_week(golden("summary-demo.txt"))
