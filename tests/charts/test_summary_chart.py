"""The summary chart: a colour-blind-safe palette (simulated protanopia and deuteranopia), the
rendered PNG's pixels in that palette, and the on-demand chart's days as local calendar dates
(two Wednesdays are two bars) in a zone that is not UTC, named on the chart and in the text."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from bot.charts.summary import COLORS, bar_label, render_summary_png, summary_figure
from bot.core.change import ShareChange
from bot.core.events import (
    ChannelRef,
    ChatMessage,
    CommandRequest,
    CommunityRef,
    Reply,
    UserRef,
)
from bot.core.records import CommunitySettings
from bot.core.service import EmotionService
from classifier.prediction import Prediction
from tests.fakes import FakeClassifier, ManualClock

OLD_RED_GREEN = {"positive": "#4caf50", "negative": "#e57373"}  # the palette this replaced

# Machado, Oliveira & Fernandes (2009), full severity, applied to linear RGB.
CVD = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
}


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0


def _lab(rgb: np.ndarray, simulate: np.ndarray | None = None) -> np.ndarray:
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    if simulate is not None:
        linear = np.clip(simulate @ linear, 0.0, 1.0)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    t = (xyz @ linear) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _distance(a: str, b: str, vision: str) -> float:
    m = CVD[vision]
    return float(np.linalg.norm(_lab(_rgb(a), m) - _lab(_rgb(b), m)))


@pytest.mark.parametrize("vision", sorted(CVD))
def test_the_families_stay_apart_with_red_green_colour_blindness(vision: str) -> None:
    # the old green/red pair nearly merges (ΔE ≈ 11 with deuteranopia): the check can fail
    old = _distance(OLD_RED_GREEN["positive"], OLD_RED_GREEN["negative"], vision)
    assert old < 40
    for a, b in itertools.combinations(COLORS, 2):
        assert _distance(COLORS[a], COLORS[b], vision) > 20, (a, b)
    assert _distance(COLORS["positive"], COLORS["negative"], vision) > 80


# --- the on-demand chart, from a real store -----------------------------------------------------

NEW_YORK = ZoneInfo("America/New_York")
COMMUNITY = CommunityRef("test", "g-ny", "Guild")
GENERAL = ChannelRef(COMMUNITY, "general", "general")
MOD = UserRef("test", "mod", "Mod", is_moderator=True)
# Wednesday 12 March 2025, 15:00 in New York (EDT since Sunday 9 March)
NOW = datetime(2025, 3, 12, 15, 0, tzinfo=NEW_YORK)
LOCAL_MESSAGES = [
    # (local time, label): last Wednesday evening is Thursday in UTC
    (datetime(2025, 3, 5, 20, 0, tzinfo=NEW_YORK), "sadness"),
    (datetime(2025, 3, 5, 21, 0, tzinfo=NEW_YORK), "joy"),
    (datetime(2025, 3, 7, 12, 0, tzinfo=NEW_YORK), "neutral"),
    # late Sunday is Monday in UTC: across the ISO week boundary there, not here
    (datetime(2025, 3, 9, 23, 30, tzinfo=NEW_YORK), "curiosity"),
    (datetime(2025, 3, 9, 23, 45, tzinfo=NEW_YORK), "sadness"),
    (datetime(2025, 3, 12, 9, 0, tzinfo=NEW_YORK), "joy"),  # today, Wednesday
    (datetime(2025, 3, 12, 10, 0, tzinfo=NEW_YORK), "gratitude"),
    (datetime(2025, 3, 12, 11, 0, tzinfo=NEW_YORK), "annoyance"),
]


def _seed(store) -> None:
    store.save_community_settings(
        COMMUNITY, CommunitySettings(timezone="America/New_York", min_group_size=3)
    )
    weeks = [(-7, "joy"), (0, None)]  # a week before, for the comparison
    n = 0
    for shift, only in weeks:
        for when, label in LOCAL_MESSAGES:
            n += 1
            user = UserRef("test", f"u{n % 4}", f"U{n % 4}")
            sent = (when + timedelta(days=shift)).astimezone(UTC)
            label = only or label
            msg = ChatMessage(f"m{n}", GENERAL, user, "(not stored)", sent)
            store.save_classification(
                msg,
                Prediction(label=label, scores={label: 0.9}, labels=(label,), model_version="t"),
            )


@pytest.fixture
async def chart_service(store):
    _seed(store)
    service = EmotionService(
        store=store,
        classifier=FakeClassifier(),
        clock=ManualClock(NOW.astimezone(UTC)),
        chart=render_summary_png,
    )
    yield service
    await service.aclose()


async def test_the_on_demand_chart_has_one_bar_per_local_date(chart_service) -> None:
    summary, _ = await chart_service.weekly_summary(COMMUNITY)  # the last 7 days, on demand
    # 8 dates: last Wednesday (from 15:00) to today (until 15:00), each its own bucket
    assert [f"{d:%a %d %b}" for d in summary.by_day] == [
        "Wed 05 Mar",
        "Thu 06 Mar",
        "Fri 07 Mar",
        "Sat 08 Mar",
        "Sun 09 Mar",
        "Mon 10 Mar",
        "Tue 11 Mar",
        "Wed 12 Mar",
    ]
    counts = {f"{d:%d}": sum(day.values()) for d, day in summary.by_day.items()}
    assert counts == {"05": 2, "06": 0, "07": 1, "08": 0, "09": 2, "10": 0, "11": 0, "12": 3}
    assert summary.by_day[NOW.date()] == {"positive": 2, "negative": 1}
    fig = summary_figure(summary)
    assert fig is not None
    left, right = fig.axes[:2]
    labels = [t.get_text() for t in left.get_xticklabels()]
    assert labels[0] == "Wed\n5 Mar" and labels[-1] == "Wed\n12 Mar" and len(labels) == 8
    assert "days in America/New_York" in left.get_title()
    beside_bars = [t.get_text() for t in right.texts]
    assert len(beside_bars) == 4 and not any("±0" in t or "± 0" in t for t in beside_bars)
    # the tick for "same day last week" sits on the date 7 days before, not on the weekday
    assert summary.prev_by_day[NOW.date() - timedelta(days=7)] == {"positive": 3}


async def test_the_summary_command_names_the_zone_and_attaches_the_chart(chart_service) -> None:
    [action] = await chart_service.handle_command(
        CommandRequest(name="summary", args=(), user=MOD, channel=GENERAL)
    )
    assert isinstance(action, Reply) and action.card is not None
    card = action.card
    assert card.title == "Mood summary: Wed 05 Mar – Wed 12 Mar 2025 (days in America/New_York)"
    assert card.image_png is not None and card.image_png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(card.image_png) > 20_000


def _pixels(png: bytes) -> np.ndarray:
    import matplotlib.image

    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    return np.round(image[..., :3] * 255).astype(int).reshape(-1, 3)


async def test_the_png_is_drawn_in_the_palette_not_red_and_green(chart_service, tmp_path) -> None:
    _, card = await chart_service.weekly_summary(COMMUNITY)
    assert card.image_png is not None
    (tmp_path / "chart.png").write_bytes(card.image_png)
    pixels = _pixels(card.image_png)
    for family in ("positive", "negative", "neutral", "ambiguous"):
        exact = np.all(pixels == np.round(_rgb(COLORS[family]) * 255).astype(int), axis=1)
        assert exact.sum() > 500, family  # its bars, in its palette colour
    for old in OLD_RED_GREEN.values():
        near = np.linalg.norm(pixels - np.round(_rgb(old) * 255), axis=1) < 30
        assert near.sum() == 0, old


def test_a_bar_that_rounds_to_zero_says_no_change() -> None:
    assert bar_label(ShareChange(0.204, 0.200, 400, 400)) == "no change"
    assert bar_label(ShareChange(0.25, 0.20, 200, 200)) == "+5 ± 8 (noise)"
    assert bar_label(ShareChange(0.10, 0.30, 200, 200)) == "−20 ± 8"
