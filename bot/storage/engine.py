"""Engine factory: one place that knows how to open the database well.

SQLite (the default) gets WAL journaling, ``synchronous=NORMAL``, foreign keys and a busy timeout on
every connection, and SQLAlchemy emits ``BEGIN`` itself so that transactions are real: reads start a
deferred transaction, and the repository opens write transactions with ``BEGIN IMMEDIATE`` (the
``sqlite_begin`` execution option) so a writer waits up to the busy timeout for the lock up front,
instead of failing half-way. Any other URL (PostgreSQL) gets a plain engine with ``pool_pre_ping``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_MS = 5_000
BEGIN_OPTION = "sqlite_begin"  # execution option: "DEFERRED" (default) or "IMMEDIATE"


def make_engine(
    url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, foreign_keys: bool = True
) -> Engine:
    """Create an engine for ``url`` (any SQLAlchemy URL).

    ``busy_timeout_ms``: how long a SQLite connection waits for another writer's lock before
    ``database is locked`` is raised. ``foreign_keys=False`` is for migrations only (SQLite's batch
    mode copies tables, which foreign-key enforcement would get in the way of).
    """
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)

    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or "mode=memory" in database
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, so every thread sees the same in-memory database.
        kwargs["poolclass"] = StaticPool
    elif not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    _install_sqlite_hooks(engine, busy_timeout_ms=busy_timeout_ms, foreign_keys=foreign_keys)
    return engine


def normalise_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL: ``postgres://`` and ``postgresql://``
    both mean the psycopg 3 driver this project installs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _install_sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(BEGIN_OPTION, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown {BEGIN_OPTION} {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def shown_url(url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
