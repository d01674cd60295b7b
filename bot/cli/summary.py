"""``emotion-bot summary``: the weekly mood summary, rendered offline as text and PNG.

    emotion-bot summary --community 123456789 --week 2025-W14 --out summaries/
    emotion-bot summary --demo --out /tmp/demo-summary

The text and the chart are the very ones the weekly job posts and ``/emotion summary`` shows
(:func:`bot.app.render_week`). ``--demo`` seeds a demonstration week and the week before into a
throwaway SQLite database (see :mod:`bot.jobs.demo`) and renders it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import guard, settings_from_args


def _print(label: str, text_file: Path, png_file: Path | None) -> None:
    print(text_file.read_text(encoding="utf-8"), end="")
    print(f"\nweek {label}: text {text_file}")
    print(f"chart {png_file}" if png_file else "no chart (an empty or hidden week)")


@guard
def cmd_summary(args: argparse.Namespace) -> int:
    if not args.demo and not args.community:
        print("emotion-bot summary: give --community ID (or --demo)", file=sys.stderr)
        return 2
    from bot import app  # deferred: the whole bot (SQLAlchemy, matplotlib); --help stays light

    out = Path(args.out)
    try:
        if args.demo:
            rendered = asyncio.run(app.render_demo_week(args.week, out))
        else:
            settings = settings_from_args(args)
            rendered = asyncio.run(
                app.render_stored_week(settings, args.community, args.platform, args.week, out)
            )
    except app.UnknownCommunity as exc:
        raise SystemExit(str(exc)) from None
    except ValueError as exc:  # a bad --week
        print(f"emotion-bot summary: {exc}", file=sys.stderr)
        return 2
    _print(*rendered)
    return 0


def register(sub: Any) -> None:
    """Add ``summary``."""
    p = sub.add_parser("summary", help="render a weekly mood summary (text + PNG) offline")
    p.add_argument("--community", help="community id (Discord guild id, Slack team id, ...)")
    p.add_argument("--platform", help="discord, slack or console (when the id is ambiguous)")
    p.add_argument("--week", help="ISO week, e.g. 2025-W14 (default: the last complete week)")
    p.add_argument("--out", required=True, help="folder for the .txt and .png")
    p.add_argument("--demo", action="store_true", help="seed a demonstration week and render it")
    p.add_argument("--database-url", help="override DATABASE_URL")
    p.add_argument("--model-dir", help="override MODEL_DIR (for the label scheme)")
    p.set_defaults(func=cmd_summary)
