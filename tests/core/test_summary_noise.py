"""A summary's changes from last week come with their noise: a real SQLite store seeded with two
weeks, the card's wording for a change beyond noise, one within noise and none at all."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.change import ShareChange
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.records import CommunitySettings, StoredMessage
from bot.core.service import EmotionService
from bot.core.summary import build_summary, change_words, summary_card
from classifier.prediction import Prediction
from classifier.scheme import goemotions_scheme
from tests.fakes import FakeClassifier, ManualClock

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = datetime(2025, 3, 10, tzinfo=BERLIN)  # a Monday, local midnight
LABELS = {"negative": "sadness", "positive": "joy", "neutral": "neutral"}


def margin(p1: float, n1: int, p2: float, n2: int) -> int:
    """The 95% margin in whole points, from the textbook formula (independent of the code)."""
    return round(100 * 1.96 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))


def seed(store, community: CommunityRef, start: datetime, families: dict[str, int]) -> None:
    """``families`` messages of each family over the 7 days from ``start``, 10 members."""
    channel = ChannelRef(community, "general", "general")
    labels = [LABELS[f] for f, n in families.items() for _ in range(n)]
    for i, label in enumerate(labels):
        user = UserRef(community.platform, f"u{i % 10}", f"U{i % 10}")
        sent = start + timedelta(days=i % 7, hours=9, minutes=i % 600)
        msg = ChatMessage(f"{start:%d}-{i}", channel, user, "(not stored)", sent)
        store.save_classification(
            msg, Prediction(label=label, scores={label: 0.9}, labels=(label,), model_version="t")
        )


async def summary_of(store, community, prev: dict[str, int], this: dict[str, int]):
    store.save_community_settings(community, CommunitySettings(timezone="Europe/Berlin"))
    seed(store, community, WEEK - timedelta(days=7), prev)
    seed(store, community, WEEK, this)
    service = EmotionService(
        store=store, classifier=FakeClassifier(), clock=ManualClock(WEEK + timedelta(days=8))
    )
    try:
        return await service.weekly_summary(community, start=WEEK, end=WEEK + timedelta(days=7))
    finally:
        await service.aclose()


async def test_a_change_beyond_noise_says_so_with_its_margin(store) -> None:
    community = CommunityRef("test", "g-clear", "Guild")
    prev = {"negative": 20, "positive": 100, "neutral": 80}
    this = {"negative": 60, "positive": 60, "neutral": 80}
    summary, card = await summary_of(store, community, prev, this)
    assert (summary.messages, summary.prev_messages) == (200, 200)
    neg, pos = margin(0.3, 200, 0.1, 200), margin(0.3, 200, 0.5, 200)
    assert (neg, pos) == (8, 9)
    lines = dict(card.fields)["Mood mix"].splitlines()
    assert lines[0].startswith(
        f"Positive: 30%, down 20 ± {pos} points (more than chance would explain) — joy"
    )
    assert lines[1].startswith(
        f"Negative: 30%, up 20 ± {neg} points (more than chance would explain)"
    )
    assert lines[2] == "Neutral: 40%, same as last week"  # 40% both weeks: no "±0"
    assert "±0" not in str(card) and "± 0 " not in str(card)
    assert card.title.endswith("(days in Europe/Berlin)")
    assert "95% margin" in card.footer and "within noise" in card.footer


async def test_a_change_within_noise_is_marked_so(store) -> None:
    community = CommunityRef("test", "g-noise", "Guild")
    prev = {"negative": 40, "positive": 80, "neutral": 80}
    this = {"negative": 50, "positive": 70, "neutral": 80}
    _, card = await summary_of(store, community, prev, this)
    neg, pos = margin(0.25, 200, 0.2, 200), margin(0.35, 200, 0.4, 200)
    lines = dict(card.fields)["Mood mix"].splitlines()
    assert lines[0] == f"Positive: 35%, down 5 ± {pos} points (within noise) — joy 35%"
    assert lines[1].startswith(f"Negative: 25%, up 5 ± {neg} points (within noise)")
    assert "more than chance" not in str(card.fields)
    [general] = dict(card.fields)["Channels that moved most"].splitlines()
    assert general == f"#general: negative 25%, up 5 ± {neg} points (within noise)"


def _rows(week: int, families: dict[str, int], scale: int) -> list[StoredMessage]:
    start = WEEK + timedelta(days=7 * week)
    out = []
    for family, n in families.items():
        for i in range(n * scale):
            label = LABELS[family]
            out.append(
                StoredMessage(
                    platform="test",
                    message_id=f"{week}-{family}-{i}",
                    community_id="g",
                    channel_id="general",
                    user_id=f"u{i % 10}",
                    sent_at=start + timedelta(days=i % 7, hours=10),
                    label=label,
                    labels=(label,),
                    scores={label: 0.9},
                    model_version="t",
                )
            )
    return out


@pytest.mark.parametrize(("scale", "verdict"), [(1, "within noise"), (10, "more than chance")])
def test_the_same_shift_is_noise_in_a_small_week_and_clear_in_a_big_one(scale, verdict) -> None:
    """20% -> 25% negative: within noise over 200 messages a week, clear over 2,000."""
    prev = {"negative": 40, "positive": 80, "neutral": 80}
    this = {"negative": 50, "positive": 70, "neutral": 80}
    summary = build_summary(
        community=CommunityRef("test", "g", "Guild"),
        start=WEEK,
        end=WEEK + timedelta(days=7),
        rows=_rows(0, this, scale),
        prev_rows=_rows(-1, prev, scale),
        flags=[],
        scheme=goemotions_scheme(),
        min_group_size=3,
        timezone=BERLIN,
    )
    negative = summary.family_change("negative")
    assert negative is not None and negative.points == 5
    n = 200 * scale
    assert negative.margin == pytest.approx(1.96 * math.sqrt(0.25 * 0.75 / n + 0.2 * 0.8 / n))
    line = dict(summary_card(summary).fields)["Mood mix"].splitlines()[1]
    assert verdict in line


def test_a_change_that_rounds_to_zero_is_no_change_and_a_margin_is_never_zero() -> None:
    tiny = ShareChange(0.302, 0.300, 50_000, 50_000)  # 0.2 points: shows as 0
    assert tiny.points == 0 and not tiny.beyond_noise
    assert change_words(tiny) == "same as last week"
    # a small margin (huge weeks) is shown with a decimal, never as "± 0"
    big = ShareChange(0.31, 0.30, 500_000, 500_000)
    assert change_words(big) == "up 1 ± 0.2 points (more than chance would explain)"
