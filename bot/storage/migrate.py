"""Run the Alembic migrations programmatically (the bot upgrades on start; ``emotion-bot db``).

The ``migrations/`` folder is found relative to this package, so this works from any working
directory. The URL travels to ``migrations/env.py`` through ``Config.attributes`` (never through
the ini parser, which would choke on ``%`` in passwords).
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.engine import make_engine

logger = logging.getLogger(__name__)

URL_ATTRIBUTE = "database_url"


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
