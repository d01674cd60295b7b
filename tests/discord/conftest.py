"""A real ``EmotionBotClient`` connected to the fake Discord (gateway + REST on 127.0.0.1), in
front of the real ``EmotionService`` (shared ``service`` fixture: SQLite file + fake classifier)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import discord
import pytest
import yarl

from bot.adapters.discord.client import EmotionBotClient
from bot.core.events import CommunityRef
from bot.core.records import CommunitySettings
from tests.discord import payloads as p
from tests.discord.fake_discord import FakeDiscord, Recorded

ALICE = p.user("960000000000000001", "alice")
BOB = p.user("960000000000000002", "bob")
MOD = p.user("960000000000000003", "mia")
OTHER_BOT = p.user("960000000000000004", "otherbot", bot=True)
COMMUNITY = CommunityRef("discord", p.GUILD_ID, "Test Guild")


async def eventually(check: Callable[[], Any], *, timeout: float = 3.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


# Names discord.py gives the tasks that run event handlers, app commands and component callbacks.
_HANDLER_TASKS = ("discord.py: on_", "discord-ui-", "CommandTree-invoker")


async def idle(client: discord.Client, *, timeout: float = 3.0) -> None:
    """Wait until no event handler or component callback of the client is running."""
    await asyncio.sleep(0.02)  # let the gateway frames arrive and be dispatched

    def busy() -> bool:
        return any(
            (t.get_name().startswith(_HANDLER_TASKS) and not t.done()) for t in asyncio.all_tasks()
        )

    await eventually(lambda: not busy(), timeout=timeout)


@dataclass
class Harness:
    fake: FakeDiscord
    client: EmotionBotClient
    service: Any
    store: Any

    async def say(
        self, content: str, *, author: dict[str, Any] = ALICE, **kw: Any
    ) -> dict[str, Any]:
        """A member posts a message (MESSAGE_CREATE); waits until the bot has handled it."""
        data = p.message(content=content, author=author, **kw)
        await self.fake.dispatch("MESSAGE_CREATE", data)
        await idle(self.client)
        return data

    async def interact(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user: dict[str, Any] = ALICE,
        moderator: bool = False,
        wait: bool = True,
        **kw: Any,
    ) -> dict[str, Any]:
        """Dispatch an INTERACTION_CREATE; waits until the bot has handled it."""
        perms = p.VIEW_AND_SEND | (p.MANAGE_GUILD if moderator else 0)
        payload = p.interaction(kind=kind, data=data, user_data=user, permissions=perms, **kw)
        await self.fake.dispatch("INTERACTION_CREATE", payload)
        if wait:
            await idle(self.client)
        return payload

    async def slash(
        self, sub: str, options: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        return await self.interact(2, p.slash(sub, options), **kw)

    def answers(self, payload: dict[str, Any]) -> list[Recorded]:
        """Callback + follow-ups + edits the bot sent for one interaction, in order."""
        token = payload["token"]
        return [r for r in self.fake.requests if token in r.path]

    def set_mod_channel(self, channel_id: str | None = p.MODS_ID, **kw: Any) -> None:
        self.store.save_community_settings(
            COMMUNITY, CommunitySettings(mod_channel_id=channel_id, **kw)
        )


async def start_client(
    fake: FakeDiscord, service: Any, **options: Any
) -> tuple[EmotionBotClient, asyncio.Task[None]]:
    options.setdefault("guild_ready_timeout", 0.01)
    client = EmotionBotClient(service=service, **options)
    task = asyncio.create_task(client.start("fake-token"))
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await stop_client(client, task)
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
        raise AssertionError("client did not become ready")
    return client, task


async def stop_client(client: discord.Client, task: asyncio.Task[None]) -> None:
    await client.close()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(task, 3)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    monkeypatch.setattr(discord.http.Route, "BASE", server.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url)
    )
    yield server
    await server.stop()
    assert not server.errors, server.errors


@pytest.fixture
async def bot(fake: FakeDiscord, service: Any, store: Any) -> AsyncIterator[Harness]:
    client, task = await start_client(fake, service)
    yield Harness(fake, client, service, store)
    await stop_client(client, task)
