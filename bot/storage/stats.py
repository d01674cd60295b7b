"""The aggregate queries behind summaries, ``/emotion channel`` and ``/emotion me``: ``GROUP BY``
UTC time bucket, channel and label in SQL, so a week of messages never comes into Python.

Each label group carries its first message, ``(sent_at, id)``, the order ``SqlStore.messages``
returns rows in: the grouped query is joined back to the rows at the group's first instant (an
index lookup per group) for the smallest id there. Buckets are the UTC hour (or quarter of an hour)
as text: SQLite keeps datetimes as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, PostgreSQL formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from typing import cast as type_cast

from sqlalchemy import Connection, Integer, Table, cast, extract, func, select
from sqlalchemy.sql.elements import ColumnElement

from bot.core.aggregates import LabelGroup, PeriodStats, merge_labels
from bot.storage.tables import Message as MessageRow

messages_t = type_cast(Table, MessageRow.__table__)


@dataclass(frozen=True, kw_only=True)
class _Filter:
    platform: str
    community_id: str
    since: datetime
    until: datetime | None
    channel_id: str | None
    user_id: str | None

    def same_rows(self, c: Any) -> list[ColumnElement[bool]]:
        """Community, channel and member of ``c`` (the table or an alias) as asked for."""
        out = [c.platform == self.platform, c.community_id == self.community_id]
        if self.channel_id is not None:
            out.append(c.channel_id == self.channel_id)
        if self.user_id is not None:
            out.append(c.user_id == self.user_id)
        return out

    def where(self) -> list[ColumnElement[bool]]:
        c = messages_t.c
        out = [*self.same_rows(c), c.sent_at >= self.since]
        if self.until is not None:
            out.append(c.sent_at < self.until)
        return out


def period_stats(
    conn: Connection,
    *,
    platform: str,
    community_id: str,
    since: datetime,
    until: datetime | None,
    channel_id: str | None = None,
    user_id: str | None = None,
    bucket_minutes: int = 0,
    by_channel: bool = False,
) -> PeriodStats:
    """The aggregates of messages sent in ``[since, until)`` (see :class:`PeriodStats`);
    ``bucket_minutes`` (60 or 15; 0: none) and ``by_channel`` ask for the finer groups."""
    c = messages_t.c
    f = _Filter(
        platform=platform,
        community_id=community_id,
        since=since,
        until=until,
        channel_id=channel_id,
        user_id=user_id,
    )
    total, members = conn.execute(
        select(func.count(), func.count(func.distinct(c.user_id))).where(*f.where())
    ).one()
    if not total:
        return PeriodStats()
    buckets: tuple[LabelGroup, ...] = ()
    channels: tuple[LabelGroup, ...] = ()
    channel_members: dict[str, int] = {}
    if bucket_minutes:
        keys = _bucket_columns(conn, bucket_minutes)
        buckets = tuple(
            LabelGroup(label, n, first, _bucket_start(parts))
            for *parts, label, n, first in _label_groups(conn, f, keys)
        )
    if by_channel:
        channels = tuple(
            LabelGroup(label, n, first, channel)
            for channel, label, n, first in _label_groups(conn, f, [c.channel_id], by_channel=True)
        )
        query = select(c.channel_id, func.count(func.distinct(c.user_id))).where(*f.where())
        channel_members = {ch: int(k) for ch, k in conn.execute(query.group_by(c.channel_id))}
    if buckets or channels:
        labels = merge_labels(buckets or channels)
    else:
        labels = tuple(LabelGroup(lb, n, first) for lb, n, first in _label_groups(conn, f, []))
    return PeriodStats(
        messages=int(total),
        members=int(members),
        labels=labels,
        buckets=buckets,
        channels=channels,
        channel_members=channel_members,
    )


def _label_groups(
    conn: Connection, f: _Filter, keys: list[ColumnElement[Any]], *, by_channel: bool = False
) -> list[tuple[Any, ...]]:
    """Rows ``(*keys, label, count, (first sent_at, smallest id at that instant))``."""
    c = messages_t.c
    named = [k.label(f"k{i}") for i, k in enumerate(keys)]
    groups = (
        select(*named, c.label, func.count().label("n"), func.min(c.sent_at).label("first_at"))
        .where(*f.where())
        .group_by(*named, c.label)
        .subquery("g")
    )
    g, m = groups.c, messages_t.alias("m")
    # back to the group's rows at its first instant (so in the same bucket)
    same = [*f.same_rows(m.c), m.c.sent_at == g.first_at, m.c.label == g.label]
    if by_channel:
        same.append(m.c.channel_id == g.k0)
    # a correlated subquery, so that the database starts from the groups (an index lookup each)
    first_id = select(func.min(m.c.id)).where(*same).scalar_subquery()
    query = select(*g, first_id)
    out = []
    for row in conn.execute(query):
        *parts, label, n, first_at, first_id = row
        out.append((*parts, label, int(n), (_aware(first_at), int(first_id))))
    return out


def _bucket_columns(conn: Connection, minutes: int) -> list[ColumnElement[Any]]:
    """The UTC hour as ``YYYY-MM-DD HH`` text, and for 15-minute buckets the quarter (0-3)."""
    c = messages_t.c
    if conn.dialect.name == "sqlite":
        hour: ColumnElement[Any] = func.substr(c.sent_at, 1, 13)
        minute: ColumnElement[Any] = cast(func.substr(c.sent_at, 15, 2), Integer)
    else:
        utc = func.timezone("UTC", c.sent_at)
        hour = func.to_char(utc, "YYYY-MM-DD HH24")
        minute = cast(extract("minute", utc), Integer)
    return [hour] if minutes == 60 else [hour, minute // 15]


def _bucket_start(parts: list[Any]) -> datetime:
    start = datetime.strptime(parts[0], "%Y-%m-%d %H").replace(tzinfo=UTC)
    return start + timedelta(minutes=15 * int(parts[1])) if len(parts) > 1 else start


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
