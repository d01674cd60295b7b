"""Weekly summary: a seeded week rendered to text and PNG, its numbers checked against the rows,
small groups hidden, the empty week, the offline CLI and the job posting through a notifier."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import app
from bot.cli import summary as summary_cli
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.core.records import CommunitySettings
from bot.jobs import demo
from bot.jobs.runtime import JobRuntime
from bot.jobs.weeks import parse_week, week_bounds, zone
from bot.storage.tables import JobRun
from classifier.prediction import Prediction
from classifier.scheme import goemotions_scheme
from tests.fakes import ManualClock

WEEK = "2025-W14"  # Monday 31 March 2025 .. Sunday 6 April 2025
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _week_start() -> datetime:
    return week_bounds(*parse_week(WEEK), zone(demo.TIMEZONE))[0]


def _run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    summary_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.func(args))


async def test_seeded_week_numbers_text_and_png(store, tmp_path: Path) -> None:
    counts = demo.seed_demo(store, _week_start())
    label, summary, text_file, png_file = await app.render_week(
        store, demo.COMMUNITY, WEEK, goemotions_scheme(), tmp_path
    )
    assert label == WEEK
    # Counts against what was seeded.
    assert summary.messages == counts.messages["this"]
    assert summary.prev_messages == counts.messages["previous"]
    assert summary.members == counts.members["this"]
    total = counts.messages["this"]
    for family, n in counts.families["this"].items():
        assert summary.families[family] == pytest.approx(n / total)
    prev_total = counts.messages["previous"]
    for family, n in counts.families["previous"].items():
        assert summary.prev_families[family] == pytest.approx(n / prev_total)
    assert summary.flags == counts.flags
    # Per local date: every message counted once, on its local day, the 7 dates of the ISO week.
    assert sum(sum(day.values()) for day in summary.by_day.values()) == total
    days = [f"{d:%a %d %b}" for d in summary.by_day]
    assert len(days) == 7 and (days[0], days[-1]) == ("Mon 31 Mar", "Sun 06 Apr")
    # The support channel's mid-week outage is the biggest move, and it is shown.
    assert summary.channels[0].name == "support"
    assert summary.channels[0].change > 0.1
    # The two-person channel is hidden, and said to be.
    assert "design-crit" not in {c.name for c in summary.channels}
    assert summary.hidden_channels == 1
    text = text_file.read_text(encoding="utf-8")
    assert "design-crit" not in text and "c-design" not in text
    assert "1 smaller channel" in text
    assert f"{total} messages" in text
    assert "#support" in text
    for member_name in ("member-", "m0", "m1"):
        assert member_name not in text  # no individual is named
    assert png_file is not None
    png = png_file.read_bytes()
    assert png.startswith(PNG_MAGIC)
    import matplotlib.image

    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert image.shape[1] >= 800 and image.shape[0] >= 300


def _say(store, channel: ChannelRef, user: str, when: datetime, label: str, n: int) -> None:
    scheme = goemotions_scheme()
    scores = {name: 0.01 for name in scheme.labels}
    scores[label] = 0.9
    msg = ChatMessage(f"{channel.id}-{user}-{n}", channel, UserRef("test", user), "x", when)
    store.save_classification(msg, Prediction(label, scores, (label,), "v"))


async def test_small_community_is_hidden_and_empty_week_says_so(store, tmp_path: Path) -> None:
    community = CommunityRef("test", "tiny", "Tiny")
    channel = ChannelRef(community, "general", "general")
    store.save_community_settings(community, CommunitySettings(min_group_size=3))
    start = week_bounds(*parse_week(WEEK), zone("UTC"))[0]
    for i, user in enumerate(("ann", "bob") * 5):  # two people: below the minimum of three
        _say(store, channel, user, start + timedelta(hours=10 + i), "sadness", i)
    _, summary, text_file, png_file = await app.render_week(
        store, community, WEEK, goemotions_scheme(), tmp_path
    )
    assert summary.hidden and summary.members == 2
    assert png_file is None
    text = text_file.read_text(encoding="utf-8")
    assert "fewer than the minimum group of 3" in text
    assert "Negative" not in text and "sadness" not in text
    # The week after: nobody wrote.
    _, empty, text_file, png_file = await app.render_week(
        store, community, "2025-W15", goemotions_scheme(), tmp_path
    )
    assert empty.empty and png_file is None
    assert "nothing to summarise" in text_file.read_text(encoding="utf-8")


def test_cli_demo_renders_text_and_png(tmp_path: Path, capsys) -> None:
    assert _run_cli(["summary", "--demo", "--week", WEEK, "--out", str(tmp_path)]) == 0
    stem = f"summary-{demo.PLATFORM}-{demo.COMMUNITY.id}-{WEEK}"
    assert (tmp_path / f"{stem}.png").read_bytes().startswith(PNG_MAGIC)
    text = (tmp_path / f"{stem}.txt").read_text(encoding="utf-8")
    assert "Mood summary: Mon 31 Mar – Sun 06 Apr 2025" in text
    assert "Distress flags" in text
    assert stem in capsys.readouterr().out


def test_cli_offline_renders_the_configured_database(sqlite_url, store, tmp_path: Path) -> None:
    counts = demo.seed_demo(store, _week_start())
    out = tmp_path / "out"
    argv = [
        "summary",
        "--community",
        demo.COMMUNITY.id,
        "--week",
        WEEK,
        "--out",
        str(out),
        "--database-url",
        sqlite_url,
    ]
    assert _run_cli(argv) == 0
    text = next(out.glob("*.txt")).read_text(encoding="utf-8")
    assert f"{counts.messages['this']} messages" in text
    assert "#support" in text  # channel names come from the database
    assert next(out.glob("*.png")).stat().st_size > 10_000
    with pytest.raises(SystemExit, match="no community 'nope'; known: demo:demo-community"):
        _run_cli(
            ["summary", "--community", "nope", "--out", str(out), "--database-url", sqlite_url]
        )


def test_cli_rejects_a_bad_week(tmp_path: Path, capsys) -> None:
    assert _run_cli(["summary", "--demo", "--week", "2025-W60", "--out", str(tmp_path)]) == 2
    assert "no week 60" in capsys.readouterr().err


async def test_weekly_job_posts_last_week_and_records_it(store, notifier, job_opts) -> None:
    from bot.charts.summary import render_summary_png
    from bot.core.service import EmotionService
    from tests.fakes import FakeClassifier

    demo.seed_demo(store, _week_start())
    # The job fires on Monday 7 April at 09:00 in London: it summarises the week before.
    clock = ManualClock(datetime(2025, 4, 7, 8, 0, tzinfo=UTC))
    service = EmotionService(
        store=store, classifier=FakeClassifier(), clock=clock, chart=render_summary_png
    )
    runtime = JobRuntime(
        service=service,
        options=job_opts,
        default_model_dir=Path("."),
        notifiers={demo.PLATFORM: notifier},
        communities=lambda: [demo.COMMUNITY],
        channel_names=store.channel_names,
    )
    try:
        assert await runtime.post_summary(demo.COMMUNITY) == "posted"
    finally:
        await service.aclose()
    assert len(notifier.posts) == 1
    community, card = notifier.posts[0]
    assert community == demo.COMMUNITY
    assert card.title == "Mood summary: Mon 31 Mar – Sun 06 Apr 2025 (days in Europe/London)"
    assert card.image_png and card.image_png.startswith(PNG_MAGIC)
    with store.engine.connect() as conn:
        runs = conn.execute(select(JobRun.job, JobRun.status, JobRun.details)).all()
    assert [(r.job, r.status) for r in runs] == [("summary", "posted")]
    assert runs[0].details["week"] == WEEK
