"""Alembic environment: the URL comes from ``bot.storage.migrate`` (``Config.attributes``) or,
when Alembic is run by hand, from the bot's settings. Nothing connects at import time.

Several bot processes may start together on one database, each migrating it on start. On
PostgreSQL the migrations run under a session-level advisory lock (``pg_advisory_lock``) on the
migration connection: a second process waits (at most ``MIGRATION_LOCK_WAIT_S``) and then finds
the schema at head. While migrating, ``lock_timeout`` is ``DDL_LOCK_TIMEOUT_S``: a migration that
cannot lock a table (a long transaction of a running bot) fails with one line instead of queueing
every query behind it. On SQLite the migration transaction is ``BEGIN IMMEDIATE``: the second
process waits for the file's write lock (the busy timeout) and then finds the schema at head.

Migrations are written expand-then-contract: the previous release keeps running on the new
schema (new columns nullable or with defaults, nothing it uses dropped or renamed in the same
release), so processes can be upgraded one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import Connection, text

from bot.storage.engine import BEGIN_OPTION, make_engine, normalise_url
from bot.storage.migrate import MIGRATION_LOCK_KEY, SCHEDULER_TABLES
from bot.storage.tables import metadata
from bot.storage.types import UTCDateTime

config = context.config
logger = logging.getLogger("alembic.env")

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    url = config.attributes.get("database_url")
    if not url:
        from bot.config import load_settings

        url = load_settings().database_url
    return normalise_url(str(url))


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the project's column types as plain SQLAlchemy ones in new revisions."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


MIGRATION_LOCK_WAIT_S = 300  # another process's migration of a big database may take minutes
DDL_LOCK_TIMEOUT_S = 10


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Autogenerate ignores the scheduler's tables (migration 0005 creates them; their columns
    are APScheduler's and ``bot.jobs.claims``', not models of ``bot.storage.tables``)."""
    return not (type_ == "table" and name in SCHEDULER_TABLES)


def _options(dialect_name: str) -> dict[str, Any]:
    return {
        "target_metadata": metadata,
        "include_name": include_name,
        "compare_type": True,
        "render_as_batch": dialect_name == "sqlite",
        "render_item": render_item,
    }


def run_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        **_options(url.split(":", 1)[0].split("+", 1)[0]),
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the migrations' advisory lock on PostgreSQL (see the module doc)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    external = connection.in_transaction()  # a caller's transaction: lock within it
    connection.exec_driver_sql(f"SET lock_timeout = '{MIGRATION_LOCK_WAIT_S}s'")
    if external:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    else:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.exec_driver_sql(f"SET lock_timeout = '{DDL_LOCK_TIMEOUT_S}s'")
    if not external:
        connection.commit()  # the session-level lock outlives it; Alembic begins its own
    try:
        yield
    finally:
        if not external:
            try:
                if connection.in_transaction():
                    connection.rollback()  # a failed migration (Alembic rolled its work back)
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.exec_driver_sql("RESET lock_timeout")
                connection.commit()
            except Exception:
                # A broken connection: closing it (the caller's ``with``) ends the session and
                # its lock; the migration's own error, if any, is the one to see.
                logger.warning("could not release the migration lock", exc_info=True)


def _run(connection: Connection) -> None:
    with _migration_lock(connection):
        _run_locked(connection)


def _run_locked(connection: Connection) -> None:
    options = _options(connection.dialect.name)
    if connection.dialect.name == "sqlite":
        # make_engine's connections emit a real BEGIN, so SQLite's DDL is transactional too:
        # a failing migration leaves the database as it was.
        options["transactional_ddl"] = True
    context.configure(connection=connection, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # Foreign keys off on SQLite while migrating: batch mode copies and drops tables.
    engine = make_engine(database_url(), foreign_keys=False)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})  # SQLite only (module doc)
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
