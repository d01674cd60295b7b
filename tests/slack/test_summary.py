"""``SlackNotifier``, the jobs' way to a workspace's moderators: the weekly summary as blocks in
the moderators' channel with the chart uploaded after it, reached through ``run``; without a
moderators' channel (or an adapter that never started) the post fails with a clear error."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from bot.adapters.slack import NoModChannelError, NotRunningError, SlackNotifier, run
from bot.adapters.slack.app import build_client
from bot.adapters.slack.outbox import Outbox
from bot.core.events import Card
from bot.core.records import CommunitySettings
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack

PNG = b"\x89PNG\r\n\x1a\nfake-chart"
CARD = Card(
    title="Mood summary: Mon 31 Mar – Sun 06 Apr 2025",
    body="120 messages from 14 members",
    fields=(("Mood mix", "Positive 60%"),),
    image_png=PNG,
    image_name="summary-2025-W14.png",
)
COMMUNITY = WORKSPACE.community


@pytest.fixture
def with_mod_channel(store: Any) -> None:
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id=p.MOD_CHANNEL))


def _assert_summary_posted(fake: FakeSlack) -> None:
    (posted,) = fake.calls_to("chat.postMessage")
    assert posted.params["channel"] == p.MOD_CHANNEL
    blocks = posted.json_param("blocks")
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == CARD.title
    assert {"type": "mrkdwn", "text": "*Mood mix*\nPositive 60%"} in blocks[-1]["fields"]
    assert CARD.title in posted.params["text"]  # the notification fallback
    (get_url,) = fake.calls_to("files.getUploadURLExternal")
    assert get_url.params["filename"] == CARD.image_name
    assert int(get_url.params["length"]) == len(PNG)
    (upload,) = fake.calls_to("upload")
    assert upload.body == PNG
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == p.MOD_CHANNEL


async def test_summary_is_blocks_in_the_mod_channel_with_the_chart_uploaded(
    service: Any, fake: FakeSlack, with_mod_channel: None
) -> None:
    notifier = SlackNotifier(service)
    notifier.attach(Outbox(build_client(BOT_TOKEN, base_url=fake.base_url)))
    await notifier.post_summary(COMMUNITY, CARD)
    _assert_summary_posted(fake)


async def test_without_mod_channel_nothing_is_posted_and_the_post_fails(
    service: Any, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = SlackNotifier(service)
    notifier.attach(Outbox(build_client(BOT_TOKEN, base_url=fake.base_url)))
    with pytest.raises(NoModChannelError, match="mod-channel here"):
        await notifier.post_summary(COMMUNITY, CARD)
    assert fake.calls == []
    assert "has no moderators' channel" in caplog.text


async def test_bot_not_in_the_mod_channel_fails_the_post(
    service: Any, fake: FakeSlack, with_mod_channel: None
) -> None:
    notifier = SlackNotifier(service)
    notifier.attach(Outbox(build_client(BOT_TOKEN, base_url=fake.base_url)))
    fake.fail("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await notifier.post_summary(COMMUNITY, CARD)
    assert not fake.calls_to("files.getUploadURLExternal")  # no chart without its summary


async def test_an_adapter_that_never_starts_fails_the_post(
    service: Any, with_mod_channel: None
) -> None:
    notifier = SlackNotifier(service, ready_timeout=0.2)
    with pytest.raises(NotRunningError, match="did not start"):
        await notifier.post_summary(COMMUNITY, CARD)


async def test_run_attaches_the_outbox_and_an_early_post_waits_for_it(
    service: Any, fake: FakeSlack, with_mod_channel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SIGNING_SECRET", "PORT", "HOST", "MODERATORS"):
        monkeypatch.delenv(f"SLACK_{name}", raising=False)
    notifier = SlackNotifier(service)
    posting = asyncio.create_task(notifier.post_summary(COMMUNITY, CARD))
    await asyncio.sleep(0.1)
    assert not posting.done() and fake.calls == []

    settings = SimpleNamespace(
        slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN, slack_api_url=fake.base_url
    )
    runner = asyncio.create_task(run(service, settings, notifier=notifier))
    try:
        await asyncio.wait_for(posting, 5)
        _assert_summary_posted(fake)
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
