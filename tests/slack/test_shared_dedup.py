"""Slack behind a load balancer: two bots in HTTP mode (two real services, two engines) on one
SQLite file, the fake Slack for both. The same event reaching both, or a retry
(``X-Slack-Retry-Num``) reaching the other one or a restarted one, is acted on once: one row, one
reply (issue 18, item 2). The delivery keys are recorded in the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.slack.app import build_app, build_client, web_app
from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from bot.storage import SqlStore, make_engine
from tests.fakes import FakeClassifier
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE, Harness
from tests.slack.fake_slack import BOT_TOKEN, FakeSlack


@pytest.fixture
async def start_bot(fake: FakeSlack, sqlite_url: str) -> AsyncIterator[Callable[..., Any]]:
    """Starts another bot process's worth of parts on the shared database: its own engine,
    service (memory, caches) and HTTP server."""
    async with AsyncExitStack() as stack:

        async def start() -> Harness:
            engine = make_engine(sqlite_url)
            stack.callback(engine.dispose)
            service = EmotionService(
                store=SqlStore(engine),
                classifier=FakeClassifier(),
                options=CoreOptions(store_retry_delay_s=0.01),
            )
            stack.push_async_callback(service.aclose)
            client = build_client(BOT_TOKEN, base_url=fake.base_url)
            app, deps = build_app(
                service=service,
                client=client,
                workspace=WORKSPACE,
                signing_secret=p.SIGNING_SECRET,
            )
            runner = web.AppRunner(web_app(app, signing_secret=p.SIGNING_SECRET))
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            url = f"http://127.0.0.1:{port}/slack/events"
            return Harness(transport="http", fake=fake, deps=deps, url=url)

        yield start


def rows(bot: Harness, ts: str, channel: str = p.CHANNEL) -> list[Any]:
    store = bot.deps.service.store  # type: ignore[attr-defined]
    found = store.get_message("slack", f"{channel}:{ts}")
    return [found] if found is not None else []


def classified(*bots: Harness) -> int:
    return sum(b.deps.service.classifier.calls for b in bots)  # type: ignore[attr-defined]


async def test_the_same_event_reaching_two_bots_is_stored_and_answered_once(start_bot) -> None:
    first, second = await start_bot(), await start_bot()
    ts = p.ts_now()
    payload = p.event_callback(p.message_event("this is hopeless, I'm crying", ts=ts))
    acks = await asyncio.gather(first.event(payload), second.event(payload))
    assert [a.status for a in acks] == [200, 200]
    await first.fake.wait_for("chat.postEphemeral")
    await first.fake.settle()

    assert len(first.fake.calls_to("chat.postEphemeral")) == 1
    assert len(rows(first, ts)) == 1
    assert classified(first, second) == 1  # the second never even classified it


async def test_a_retry_to_the_other_bot_or_a_restarted_one_is_skipped(start_bot) -> None:
    first, second = await start_bot(), await start_bot()
    ts = p.ts_now()
    payload = p.event_callback(p.message_event("I feel so sad and lonely today", ts=ts))
    assert (await first.event(payload)).status == 200
    await first.fake.wait_for("chat.postEphemeral")
    for retry in (1, 2):
        assert (await second.event(payload, retry=retry)).status == 200
    restarted = await start_bot()  # nothing in its memory
    assert (await restarted.event(payload, retry=3)).status == 200
    await first.fake.settle()

    assert len(first.fake.calls_to("chat.postEphemeral")) == 1
    assert classified(first, second, restarted) == 1
    assert len(rows(first, ts)) == 1


async def test_a_direct_message_reaching_two_bots_gets_one_crisis_reply(start_bot) -> None:
    """Direct messages are never stored, so only the recorded delivery keeps the second bot
    from answering too."""
    first, second = await start_bot(), await start_bot()
    event = p.message_event(
        "I want to kill myself", channel="D0ANA", channel_type="im", ts=p.ts_now()
    )
    payload = p.event_callback(event)
    await asyncio.gather(first.event(payload), second.event(payload))
    await first.fake.wait_for("chat.postEphemeral")
    await first.fake.settle()

    replies = first.fake.calls_to("chat.postMessage") + first.fake.calls_to("chat.postEphemeral")
    assert len(replies) == 1 and replies[0].params["channel"] == "D0ANA"
