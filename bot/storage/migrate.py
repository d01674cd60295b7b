"""Run the Alembic migrations programmatically (the bot upgrades on start; ``emotion-bot db``).

The ``migrations/`` folder is found relative to this package, so this works from any working
directory. The URL travels to ``migrations/env.py`` through ``Config.attributes`` (never through
the ini parser, which would choke on ``%`` in passwords).

At start (:func:`prepare_on_start`) the bot migrates, or with ``AUTO_MIGRATE=false`` only checks
that the database is at head (``emotion-bot db upgrade`` is then a deploy step of its own). A
database at a revision this release does not know was migrated by a newer release: migrations
are expand-then-contract, so this release runs on it unchanged (a rolling upgrade).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from bot.storage.engine import make_engine

logger = logging.getLogger(__name__)

URL_ATTRIBUTE = "database_url"

# The scheduler's tables: created by migration 0005 with APScheduler's and bot.jobs.claims'
# columns, not models of bot.storage.tables (autogenerate leaves them alone).
SCHEDULER_TABLES = frozenset({"apscheduler_jobs", "scheduler_claims"})


def advisory_key(name: str) -> int:
    """A PostgreSQL advisory lock key (signed 64-bit) for ``name``; locks are per database."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


MIGRATION_LOCK_KEY = advisory_key("emotion-bot:migrations")


class SchemaBehind(RuntimeError):
    """``AUTO_MIGRATE=false`` and the database is not at this release's head."""


def migrations_dir() -> Path:
    """The ``migrations/`` folder (next to the ``bot`` package, in a checkout or an install)."""
    here = Path(__file__).resolve().parent.parent.parent / "migrations"
    if (here / "env.py").is_file():
        return here
    raise FileNotFoundError(f"Alembic migrations not found at {here}")


def alembic_config(url: str) -> Config:
    """An Alembic ``Config`` for ``url`` without any ini file."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes[URL_ATTRIBUTE] = url
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Bring the database at ``url`` up to ``revision``; returns the revision it is at after."""
    command.upgrade(alembic_config(url), revision)
    now = current(url)
    logger.info("database at revision %s", now)
    return now


def downgrade(url: str, revision: str) -> str | None:
    """Take the database at ``url`` down to ``revision`` (``base``: no tables left)."""
    command.downgrade(alembic_config(url), revision)
    now = current(url)
    logger.info("database at revision %s", now)
    return now


def current(url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known(revision: str | None) -> bool:
    """Whether ``revision`` is one of this release's migrations (None, an empty database: yes)."""
    if revision is None:
        return True
    try:
        return (
            ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
            is not None
        )
    except CommandError:
        return False


def prepare_on_start(url: str, *, auto_migrate: bool = True) -> str | None:
    """What the bot does to the schema when it starts; returns the revision it runs on.

    ``auto_migrate``: upgrade to head (under the migrations' lock, see ``migrations/env.py``).
    Otherwise only check: :class:`SchemaBehind` when the database is behind. Either way a
    revision newer than this release's (a newer release migrated already) is left alone."""
    now = current(url)
    if not known(now):
        logger.warning(
            "the database is at revision %s, newer than this release's %s: running on it "
            "unchanged (migrations are expand-then-contract)",
            now,
            head(),
        )
        return now
    if auto_migrate:
        return upgrade(url)
    newest = head()
    if now != newest:
        raise SchemaBehind(
            f"the database is at revision {now or 'none (empty)'}, this release needs {newest}; "
            "run `emotion-bot db upgrade` first (AUTO_MIGRATE is false: the bot does not "
            "migrate on start)"
        )
    return now
