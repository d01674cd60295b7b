"""Two real bot processes (``python -m bot run``, the Slack adapter in HTTP mode against the fake
Slack) on one fresh PostgreSQL database, as behind a load balancer: the same signed event
delivered to both, then retried to both (``X-Slack-Retry-Num``), is stored once and answered
once; two sad messages a second apart, one to each process, get one prompt (the member's
cooldown is in the database) (issue 18, item 2)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from bot.storage import upgrade
from tests.multiprocess.bots import MODEL, SIGNING_SECRET, Bot, until
from tests.multiprocess.pgdb import new_pg_database
from tests.slack import payloads as p
from tests.slack.fake_slack import FakeSlack

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.skipif(not (MODEL / "model.onnx").is_file(), reason="the real model is missing"),
]

START_S = 120  # two processes loading the model on two shared cores
SAD = "I feel so sad and lonely, I can't stop crying"


@pytest.fixture
def url() -> Iterator[str]:
    with new_pg_database() as db:
        upgrade(db)
        yield db


def events_url(bot: Bot) -> str:
    return f"http://127.0.0.1:{bot.env['SLACK_PORT']}/slack/events"


async def deliver(bot: Bot, payload: dict[str, Any], *, retry: int = 0) -> int:
    body = p.json_body(payload)
    headers = {"Content-Type": "application/json", **p.sign(body, secret=SIGNING_SECRET)}
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(events_url(bot), data=body, headers=headers) as resp,
    ):
        return resp.status


async def serving(bot: Bot) -> bool:
    """The Slack HTTP server answers (the tokens were checked, the app is up)."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(events_url(bot).replace("/slack/events", "/healthz")) as resp,
        ):
            return resp.status == 200
    except aiohttp.ClientError:
        return False


def rows(url: str, message_id: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text(
                "SELECT count(*) FROM messages WHERE platform = 'slack' AND message_id = :m"
            )
            return int(conn.scalar(query, {"m": message_id}) or 0)
    finally:
        engine.dispose()


async def classified(*bots: Bot) -> float:
    return sum([await b.value("emotion_bot_classifier_texts_total") or 0.0 for b in bots])


async def test_the_same_event_to_both_processes_is_stored_and_answered_once(
    url: str, tmp_path: Path
) -> None:
    fake = FakeSlack()
    fake.add_user(p.MEMBER, name="ana")
    await fake.start()
    bots = (
        Bot("one", url, tmp_path, slack_api=fake.base_url),
        Bot("two", url, tmp_path, slack_api=fake.base_url),
    )

    def prompts() -> int:
        return len(fake.calls_to("chat.postEphemeral")) + len(fake.calls_to("chat.postMessage"))

    try:
        for bot in bots:
            bot.start()
        for bot in bots:
            await until(lambda b=bot: serving(b), START_S, f"{bot.name} serving", *bots)

        ts = p.ts_now()
        payload = p.event_callback(p.message_event(SAD, ts=ts))
        statuses = await asyncio.gather(*(deliver(b, payload) for b in bots))
        assert statuses == [200, 200]
        await until(lambda: prompts() >= 1, 30, "the empathy prompt", *bots)
        await until(lambda: rows(url, f"{p.CHANNEL}:{ts}") == 1, 30, "the row", *bots)
        statuses = await asyncio.gather(*(deliver(b, payload, retry=1) for b in bots))
        assert statuses == [200, 200]
        await fake.settle(quiet=1.0)
        assert prompts() == 1
        assert rows(url, f"{p.CHANNEL}:{ts}") == 1
        assert await classified(*bots) == 1  # the other process never classified it

        # Another sad message a second later, to the process that did not prompt: the member's
        # cooldown holds there too.
        [other] = [b for b in bots if await classified(b) == 0]
        later_ts = p.ts_now(1)
        assert await deliver(other, p.event_callback(p.message_event(SAD, ts=later_ts))) == 200
        await until(lambda: rows(url, f"{p.CHANNEL}:{later_ts}") == 1, 30, "the 2nd row", *bots)
        await fake.settle(quiet=1.0)
        assert prompts() == 1
        for bot in bots:
            assert bot.alive(), bot.describe()
    finally:
        for bot in bots:
            bot.close()
        await fake.stop()
