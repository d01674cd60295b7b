"""Sharding in one process: the real ``AutoShardedClient`` against the sharded fake gateway.

Two guilds: ``p.GUILD_ID`` is on shard 0 of 2, ``GUILD_B`` on shard 1. The split across real
processes is in ``test_discord_shard_processes.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import yarl

from bot.adapters.discord import (
    DiscordStartupError,
    EmotionBotClient,
    NoModChannelError,
    build_client,
    run,
)
from bot.core.events import Card, CommunityRef
from bot.core.records import CommunitySettings
from tests.discord import payloads as p
from tests.discord.conftest import ALICE, eventually, idle
from tests.discord.fake_shards import ShardedFakeDiscord, guild_copy, shard_of

GUILD_B = str(int(p.GUILD_ID) + (1 << 22))  # the next shard over
GENERAL_B = str(int(p.GENERAL_ID) + 1000)
MODS_B = str(int(p.MODS_ID) + 1000)
OWNER_B = "920000000000000002"


@pytest.fixture
async def sharded(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ShardedFakeDiscord]:
    assert (shard_of(p.GUILD_ID, 2), shard_of(GUILD_B, 2)) == (0, 1)
    server = ShardedFakeDiscord(
        [p.guild(), guild_copy(GUILD_B, "Guild B", id_offset=1000, owner_id=OWNER_B)]
    )
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    yield server
    await server.stop()
    assert not server.errors, server.errors


def settings(count: int | None = None, ids: tuple[int, ...] | None = None) -> SimpleNamespace:
    return SimpleNamespace(
        discord_token="fake-token",
        discord_dev_guild_id=None,
        discord_shard_count=count,
        discord_shard_ids=ids,
    )


async def _no_identify_wait(shard_id: int | None, *, initial: bool = False) -> None:
    """discord.py waits 5 s before each IDENTIFY after the first (Discord allows one per 5 s per
    bucket); the fake has no such limit."""


def client_for(service: Any, config: SimpleNamespace) -> EmotionBotClient:
    client = build_client(service, config, guild_ready_timeout=0.01)
    client.before_identify_hook = _no_identify_wait  # type: ignore[method-assign]
    return client


@contextlib.asynccontextmanager
async def running(service: Any, config: SimpleNamespace) -> AsyncIterator[EmotionBotClient]:
    client = client_for(service, config)
    task = asyncio.create_task(run(service, config, client=client))
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=10, return_when="FIRST_COMPLETED")
        if ready not in done:
            ready.cancel()
            if task.done():
                task.result()  # raises what stopped it
            raise AssertionError("client did not become ready")
        yield client
    finally:
        await client.close()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(task, 5)


def commands_synced(fake: ShardedFakeDiscord) -> int:
    return len(fake.sent("PUT", r"/commands$"))


async def test_without_settings_it_runs_discords_recommended_shards_in_this_process(
    sharded: ShardedFakeDiscord, service: Any, store: Any
) -> None:
    sharded.recommended_shards = 2
    async with running(service, settings()) as client:
        assert sharded.sent("GET", r"^/gateway/bot$")  # asked Discord for the count
        assert sharded.identified_shards() == [(0, 2), (1, 2)]
        assert client.shard_count == 2 and client.shard_ids is None
        assert {g.id for g in client.guilds} == {int(p.GUILD_ID), int(GUILD_B)}
        assert commands_synced(sharded) == 1

        data = p.message(content="so happy", author=ALICE, guild_id=GUILD_B, channel_id=GENERAL_B)
        await sharded.dispatch("MESSAGE_CREATE", data)
        await eventually(lambda: store.get_message("discord", data["id"]))
        assert store.get_message("discord", data["id"]).label == "joy"


async def test_a_shard_count_alone_runs_every_shard_here_and_syncs(
    sharded: ShardedFakeDiscord, service: Any
) -> None:
    async with running(service, settings(count=2)) as client:
        assert not sharded.sent("GET", r"^/gateway/bot$")
        assert sharded.identified_shards() == [(0, 2), (1, 2)]
        assert client.syncs_commands and commands_synced(sharded) == 1


async def test_shard_ids_1_runs_only_shard_1_and_leaves_the_sync_to_shard_0(
    sharded: ShardedFakeDiscord, service: Any, store: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.adapters.discord")
    async with running(service, settings(count=2, ids=(1,))) as client:
        assert sharded.identified_shards() == [(1, 2)]  # one IDENTIFY, for its own shard
        assert [g.id for g in client.guilds] == [int(GUILD_B)]
        assert not client.syncs_commands and commands_synced(sharded) == 0

        on_a = p.message(content="so happy", author=ALICE)  # shard 0: not this process's
        on_b = p.message(content="thanks all", author=ALICE, guild_id=GUILD_B, channel_id=GENERAL_B)
        await sharded.dispatch("MESSAGE_CREATE", on_a)
        await sharded.dispatch("MESSAGE_CREATE", on_b)
        await eventually(lambda: store.get_message("discord", on_b["id"]))
        await idle(client)
        assert store.get_message("discord", on_b["id"]).label == "gratitude"
        assert store.get_message("discord", on_a["id"]) is None
        assert [d for d in sharded.deliveries if d[1] == "MESSAGE_CREATE"] == [
            ((1, 2), "MESSAGE_CREATE", on_b["id"])
        ]
    ready = [r.getMessage() for r in caplog.records if "logged in as" in r.getMessage()]
    assert ready and "shard(s) 1 of 2" in ready[0]
    assert "left to the process that holds shard 0" in ready[0]


async def test_the_shard_0_process_posts_a_summary_for_a_server_on_another_shard(
    sharded: ShardedFakeDiscord, service: Any, store: Any
) -> None:
    # The scheduler runs in one process; the server it posts for may be on a shard elsewhere.
    community = CommunityRef("discord", GUILD_B, "Guild B")
    card = Card(title="Mood summary", fields=(("Mood mix", "Positive 60%"),))
    async with running(service, settings(count=2, ids=(0,))) as client:
        assert client.get_guild(int(GUILD_B)) is None  # not in this process's cache

        with pytest.raises(NoModChannelError):  # no mods' channel: its owner is told by DM
            await client.post_summary(community, card)
        assert sharded.sent("GET", rf"^/guilds/{GUILD_B}$")
        (dm,) = sharded.sent("POST", r"^/channels/8\d+/messages$")
        assert "Guild B" in dm.json["content"]
        (opened,) = sharded.sent("POST", r"^/users/@me/channels$")
        assert str(opened.json["recipient_id"]) == OWNER_B

        store.save_community_settings(community, CommunitySettings(mod_channel_id=MODS_B))
        await client.post_summary(community, card)
        (post,) = sharded.sent("POST", rf"^/channels/{MODS_B}/messages$")
        assert post.json["embeds"][0]["title"] == "Mood summary"


async def test_too_few_shards_for_discord_is_a_clear_startup_error(
    sharded: ShardedFakeDiscord, service: Any
) -> None:
    sharded.recommended_shards = 4  # Discord closes with 4011 "sharding required"
    config = settings(count=2)
    with pytest.raises(DiscordStartupError, match=r"4011.*Raise DISCORD_SHARD_COUNT") as err:
        await asyncio.wait_for(run(service, config, client=client_for(service, config)), 10)
    assert "too many servers for all 2 shard(s)" in str(err.value)


async def test_shard_ids_without_a_count_is_a_clear_startup_error(service: Any) -> None:
    with pytest.raises(DiscordStartupError, match="DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"):
        build_client(service, settings(ids=(1,)))
