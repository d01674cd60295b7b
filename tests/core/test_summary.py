"""Weekly summary: numbers against seeded rows, small groups hidden, empty weeks, the chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.events import CommunityRef
from bot.core.records import FlagRecord, StoredMessage
from bot.core.summary import build_summary, summary_card
from classifier.scheme import goemotions_scheme

SCHEME = goemotions_scheme()
COMMUNITY = CommunityRef("test", "g", "Guild")
MONDAY = datetime(2025, 3, 3, tzinfo=UTC)


def row(i: int, *, user: str, channel: str, label: str, day: int, week: int = 0) -> StoredMessage:
    return StoredMessage(
        platform="test",
        message_id=f"{week}-{i}",
        community_id="g",
        channel_id=channel,
        user_id=user,
        sent_at=MONDAY + timedelta(days=day + 7 * week, hours=10),
        label=label,
        labels=(label,),
        scores={label: 0.9},
        model_version="t",
    )


def seeded():
    # this week: #general has 4 people, #tiny only 2
    this = [
        row(0, user="a", channel="general", label="joy", day=0),
        row(1, user="b", channel="general", label="joy", day=0),
        row(2, user="c", channel="general", label="sadness", day=1),
        row(3, user="d", channel="general", label="anger", day=2),
        row(4, user="a", channel="general", label="neutral", day=4),
        row(5, user="a", channel="tiny", label="fear", day=4),
        row(6, user="b", channel="tiny", label="grief", day=6),
        row(7, user="c", channel="general", label="gratitude", day=6),
    ]
    prev = [
        row(i, user=u, channel="general", label="joy", day=i % 7, week=-1)
        for i, u in enumerate("abcabc")
    ]
    flags = [
        FlagRecord(
            id=1,
            platform="test",
            community_id="g",
            channel_id="general",
            user_id="c",
            message_id="0-2",
            created_at=MONDAY,
            reason="r",
            score=0.8,
            state="resolved",
        ),
        FlagRecord(
            id=2,
            platform="test",
            community_id="g",
            channel_id="general",
            user_id="d",
            message_id="0-3",
            created_at=MONDAY,
            reason="r",
            score=0.8,
        ),
    ]
    return this, prev, flags


def summarise(this, prev, flags, *, min_group=3):
    return build_summary(
        community=COMMUNITY,
        start=MONDAY,
        end=MONDAY + timedelta(days=7),
        rows=this,
        prev_rows=prev,
        flags=flags,
        scheme=SCHEME,
        min_group_size=min_group,
        channel_names={"general": "general"},
    )


def test_numbers_match_the_seeded_rows():
    summary = summarise(*seeded())
    assert (summary.messages, summary.members, summary.prev_messages, summary.prev_members) == (
        8,
        4,
        6,
        3,
    )
    assert summary.families == {"positive": 3 / 8, "negative": 4 / 8, "neutral": 1 / 8}
    assert summary.prev_families == {"positive": 1.0}
    # every local date of the week, quiet ones too, keyed by date (the summary's zone: UTC)
    assert list(summary.by_day) == [MONDAY.date() + timedelta(days=d) for d in range(7)]
    assert summary.by_day[MONDAY.date()] == {"positive": 2}
    assert summary.by_day[MONDAY.date() + timedelta(days=4)] == {"neutral": 1, "negative": 1}
    assert summary.by_day[MONDAY.date() + timedelta(days=3)] == {}
    assert summary.flags == {"resolved": 1, "open": 1}
    [general] = summary.channels
    assert general.channel_id == "general" and general.negative_share == 2 / 6
    assert general.prev_negative_share == 0.0
    assert summary.hidden_channels == 1  # #tiny: 2 people < 3


def test_the_card_reads_at_a_glance_and_names_nobody():
    card = summary_card(summarise(*seeded()), chart_png=b"png")
    fields = dict(card.fields)
    # 95% margins: 1.96 * sqrt(p1 (1 - p1) / 8 + p2 (1 - p2) / 6), last week all positive
    assert fields["Mood mix"].splitlines() == [
        "Positive: 38%, down 62 ± 34 points (more than chance would explain)"
        " — joy 25%, gratitude 12%",
        "Negative: 50%, up 50 ± 35 points (more than chance would explain)"
        " — sadness 12%, anger 12%, fear 12%",
        "Neutral: 12%, up 12 ± 23 points (within noise)",
    ]
    channels = fields["Channels that moved most"]
    assert "#general: negative 33%, up 33 ± 38 points (within noise)" in channels
    assert "1 smaller channel hidden (fewer than 3 members)" in channels
    assert "tiny" not in str(card)
    assert fields["Participation"] == "8 messages from 4 members (last week: 6 from 3)"
    assert card.title == "Mood summary: Mon 03 Mar – Sun 09 Mar 2025 (days in UTC)"
    assert "± a 95% margin" in card.footer
    assert fields["Distress flags"] == "2 raised: 1 open, 1 resolved"
    for user in ("'a'", "'b'", "'c'", "'d'"):
        assert user not in str(card.fields)
    assert card.image_png == b"png"


def test_a_small_week_is_hidden_and_an_empty_week_says_so():
    this, prev, flags = seeded()
    hidden = summarise(this, prev, flags, min_group=5)
    assert hidden.hidden and hidden.families == {} and hidden.channels == ()
    assert "fewer than the minimum group of 5" in summary_card(hidden).body
    empty = summarise([], prev, [])
    assert empty.empty
    card = summary_card(empty, chart_png=None)
    assert "nothing to summarise" in card.body and card.image_png is None


def test_the_chart_is_a_png(tmp_path):
    from bot.charts.summary import headline, render_summary_png

    summary = summarise(*seeded())
    assert headline(summary) == "positive down 62 ± 34 points (more than chance would explain)"
    assert summary.prev_by_day[MONDAY.date() - timedelta(days=7)] == {"positive": 1}  # ticks
    assert headline(summarise(*seeded()[:1], [], [])) == "no previous week to compare"
    png = render_summary_png(summary)
    assert png is not None and png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    (tmp_path / "summary.png").write_bytes(png)
    this, prev, flags = seeded()
    assert render_summary_png(summarise([], prev, [])) is None
    assert render_summary_png(summarise(this, prev, flags, min_group=9)) is None
    first_week = render_summary_png(summarise(this, [], flags))
    assert first_week is not None and first_week.startswith(b"\x89PNG")
