"""Record the CLI's outputs as golden files (run once, before a refactoring; see test_golden.py).

    .venv/bin/python tests/golden/capture.py

Writes ``tests/golden/help/*.txt`` (``emotion-bot ... --help`` for every command, recursively),
``tests/golden/chat.txt`` (a console transcript) and ``tests/golden/summary-demo.txt``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.golden.run import (  # noqa: E402
    CHAT_TRANSCRIPT,
    help_name,
    run_chat,
    run_help,
    run_summary_demo,
)


def command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list:
    """Every sub-command path of the parser, depth first (``train`` is left out: its help is
    the training CLI's own, ``python -m train --help``, outside the bot)."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if (*prefix, name) == ("train",):
                    continue
                paths.extend(command_paths(sub, (*prefix, name)))
    return paths


def main() -> None:
    from bot.cli import build_parser

    help_dir = HERE / "help"
    help_dir.mkdir(exist_ok=True)
    paths = command_paths(build_parser())
    (HERE / "help-commands.txt").write_text(
        "".join(" ".join(p) + "\n" for p in paths), encoding="utf-8"
    )
    for path in paths:
        (help_dir / help_name(path)).write_text(run_help(path), encoding="utf-8")
    (HERE / "chat-input.txt").write_text(CHAT_TRANSCRIPT, encoding="utf-8")
    (HERE / "chat.txt").write_text(run_chat(), encoding="utf-8")
    (HERE / "summary-demo.txt").write_text(run_summary_demo(), encoding="utf-8")


if __name__ == "__main__":
    main()
