"""``run(service, settings)``: token checks that say what is wrong, Socket Mode and HTTP mode."""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bot.adapters.slack import SlackConfig, SlackStartupError, run
from bot.config import load_settings
from tests.slack import payloads as p
from tests.slack.fake_slack import APP_TOKEN, BOT_TOKEN, FakeSlack


@pytest.fixture(autouse=True)
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BOT_TOKEN",
        "APP_TOKEN",
        "SIGNING_SECRET",
        "PORT",
        "HOST",
        "MODERATORS",
        "API_URL",
    ):
        monkeypatch.delenv(f"SLACK_{name}", raising=False)


def settings(**values: Any) -> SimpleNamespace:
    return SimpleNamespace(**{f"slack_{k}": v for k, v in values.items()})


async def _start(service: Any, conf: SimpleNamespace) -> asyncio.Task[None]:
    return asyncio.create_task(run(service, conf))


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"bot_token": APP_TOKEN, "app_token": BOT_TOKEN}, "swap the two"),
        ({"bot_token": BOT_TOKEN}, "Set SLACK_APP_TOKEN"),
        ({"bot_token": "xoxp-user-token", "app_token": APP_TOKEN}, "should start with xoxb-"),
    ],
)
async def test_missing_or_malformed_tokens_are_explained(service: Any, values, says) -> None:
    with pytest.raises(SlackStartupError, match=says):
        await run(service, settings(**values))


async def test_rejected_bot_token_is_explained(service: Any, fake: FakeSlack) -> None:
    conf = settings(bot_token="xoxb-revoked", app_token=APP_TOKEN, api_url=fake.base_url)
    with pytest.raises(SlackStartupError, match=r"invalid_auth.*OAuth & Permissions"):
        await run(service, conf)
    assert [c.method for c in fake.calls] == ["auth.test"]


async def test_rejected_app_token_is_explained(service: Any, fake: FakeSlack) -> None:
    conf = settings(bot_token=BOT_TOKEN, app_token="xapp-wrong", api_url=fake.base_url)
    with pytest.raises(SlackStartupError, match=r"SLACK_APP_TOKEN.*invalid_auth"):
        await run(service, conf)


async def test_unreachable_slack_is_explained(service: Any) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = settings(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=f"http://127.0.0.1:{port}/api/"
    )
    with pytest.raises(SlackStartupError, match="Could not reach Slack"):
        await run(service, conf)


async def test_socket_mode_runs_until_cancelled_and_reconnects_on_request(
    service: Any, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="bot.adapters.slack")
    task = await _start(
        service, settings(bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=fake.base_url)
    )
    await fake.wait_for("apps.connections.open")
    assert "signed in to workspace 'Acme'" in caplog.text
    env = await fake.send_envelope("events_api", p.event_callback(p.message_event("so sad today")))
    assert (await fake.wait_ack(env))["envelope_id"] == env
    (prompt,) = await fake.wait_for("chat.postEphemeral")
    assert prompt.params["user"] == p.MEMBER

    await fake.disconnect()
    await fake.wait_for("apps.connections.open", 2)
    env = await fake.send_envelope(
        "slash_commands", p.slash_command("check hello", response_url=fake.hook_url())
    )
    await fake.wait_ack(env)
    await fake.wait_for("hooks")
    await _stop(task)


async def test_http_mode_serves_the_documented_path(service: Any, fake: FakeSlack) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = settings(
        bot_token=BOT_TOKEN,
        signing_secret=p.SIGNING_SECRET,
        api_url=fake.base_url,
        host="127.0.0.1",
        port=str(port),
    )
    task = await _start(service, conf)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(f"{url}/healthz") as resp:
                    assert resp.status == 200
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
        body = p.form_body(p.slash_command("check hi", response_url=fake.hook_url()))
        headers = {"Content-Type": "application/x-www-form-urlencoded", **p.sign(body)}
        async with session.post(f"{url}/slack/events", data=body, headers=headers) as resp:
            assert resp.status == 200
    await fake.wait_for("hooks")
    await _stop(task)


def test_config_reads_the_settings_which_read_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-env")
    monkeypatch.setenv("SLACK_MODERATORS", "U1, U2")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")
    conf = SlackConfig.from_settings(
        load_settings(slack_bot_token="xoxb-from-settings", slack_port=8080)
    )
    assert conf.api_url == "http://127.0.0.1:9/api/"
    assert (conf.bot_token, conf.app_token, conf.port, conf.mode) == (
        "xoxb-from-settings",
        "xapp-from-env",
        8080,
        "socket",
    )
    assert conf.moderators == ("U1", "U2")
    http = SlackConfig.from_settings(settings(bot_token="xoxb-1", signing_secret="s", app_token=""))
    monkeypatch.delenv("SLACK_APP_TOKEN")
    http = SlackConfig.from_settings(settings(bot_token="xoxb-1", signing_secret="s"))
    assert (http.mode, http.port) == ("http", 3000)
