"""The connection itself: login, IDENTIFY, command sync, RESUME, rate limits, start-up errors."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from bot.adapters.discord import DiscordStartupError, run, strings
from bot.core.events import Card, ChannelRef, Reply
from tests.discord import payloads as p
from tests.discord.conftest import ALICE, BOB, COMMUNITY, Harness, eventually, idle, start_client
from tests.discord.fake_discord import MESSAGE_CONTENT_INTENT, FakeDiscord

GUILDS, GUILD_MESSAGES, MEMBERS, PRESENCES = 1 << 0, 1 << 9, 1 << 1, 1 << 8


async def test_connects_identifies_and_syncs_commands_globally(bot: Harness) -> None:
    (identify,) = bot.fake.gateway.identifies
    assert identify["token"] == "fake-token"
    intents = identify["intents"]
    assert intents & GUILDS and intents & GUILD_MESSAGES and intents & MESSAGE_CONTENT_INTENT
    assert not intents & (MEMBERS | PRESENCES)  # no privileged intent the bot does not need
    guild = bot.client.get_guild(int(p.GUILD_ID))
    assert guild is not None and guild.name == "Test Guild" and guild.owner_id == int(p.OWNER_ID)

    (sync,) = bot.fake.sent("PUT", r"/commands$")
    assert sync.path == f"/applications/{p.APP_ID}/commands"  # global
    by_name = {c["name"]: c for c in sync.json}
    assert set(by_name) == {"emotion", strings.CONTEXT_MENU}
    assert by_name[strings.CONTEXT_MENU]["type"] == 3  # a message context menu
    group = by_name["emotion"]
    assert group["contexts"] == [0]  # guild only
    subs = {o["name"]: o for o in group["options"]}
    assert set(subs) == set(bot.service.COMMANDS)
    days = subs["me"]["options"][0]
    assert (days["type"], days["min_value"], days["max_value"]) == (4, 1, 365)
    assert subs["label"]["options"][1]["autocomplete"] is True


async def test_dev_guild_id_syncs_to_that_guild(fake: FakeDiscord, service: Any) -> None:
    client, task = await start_client(fake, service, dev_guild_id=int(p.GUILD_ID))
    try:
        (sync,) = fake.sent("PUT", r"/commands$")
        assert sync.path == f"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands"
        assert {c["name"] for c in sync.json} == {"emotion", strings.CONTEXT_MENU}
    finally:
        await client.close()
        task.cancel()


async def test_reconnect_resumes_without_losing_or_repeating_messages(bot: Harness) -> None:
    before = await bot.say("I am so sad and lonely today")  # prompts Alice by DM
    bot.fake.replay_overlap = 1  # Discord may re-send the last event it had delivered

    await bot.fake.send_op(7)  # RECONNECT
    bot.fake.drop_connection()
    during = p.message(content="so happy, finally", author=BOB)
    await bot.fake.dispatch("MESSAGE_CREATE", during)  # sent while the bot is away
    await eventually(lambda: bot.fake.gateway.resumes)
    await bot.fake.wait_connected()
    await idle(bot.client)

    (resume,) = bot.fake.gateway.resumes
    assert resume["session_id"] == bot.fake.gateway.session_id
    assert len(bot.fake.gateway.identifies) == 1  # resumed, not a new session
    assert bot.store.get_message("discord", during["id"]).label == "joy"  # nothing lost
    assert bot.store.get_message("discord", before["id"]).label == "sadness"
    assert bot.service.stats["classified"] == 2  # the replayed message was not handled twice
    assert len(bot.fake.sent("POST", r"^/channels/8\d+/messages$")) == 1  # one prompt only

    after = await bot.say("thanks everyone", author=BOB)  # the session goes on
    assert bot.store.get_message("discord", after["id"]).label == "gratitude"


async def test_a_429_is_waited_out_and_the_message_still_answered(bot: Harness) -> None:
    bot.fake.fail(
        "POST",
        r"^/channels/8\d+/messages$",
        status=429,
        body={"message": "You are being rate limited.", "retry_after": 0.05, "global": False},
        headers={"Via": "1.1 google", "X-RateLimit-Scope": "user", "Retry-After": "1"},
    )
    await bot.say("I am so sad and lonely today")
    first, second = await bot.fake.wait_for("POST", r"^/channels/8\d+/messages$", count=2)
    assert (first.status, second.status) == (429, 200)
    assert second.json["content"] == first.json["content"]
    assert second.at - first.at >= 0.05


async def test_weekly_summary_reply_is_an_embed_with_the_chart_attached(bot: Harness) -> None:
    png = b"\x89PNG\r\n\x1a\n fake chart"
    card = Card(
        title="Mood summary",
        fields=(("Mood mix", "Positive 60%"),),
        image_png=png,
        image_name="summary chart.png",
        footer="Groups only",
    )
    channel = ChannelRef(COMMUNITY, p.MODS_ID, "mods")
    await bot.client.perform([Reply(channel=channel, card=card)])

    (post,) = bot.fake.sent("POST", rf"^/channels/{p.MODS_ID}/messages$")
    assert post.files == {"summary_chart.png": png}
    (embed,) = post.json["embeds"]
    assert embed["image"]["url"] == "attachment://summary_chart.png"
    assert embed["title"] == "Mood summary" and embed["footer"]["text"] == "Groups only"


def _settings(token: str | None = "fake-token") -> SimpleNamespace:
    return SimpleNamespace(discord_token=token, discord_dev_guild_id=None)


async def test_missing_message_content_intent_is_a_clear_startup_error(
    fake: FakeDiscord, service: Any
) -> None:
    fake.privileged_granted = False  # Discord closes with 4014
    with pytest.raises(DiscordStartupError) as err:
        await asyncio.wait_for(run(service, _settings()), 5)
    assert "MESSAGE CONTENT INTENT" in str(err.value)
    assert len(fake.gateway.identifies) == 1


async def test_a_wrong_token_is_a_clear_startup_error(fake: FakeDiscord, service: Any) -> None:
    fake.token_ok = False
    with pytest.raises(DiscordStartupError) as err:
        await asyncio.wait_for(run(service, _settings("not-a-token")), 5)
    assert "Reset Token" in str(err.value)
    assert [r.path for r in fake.requests] == ["/users/@me"]
    assert fake.requests[0].headers["Authorization"] == "Bot not-a-token"


async def test_no_token_is_a_clear_startup_error(service: Any) -> None:
    with pytest.raises(DiscordStartupError, match="DISCORD_TOKEN is not set"):
        await run(service, _settings(None))


async def test_run_serves_until_closed(fake: FakeDiscord, service: Any) -> None:
    from bot.adapters.discord import build_client

    client = build_client(service, _settings(), guild_ready_timeout=0.01)
    runner = asyncio.create_task(run(service, _settings("Bot fake-token"), client=client))
    await asyncio.wait_for(client.wait_until_ready(), 5)
    assert fake.gateway.identifies[0]["token"] == "fake-token"  # a pasted "Bot " prefix is cut
    await fake.dispatch("MESSAGE_CREATE", p.message(content="so happy", author=ALICE))
    await eventually(lambda: service.stats["classified"] == 1)
    await client.close()
    await asyncio.wait_for(runner, 5)  # returns normally once closed
