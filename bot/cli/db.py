"""``emotion-bot db upgrade [REV] | downgrade REV | current``: the database migrations."""

from __future__ import annotations

import argparse
import logging
from types import ModuleType
from typing import Any

from bot.cli.common import guard
from bot.config import load_settings

logger = logging.getLogger(__name__)


def register(sub: Any) -> None:
    """Add the ``db`` command group to the root parser's subparsers."""
    db = sub.add_parser("db", help="create, upgrade or inspect the database schema (Alembic)")
    actions = db.add_subparsers(dest="db_action", metavar="ACTION", required=True)

    up = actions.add_parser("upgrade", help="upgrade the schema (default: to the newest revision)")
    up.add_argument("revision", nargs="?", default="head", help="target revision (default: head)")
    up.set_defaults(func=_upgrade)

    down = actions.add_parser("downgrade", help="downgrade the schema ('base' drops every table)")
    down.add_argument("revision", help="target revision, e.g. -1 or base")
    down.set_defaults(func=_downgrade)

    cur = actions.add_parser("current", help="show the database's revision")
    cur.set_defaults(func=_current)

    for parser in (up, down, cur):
        parser.add_argument("--url", help="database URL (default: DATABASE_URL from the settings)")


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    return load_settings().database_url


def _migrate() -> ModuleType:
    from bot import storage  # deferred: SQLAlchemy and Alembic; --help stays light

    return storage


@guard
def _upgrade(args: argparse.Namespace) -> int:
    storage = _migrate()
    url = _url(args)
    with storage.explained(url):
        before = storage.current(url)
        after = storage.upgrade(url, args.revision)
    print(f"{storage.shown_url(url)}: upgraded {before or 'empty'} -> {after or 'empty'}")
    return 0


@guard
def _downgrade(args: argparse.Namespace) -> int:
    storage = _migrate()
    url = _url(args)
    with storage.explained(url):
        before = storage.current(url)
        after = storage.downgrade(url, args.revision)
    shown = storage.shown_url(url)
    print(f"{shown}: downgraded {before or 'empty'} -> {after or 'empty (no tables)'}")
    return 0


@guard
def _current(args: argparse.Namespace) -> int:
    storage = _migrate()
    url = _url(args)
    with storage.explained(url):
        now = storage.current(url)
    newest = storage.head()
    if now == newest:
        state = "up to date"
    elif not storage.migrate.known(now):
        state = f"newer than this release's {newest}: migrated by a newer release"
    else:
        state = f"newest is {newest}"
    print(f"{storage.shown_url(url)}: at {now or 'empty (never migrated)'} ({state})")
    return 0
