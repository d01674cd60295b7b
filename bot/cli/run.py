"""``emotion-bot run | chat``: start the bot, or talk to it in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.cli.common import add_overrides, guard, settings_from_args


@guard
def _cmd_run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)  # first: a bad setting stops here, before any import
    from bot import app  # deferred: the whole bot (SQLAlchemy, matplotlib); --help stays light

    return asyncio.run(app.run_bot(settings))


@guard
def _cmd_chat(args: argparse.Namespace) -> int:
    if not getattr(args, "verbose", False):
        logging.getLogger().setLevel(logging.WARNING)  # the console shows what happens
    settings = settings_from_args(args)  # first: a bad setting stops here, before any import
    from bot import app  # deferred: the whole bot (SQLAlchemy, matplotlib); --help stays light

    files_dir = Path(args.files_dir) if args.files_dir else None
    return asyncio.run(app.chat(settings, files_dir=files_dir, member=args.member))


def register(sub: Any) -> None:
    """Add ``run`` and ``chat``."""
    run = sub.add_parser(
        "run", help="start the bot: Discord and/or Slack when configured, else the console"
    )
    add_overrides(run)
    run.set_defaults(func=_cmd_run)

    chat_p = sub.add_parser("chat", help="talk to the bot in the terminal (no token needed)")
    add_overrides(chat_p)
    chat_p.add_argument("--files-dir", help="save exports and charts here")
    chat_p.add_argument("--member", help="the first member's name (CONSOLE_MEMBER)")
    chat_p.set_defaults(func=_cmd_chat)
