"""The statements by which the database, not a process, decides who acts: each one writes only if
its condition holds and returns a row only when it wrote, on SQLite and PostgreSQL alike
(``INSERT ... ON CONFLICT`` with ``RETURNING``).

* :func:`save_message`: a message row is inserted unless it is there already or its author has
  opted out (read under a share lock of the member row, so an opt-out committing meanwhile waits
  for the save or is seen by it);
* :func:`claim_cooldown`: an empathy cooldown is taken only when it has run out;
* :func:`add_open_flag`: an open distress flag is inserted only when the member has none open;
* :func:`record_delivery`: a delivery key is recorded unless recorded within the last hour.

Statements are built once per dialect (values come as parameters, as in :mod:`.upsert`).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, delete, select, text, true
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.tables import OPEN_FLAG, DistressFlagRow, EmpathyCooldown, Member, SeenEvent
from bot.storage.tables import Message as MessageRow
from bot.storage.types import UTCDateTime

DELIVERY_TTL = timedelta(hours=1)  # Slack retries within minutes; an hour is plenty
PURGE_EVERY = 500  # deliveries recorded between two deletions of old keys

messages = cast(Table, MessageRow.__table__)
members = cast(Table, Member.__table__)
flags = cast(Table, DistressFlagRow.__table__)
cooldowns = cast(Table, EmpathyCooldown.__table__)
seen = cast(Table, SeenEvent.__table__)

MESSAGE_KEY = ("platform", "message_id")
EDITED = (  # what an edit replaces
    *("community_id", "channel_id", "user_id", "sent_at"),
    *("label", "labels", "scores", "model_version", "stored_at"),
)


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the bot stores on SQLite or PostgreSQL, not {dialect}")


@functools.lru_cache(maxsize=8)
def save_message(dialect: str, *, replace: bool) -> Any:
    """``INSERT INTO messages SELECT :values WHERE <author not opted out> ON CONFLICT ...
    RETURNING id``: a row back when this call wrote it. ``replace`` (an edit): a row already
    there is updated (and returned) instead of left alone."""
    columns = [c for c in messages.c if c.name != "id"]
    params = {c.name: bindparam(c.name, type_=c.type) for c in columns}
    opted_out = (
        select(members.c.opted_out)
        .where(members.c.platform == params["platform"], members.c.platform_id == params["user_id"])
        .with_for_update(read=True)  # FOR SHARE on PostgreSQL; SQLite writers are serialised
        .scalar_subquery()
    )
    source = select(*params.values()).where(opted_out.is_not(true()))
    stmt = _insert(dialect, messages).from_select([c.name for c in columns], source)
    if replace:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(MESSAGE_KEY), set_={c: stmt.excluded[c] for c in EDITED}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(MESSAGE_KEY))
    return stmt.returning(messages.c.id)


@functools.lru_cache(maxsize=4)
def claim_cooldown(dialect: str) -> Any:
    """Upsert a cooldown row at ``:last_prompt_at`` when it is new or its last prompt was at or
    before ``:cutoff``; a row back when taken."""
    stmt = _insert(dialect, cooldowns)
    return stmt.on_conflict_do_update(
        index_elements=["platform", "community_id", "scope", "target_id"],
        set_={"last_prompt_at": stmt.excluded.last_prompt_at},
        where=cooldowns.c.last_prompt_at <= bindparam("cutoff", type_=UTCDateTime()),
    ).returning(cooldowns.c.last_prompt_at)


@functools.lru_cache(maxsize=4)
def add_open_flag(dialect: str) -> Any:
    """Insert an open flag unless the member has one open (the partial unique index); the new
    row back, or nothing."""
    stmt = _insert(dialect, flags)
    return stmt.on_conflict_do_nothing(
        index_elements=["platform", "user_id"], index_where=text(OPEN_FLAG)
    ).returning(*flags.c)


@functools.lru_cache(maxsize=4)
def record_delivery(dialect: str) -> Any:
    """Record a delivery key, or take over one recorded before ``:cutoff``; a row back when this
    call recorded it (a first delivery)."""
    stmt = _insert(dialect, seen)
    return stmt.on_conflict_do_update(
        index_elements=["platform", "event_key"],
        set_={"seen_at": stmt.excluded.seen_at},
        where=seen.c.seen_at < bindparam("cutoff", type_=UTCDateTime()),
    ).returning(seen.c.event_key)


def purge_deliveries(conn: Connection, before: datetime) -> int:
    """Delete the delivery keys recorded before ``before``; returns how many."""
    return conn.execute(delete(seen).where(seen.c.seen_at < before)).rowcount
