"""Slack fixtures: the fake Slack on 127.0.0.1, the real bolt app around the real
``EmotionService`` (SQLite file + fake classifier), reached over HTTP (signed requests to the
aiohttp server) or Socket Mode (envelopes over a real WebSocket).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.slack.app import build_app, build_client, connect_socket_mode, web_app
from bot.adapters.slack.port import Deps
from bot.adapters.slack.translate import Workspace
from tests.slack import payloads as p
from tests.slack.fake_slack import (
    APP_TOKEN,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    FakeSlack,
)

PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "WS_PROXY",
    "WSS_PROXY",
)
WORKSPACE = Workspace(
    team_id=TEAM_ID,
    team_name=TEAM_NAME,
    url="https://acme.slack.com/",
    bot_user_id=BOT_USER_ID,
    bot_id=BOT_ID,
)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours HTTP(S)_PROXY but not NO_PROXY: a proxy would swallow 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file brought to head by the migrations, copied for each test (fast)."""
    from bot.storage import upgrade

    path = tmp_path_factory.mktemp("slack-db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_db: Path) -> str:
    """Overrides the shared fixture: a copy of the migrated template instead of a migration."""
    target = tmp_path / "bot.db"
    shutil.copyfile(migrated_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    slack.add_user(p.MEMBER, name="ana")
    slack.add_user(p.OTHER, name="ben")
    slack.add_user(p.ADMIN, name="ada", admin=True)
    await slack.start()
    yield slack
    await slack.stop()


@dataclass
class Ack:
    """What Slack got back for one delivery: the HTTP response, or the Socket Mode ack."""

    status: int
    body: Any  # dict (JSON), str, or None

    @property
    def text(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("text", ""))
        return str(self.body or "")


class Harness:
    """Delivers fixtures to the bot the way Slack does, over ``transport``."""

    def __init__(self, *, transport: str, fake: FakeSlack, deps: Deps, url: str = "") -> None:
        self.transport = transport
        self.fake = fake
        self.deps = deps
        self.url = url  # HTTP mode: http://127.0.0.1:PORT/slack/events

    async def post(self, body: bytes, headers: dict[str, str]) -> Ack:
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as resp,
        ):
            text = await resp.text()
            try:
                parsed: Any = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return Ack(resp.status, parsed)

    async def event(self, payload: dict[str, Any], *, retry: int = 0) -> Ack:
        if self.transport == "socket":
            env = await self.fake.send_envelope("events_api", payload, retry_attempt=retry)
            return _socket_ack(await self.fake.wait_ack(env))
        body = p.json_body(payload)
        headers = {"Content-Type": "application/json", **p.sign(body)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, headers)

    async def command(self, text: str, *, user: str = p.MEMBER, channel: str = p.CHANNEL) -> Ack:
        fields = p.slash_command(
            text, user=user, channel=channel, response_url=self.fake.hook_url()
        )
        if self.transport == "socket":
            env = await self.fake.send_envelope("slash_commands", fields)
            return _socket_ack(await self.fake.wait_ack(env))
        body = p.form_body(fields)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **p.sign(body)}
        return await self.post(body, headers)

    async def interactive(self, payload: dict[str, Any]) -> Ack:
        if self.transport == "socket":
            env = await self.fake.send_envelope("interactive", payload)
            return _socket_ack(await self.fake.wait_ack(env))
        body = p.interactive_body(payload)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **p.sign(body)}
        return await self.post(body, headers)


def _socket_ack(ack: dict[str, Any]) -> Ack:
    return Ack(200, ack.get("payload"))


@pytest.fixture
async def http_bot(fake: FakeSlack, service: Any) -> AsyncIterator[Harness]:
    """The bot in HTTP mode, served by aiohttp on 127.0.0.1 (request verification on)."""
    client = build_client(BOT_TOKEN, base_url=fake.base_url)
    app, deps = build_app(
        service=service, client=client, workspace=WORKSPACE, signing_secret=p.SIGNING_SECRET
    )
    runner = web.AppRunner(web_app(app, signing_secret=p.SIGNING_SECRET))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Harness(
        transport="http", fake=fake, deps=deps, url=f"http://127.0.0.1:{port}/slack/events"
    )
    await runner.cleanup()


@pytest.fixture
async def socket_bot(fake: FakeSlack, service: Any) -> AsyncIterator[Harness]:
    """The bot in Socket Mode, connected to the fake's WebSocket (as ``run`` does it)."""
    client = build_client(BOT_TOKEN, base_url=fake.base_url)
    app, deps = build_app(service=service, client=client, workspace=WORKSPACE)
    handler = await connect_socket_mode(app, APP_TOKEN)
    yield Harness(transport="socket", fake=fake, deps=deps)
    await handler.close_async()


@pytest.fixture(params=["http", "socket"])
def bot(request: pytest.FixtureRequest) -> Harness:
    """The same scenario over both transports."""
    return request.getfixturevalue(f"{request.param}_bot")
