"""The summary, ``/emotion channel`` and ``/emotion me`` counted in SQL give exactly what counting
the stored rows in Python gives: in several time zones (whole-hour, half-hour, 45-minute, a DST
change), with ties in time and in counts, on SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.aggregates import bucket_minutes, label_counts
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.summary import build_summary, summary_card, summary_from_stats
from bot.storage import SqlStore
from classifier.prediction import Prediction
from classifier.scheme import goemotions_scheme

SCHEME = goemotions_scheme()
COMMUNITY = CommunityRef("test", "g1", "Guild")
START = datetime(2025, 3, 3, 5, tzinfo=UTC)  # New York moves its clocks on 9 March
END = START + timedelta(days=7)
PREV = START - timedelta(days=7)
ZONES = (
    "UTC",
    "America/New_York",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
)


def _seed(store: SqlStore) -> None:
    rng = random.Random(3)
    channels = [ChannelRef(COMMUNITY, f"c{i}", f"chan{i}") for i in range(4)]
    users = [UserRef("test", f"u{i}", f"user{i}") for i in range(8)]
    # mostly a few labels, so that counts tie; c3 has only two authors (hidden)
    labels = [*SCHEME.labels[:6], "neutral", "neutral", "joy", "sadness", "not-in-scheme"]
    for i in range(500):
        quarter = rng.randrange(14 * 24 * 4 + 8)
        sent = PREV - timedelta(hours=1) + timedelta(minutes=15 * quarter)
        sent += rng.choice(
            [timedelta(0), timedelta(0), -timedelta(microseconds=1), timedelta(minutes=7)]
        )
        channel = rng.choice(channels)
        author = rng.choice(users[:2] if channel.id == "c3" else users)
        label = rng.choice(labels)
        store.save_classification(
            ChatMessage(id=f"m{i}", channel=channel, author=author, text="", sent_at=sent),
            Prediction(label=label, scores={label: 0.9}, labels=(label,), model_version="t"),
        )


def _rows(store: SqlStore, since: datetime, until: datetime, **kw: str):
    return store.messages(platform="test", community_id="g1", since=since, until=until, **kw)


@pytest.mark.parametrize("min_group", [3, 5])
def test_the_summary_from_sql_counts_equals_the_summary_from_the_rows(
    store: SqlStore, min_group: int
) -> None:
    _seed(store)
    for name in ZONES:
        tz = ZoneInfo(name)
        common = {
            "community": COMMUNITY,
            "start": START,
            "end": END,
            "flags": [],
            "scheme": SCHEME,
            "min_group_size": min_group,
            "timezone": tz,
            "channel_names": {"c0": "general"},
        }
        expected = build_summary(
            rows=_rows(store, START, END), prev_rows=_rows(store, PREV, START), **common
        )
        minutes = bucket_minutes(tz, PREV, END)
        assert minutes == (
            15 if name in ("Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham") else 60
        )

        def stats(since: datetime, until: datetime, minutes: int = minutes):
            return store.message_stats(
                platform="test",
                community_id="g1",
                since=since,
                until=until,
                bucket_minutes=minutes,
                by_channel=True,
            )

        got = summary_from_stats(stats=stats(START, END), prev=stats(PREV, START), **common)
        assert got == expected, name
        assert not got.hidden and got.hidden_channels == 1
        # the orders too: ties are broken by first appearance, as in the rows
        assert list(got.emotions) == list(expected.emotions)
        assert list(got.families) == list(expected.families)
        assert [list(d) for d in got.by_day.values()] == [list(d) for d in expected.by_day.values()]
        assert summary_card(got) == summary_card(expected)


def test_channel_and_member_counts_keep_the_order_of_the_rows(store: SqlStore) -> None:
    _seed(store)
    for kw in ({"channel_id": "c0"}, {"channel_id": "c3"}, {"user_id": "u1"}, {}):
        rows = _rows(store, PREV, END, **kw)
        stats = store.message_stats(platform="test", community_id="g1", since=PREV, until=END, **kw)
        counts = label_counts(stats.labels)
        assert list(counts.items()) == list(Counter(r.label for r in rows).items())
        assert counts.most_common(5) == Counter(r.label for r in rows).most_common(5)
        assert (stats.messages, stats.members) == (len(rows), len({r.user_id for r in rows}))
    empty = store.message_stats(platform="test", community_id="g1", since=END + timedelta(days=30))
    assert empty.messages == 0 and empty.labels == ()
