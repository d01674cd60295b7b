"""The client as the jobs' notifier (``post_summary``): the weekly summary lands in the
moderators' channel as an embed with the chart attached; without that channel the owner is told
once and the post fails; a post made before the client connects waits for it; and the scheduler's
summary job, with the real client as notifier, posts once per week."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord import NoModChannelError, NotConnectedError, strings
from bot.adapters.discord.client import EmotionBotClient
from bot.core.events import Card
from bot.core.records import CommunitySettings
from tests.discord import payloads as p
from tests.discord.conftest import COMMUNITY, Harness, start_client, stop_client
from tests.discord.fake_discord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n fake chart"
CARD = Card(
    title="Mood summary: Mon 31 Mar – Sun 06 Apr 2025",
    body="120 messages from 14 members",
    fields=(("Mood mix", "Positive 60%"),),
    image_png=PNG,
    image_name="summary-2025-W14.png",
    footer="Groups only; no individual is named.",
)
MODS_POSTS = rf"^/channels/{p.MODS_ID}/messages$"
DMS = r"^/channels/8\d+/messages$"


async def test_summary_is_an_embed_with_the_chart_in_the_mod_channel(bot: Harness) -> None:
    bot.set_mod_channel()
    await bot.client.post_summary(COMMUNITY, CARD)

    (post,) = bot.fake.sent("POST", MODS_POSTS)
    assert post.files == {"summary-2025-W14.png": PNG}
    (embed,) = post.json["embeds"]
    assert embed["title"] == CARD.title
    assert embed["description"] == CARD.body
    assert embed["image"]["url"] == "attachment://summary-2025-W14.png"
    assert [(f["name"], f["value"]) for f in embed["fields"]] == [("Mood mix", "Positive 60%")]
    assert embed["footer"]["text"] == CARD.footer
    assert not post.json.get("components")  # a summary has no buttons
    assert not bot.fake.sent("POST", rf"^/channels/{p.GENERAL_ID}/")


async def test_without_mod_channel_the_post_fails_and_the_owner_is_told_once(
    bot: Harness,
) -> None:
    for _ in range(2):
        with pytest.raises(NoModChannelError, match="no moderators' channel"):
            await bot.client.post_summary(COMMUNITY, CARD)

    assert not bot.fake.sent("POST", MODS_POSTS)
    opened = bot.fake.sent("POST", r"^/users/@me/channels$")
    assert [r.json["recipient_id"] for r in opened] == [int(p.OWNER_ID)]
    (notice,) = bot.fake.sent("POST", DMS)
    assert notice.json["content"] == strings.OWNER_NO_MOD_CHANNEL_SUMMARY.format(guild="Test Guild")
    assert not notice.files  # the owner gets no chart, only how to set the channel


async def test_a_post_before_the_client_connects_waits_for_it(
    fake: FakeDiscord, service: Any, store: Any
) -> None:
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id=p.MODS_ID))
    client = EmotionBotClient(service=service, guild_ready_timeout=0.01)
    posting = asyncio.create_task(client.post_summary(COMMUNITY, CARD))
    await asyncio.sleep(0.3)
    assert not posting.done()  # discord.py's wait_until_ready would have raised here

    runner = asyncio.create_task(client.start("fake-token"))
    try:
        await asyncio.wait_for(posting, 5)
        (post,) = fake.sent("POST", MODS_POSTS)
        assert post.files == {"summary-2025-W14.png": PNG}
    finally:
        await stop_client(client, runner)


async def test_a_client_that_never_connects_fails_the_post(service: Any, store: Any) -> None:
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id=p.MODS_ID))
    client = EmotionBotClient(service=service, ready_timeout=0.3)
    with pytest.raises(NotConnectedError, match="not connected to Discord"):
        await client.post_summary(COMMUNITY, CARD)


# --- the scheduler's weekly summary job, through the real client -----------------------------


@pytest.fixture
async def summary_bot(fake: FakeDiscord, store: Any) -> AsyncIterator[tuple[EmotionBotClient, Any]]:
    """A client in front of a service that renders charts, on Monday 7 April 2025 (the job
    summarises 2025-W14), with the demo week seeded and #mods as its moderators' channel."""
    from bot.charts.summary import render_summary_png
    from bot.core.service import EmotionService
    from bot.jobs import demo
    from bot.jobs.weeks import parse_week, week_bounds, zone
    from tests.fakes import FakeClassifier, ManualClock

    demo.seed_demo(store, week_bounds(*parse_week("2025-W14"), zone(demo.TIMEZONE))[0])
    store.save_community_settings(
        demo.COMMUNITY,
        CommunitySettings(timezone=demo.TIMEZONE, min_group_size=3, mod_channel_id=p.MODS_ID),
    )
    service = EmotionService(
        store=store,
        classifier=FakeClassifier(),
        clock=ManualClock(datetime(2025, 4, 7, 8, 0, tzinfo=UTC)),
        chart=render_summary_png,
    )
    client, task = await start_client(fake, service)
    yield client, service
    await stop_client(client, task)
    await service.aclose()


async def test_the_weekly_summary_job_posts_once_through_the_client(
    summary_bot: tuple[EmotionBotClient, Any], fake: FakeDiscord, sqlite_url: str, tmp_path: Path
) -> None:
    from bot.jobs import demo
    from bot.jobs.options import JobOptions, RetrainOptions
    from bot.jobs.runtime import JobRuntime
    from bot.jobs.scheduler import BotScheduler, summary_job_id
    from bot.storage import make_engine

    client, service = summary_bot
    # The demo data lives under the platform "demo": let the Discord client serve it.
    runtime = JobRuntime(
        service=service,
        options=JobOptions(models_store=tmp_path / "models-store", retrain=RetrainOptions()),
        default_model_dir=Path("."),
        notifiers={demo.PLATFORM: client},
        communities=lambda: [demo.COMMUNITY],
        channel_names=service.store.channel_names,
    )
    scheduler = BotScheduler(runtime, engine=make_engine(sqlite_url))
    await scheduler.start()
    try:
        job_id = summary_job_id(demo.COMMUNITY)
        scheduler.scheduler.modify_job(job_id, "default", next_run_time=datetime.now(UTC))
        (post,) = await fake.wait_for("POST", MODS_POSTS, timeout=10)
        assert await scheduler.run_summary(demo.COMMUNITY) == "already_done"
    finally:
        scheduler.shutdown()
        await asyncio.sleep(0.05)
    (embed,) = post.json["embeds"]
    assert embed["title"] == "Mood summary: Mon 31 Mar – Sun 06 Apr 2025 (days in Europe/London)"
    (name, png), *_ = post.files.items()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert embed["image"]["url"] == f"attachment://{name}"
    assert len(fake.sent("POST", MODS_POSTS)) == 1
