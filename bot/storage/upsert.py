"""Portable "insert or update" / "insert if absent" on a unique key.

PostgreSQL and SQLite both have ``INSERT ... ON CONFLICT``; other databases fall back to a select
followed by an insert or update inside the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite


@functools.lru_cache(maxsize=64)
def _statement(
    dialect: str, table: Table, keys: tuple[str, ...], update_columns: tuple[str, ...]
) -> Any:
    """The ``INSERT ... ON CONFLICT`` statement, built once: the values come as parameters
    (building ``excluded`` and coercing values on every call costs more than the SQL itself)."""
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        return None
    if update_columns:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update_columns}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def upsert(
    conn: Connection,
    table: Table,
    values: Mapping[str, Any],
    *,
    keys: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert ``values``; when a row with the same ``keys`` exists, update ``update_columns``."""
    stmt = _statement(conn.dialect.name, table, tuple(keys), tuple(update_columns))
    if stmt is not None:
        conn.execute(stmt, dict(values))
        return
    match = and_(*(table.c[k] == values[k] for k in keys))
    if conn.execute(select(table.c[keys[0]]).where(match).limit(1)).first() is None:
        conn.execute(insert(table), dict(values))
    elif update_columns:
        conn.execute(update(table).where(match).values({c: values[c] for c in update_columns}))


def insert_missing(
    conn: Connection, table: Table, values: Mapping[str, Any], *, keys: Sequence[str]
) -> None:
    """Insert ``values`` unless a row with the same ``keys`` exists (then leave it untouched)."""
    upsert(conn, table, values, keys=keys, update_columns=())
