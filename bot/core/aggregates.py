"""Counts of one period's messages, as the store aggregates them in SQL (``GROUP BY``), and the same
counts from rows in Python (:func:`stats_from_rows`, for tests and callers that hold rows).

A :class:`LabelGroup` is the number of messages of one label in one group (a UTC time bucket, a
channel or the whole period) with where its first message falls in the order the rows come in
(``(sent_at, id)`` from the store). Summaries rank labels, families and channels by count and break
ties by that first appearance, so aggregated counts give exactly the result that iterating the rows
in order gave.

Local days: the store groups by UTC bucket (an hour, or 15 minutes for a zone whose offset is not a
whole hour during the period, such as India's +05:30 or Nepal's +05:45) and the core folds buckets
into the community's local days (:func:`bucket_minutes`). That is exact as long as every change of
offset and every local midnight falls on a bucket boundary, which holds for every zone in use today.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from bot.core.records import StoredMessage
from classifier.prediction import UNREAD_LABEL

_NO_TIME = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LabelGroup:
    """``count`` messages of ``label`` in one group; ``key`` names the group (the UTC start of a
    time bucket, a channel id, or None for the whole period); ``first`` orders the groups by their
    first message."""

    label: str
    count: int
    first: tuple[datetime, int]
    key: str | datetime | None = None


@dataclass(frozen=True)
class PeriodStats:
    """The aggregates of one period's messages (only those that were asked for are filled)."""

    messages: int = 0
    members: int = 0  # distinct authors
    labels: tuple[LabelGroup, ...] = ()  # one per label
    buckets: tuple[LabelGroup, ...] = ()  # per (UTC bucket start, label)
    channels: tuple[LabelGroup, ...] = ()  # per (channel id, label)
    channel_members: Mapping[str, int] = field(default_factory=dict)  # distinct authors


def without_unread(stats: PeriodStats) -> tuple[PeriodStats, int]:
    """``stats`` without the messages stored as not read (other languages, code only), and how
    many there were: they carry no mood, so no share counts them."""
    unread = sum(g.count for g in stats.labels if g.label == UNREAD_LABEL)
    if not unread:
        return stats, 0

    def read(groups: tuple[LabelGroup, ...]) -> tuple[LabelGroup, ...]:
        return tuple(g for g in groups if g.label != UNREAD_LABEL)

    kept = PeriodStats(
        messages=stats.messages - unread,
        members=stats.members,
        labels=read(stats.labels),
        buckets=read(stats.buckets),
        channels=read(stats.channels),
        channel_members=stats.channel_members,
    )
    return kept, unread


def in_order(groups: Iterable[LabelGroup]) -> list[LabelGroup]:
    """The groups in the order of their first messages."""
    return sorted(groups, key=lambda g: g.first)


def label_counts(groups: Iterable[LabelGroup]) -> Counter[str]:
    """Messages per label, labels in the order they first appear."""
    counts: Counter[str] = Counter()
    for g in in_order(groups):
        counts[g.label] += g.count
    return counts


def merge_labels(groups: Iterable[LabelGroup]) -> tuple[LabelGroup, ...]:
    """Finer groups (per bucket or channel) folded into one group per label."""
    merged: dict[str, LabelGroup] = {}
    for g in groups:
        old = merged.get(g.label)
        if old is None:
            merged[g.label] = LabelGroup(g.label, g.count, g.first)
        else:
            merged[g.label] = LabelGroup(g.label, old.count + g.count, min(old.first, g.first))
    return tuple(in_order(merged.values()))


def bucket_minutes(tz: tzinfo, start: datetime, end: datetime) -> int:
    """60 when ``tz``'s offset is a whole number of hours throughout ``[start, end]``, else 15."""
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    while moment <= end:
        offset = moment.astimezone(tz).utcoffset() or timedelta(0)
        if offset % timedelta(hours=1):
            return 15
        moment += timedelta(hours=1)
    return 60


def stats_from_rows(rows: Sequence[StoredMessage]) -> PeriodStats:
    """The aggregates of rows held in memory; their order in ``rows`` is their order. Each row is
    its own time bucket (keyed by its ``sent_at``), so local days come out exact in any zone."""
    labels: dict[str, list[int]] = {}
    buckets: dict[tuple[datetime, str], list[int]] = {}
    channels: dict[tuple[str, str], list[int]] = {}
    authors: dict[str, set[str]] = {}
    for i, r in enumerate(rows):
        labels.setdefault(r.label, [0, i])[0] += 1
        buckets.setdefault((r.sent_at, r.label), [0, i])[0] += 1
        channels.setdefault((r.channel_id, r.label), [0, i])[0] += 1
        authors.setdefault(r.channel_id, set()).add(r.user_id)
    return PeriodStats(
        messages=len(rows),
        members=len({r.user_id for r in rows}),
        labels=tuple(LabelGroup(k, n, (_NO_TIME, i)) for k, (n, i) in labels.items()),
        buckets=tuple(LabelGroup(k[1], n, (_NO_TIME, i), k[0]) for k, (n, i) in buckets.items()),
        channels=tuple(LabelGroup(k[1], n, (_NO_TIME, i), k[0]) for k, (n, i) in channels.items()),
        channel_members={c: len(users) for c, users in authors.items()},
    )
