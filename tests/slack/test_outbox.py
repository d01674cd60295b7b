"""The core's actions -> Web API calls, checked on the fake Slack (real slack_sdk client)."""

from __future__ import annotations

import logging

import pytest

from bot.adapters.slack.app import build_client
from bot.adapters.slack.outbox import Origin, Outbox
from bot.adapters.slack.translate import channel_ref, user_ref
from bot.core.events import Card, DistressFlag, Reply, UpdateFlagMessage
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack

PNG = b"\x89PNG\r\n\x1a\nfake-chart"
GENERAL = channel_ref(WORKSPACE, p.CHANNEL)
ANA = user_ref(p.MEMBER, name="ana")


@pytest.fixture
def outbox(fake: FakeSlack) -> Outbox:
    return Outbox(build_client(BOT_TOKEN, base_url=fake.base_url))


async def test_weekly_summary_is_blocks_with_the_chart_uploaded(
    outbox: Outbox, fake: FakeSlack
) -> None:
    card = Card(
        title="Mood summary",
        fields=(("Mood mix", "Positive 60%"),),
        image_png=PNG,
        image_name="summary.png",
    )
    await outbox.send([Reply(channel=GENERAL, card=card)])

    (posted,) = fake.calls_to("chat.postMessage")
    assert posted.params["channel"] == p.CHANNEL
    assert posted.json_param("blocks")[0]["text"]["text"] == "Mood summary"
    (get_url,) = fake.calls_to("files.getUploadURLExternal")
    assert get_url.params["filename"] == "summary.png" and int(get_url.params["length"]) == len(PNG)
    (upload,) = fake.calls_to("upload")
    assert upload.body == PNG
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == p.CHANNEL


async def test_private_card_with_chart_goes_ephemeral_and_the_chart_to_a_dm(
    outbox: Outbox, fake: FakeSlack
) -> None:
    card = Card(title="Your mood", image_png=PNG)
    await outbox.send([Reply(channel=GENERAL, card=card, private_to=ANA)])
    (ephemeral,) = fake.calls_to("chat.postEphemeral")
    assert ephemeral.params["user"] == p.MEMBER
    (complete,) = fake.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "D0ANA"
    assert not fake.calls_to("chat.postMessage")


async def test_flag_without_a_link_gets_a_permalink_and_is_updated_where_it_was_posted(
    outbox: Outbox, fake: FakeSlack
) -> None:
    card = Card(title="Possible distress", buttons=(("flag:3:acknowledged", "Acknowledge"),))
    flag = DistressFlag(
        flag_id=3,
        community=WORKSPACE.community,
        mod_channel_id=p.MOD_CHANNEL,
        card=card,
        user=ANA,
        message_id=f"{p.CHANNEL}:1712345678.000100",
    )
    await outbox.send([flag])
    (permalink,) = fake.calls_to("chat.getPermalink")
    assert (permalink.params["channel"], permalink.params["message_ts"]) == (
        p.CHANNEL,
        "1712345678.000100",
    )
    (posted,) = fake.calls_to("chat.postMessage")
    assert "archives/C0GENERAL/p1712345678000100" in str(posted.params["blocks"])

    await outbox.send([UpdateFlagMessage(flag_id=3, card=Card(title="Acknowledged"))], Origin())
    (update,) = fake.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (p.MOD_CHANNEL, posted.response["ts"])


async def test_flag_without_a_moderators_channel_is_logged_not_posted(
    outbox: Outbox, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    flag = DistressFlag(
        flag_id=4,
        community=WORKSPACE.community,
        mod_channel_id=None,
        card=Card(title="x"),
        user=ANA,
        message_id="C1:1.000001",
    )
    with caplog.at_level(logging.WARNING, logger="bot.adapters.slack.outbox"):
        await outbox.send([flag])
    assert "mod-channel" in caplog.text
    assert not fake.calls


async def test_a_failing_action_does_not_stop_the_next(outbox: Outbox, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "channel_not_found")
    await outbox.send([Reply(channel=GENERAL, text="one"), Reply(channel=GENERAL, text="two")])
    assert [c.params["text"] for c in fake.calls_to("chat.postMessage")] == ["one", "two"]
