"""Build the bolt ``AsyncApp`` around the core, check the tokens, and serve it.

- Socket Mode (default): ``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN``; no public URL needed.
- HTTP mode: ``SLACK_SIGNING_SECRET`` set and no app token; requests are served at
  ``http://SLACK_HOST:SLACK_PORT/slack/events`` (default 127.0.0.1:3000) and must be signed.

The Web API client retries server errors, dropped connections, timeouts and rate-limited calls
(after ``Retry-After``): see :mod:`bot.adapters.slack.retry`; slack_sdk retries only dropped
connections by default.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import commands, events, strings
from bot.adapters.slack.outbox import Outbox
from bot.adapters.slack.port import Deps, Service
from bot.adapters.slack.retry import retry_handlers
from bot.adapters.slack.roles import Roles
from bot.adapters.slack.translate import Workspace
from bot.adapters.slack.verify import (
    MALFORMED,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UNVERIFIED,
    Signatures,
    VerifySignature,
    log_refused,
    malformed,
)
from bot.core.errors import StartupError

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_PORT = 3000


class SlackStartupError(StartupError):
    """The Slack adapter cannot start; the message says what to fix."""


@dataclass(frozen=True)
class SlackConfig:
    """The Slack part of the settings (``SLACK_*`` environment variables / ``.env``)."""

    bot_token: str = ""
    app_token: str = ""
    signing_secret: str = ""
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    moderators: tuple[str, ...] = ()
    api_url: str | None = None  # another Web API base URL (tests, an egress proxy)

    @classmethod
    def from_settings(cls, settings: Any) -> SlackConfig:
        """Read ``settings.slack_*`` (:class:`bot.config.Settings` reads ``SLACK_*`` from the
        environment and ``.env``); a field it lacks is empty."""

        def get(name: str) -> str:
            value = getattr(settings, f"slack_{name}", None)
            if value is not None and hasattr(value, "get_secret_value"):
                value = value.get_secret_value()
            if isinstance(value, list | tuple):
                value = ",".join(str(v) for v in value)
            return str(value).strip() if value is not None else ""

        port = get("port")
        return cls(
            bot_token=get("bot_token"),
            app_token=get("app_token"),
            signing_secret=get("signing_secret"),
            host=get("host") or "127.0.0.1",
            port=int(port) if port.isdigit() else DEFAULT_PORT,
            moderators=tuple(m for m in get("moderators").replace(" ", ",").split(",") if m),
            api_url=get("api_url") or None,
        )

    @property
    def mode(self) -> str | None:
        """``"socket"``, ``"http"``, or None when neither is configured."""
        if self.app_token:
            return "socket"
        if self.signing_secret:
            return "http"
        return None

    def problems(self) -> list[str]:
        """What is missing or malformed, in words a person can act on (empty when fine)."""
        found = []
        if not self.bot_token:
            found.append(strings.NO_BOT_TOKEN)
        elif not self.bot_token.startswith("xoxb-"):
            hint = (
                " That is the app-level token: swap the two."
                if self.bot_token.startswith("xapp-")
                else ""
            )
            found.append(strings.BOT_TOKEN_SHAPE.format(prefix=self.bot_token[:5], hint=hint))
        if self.app_token and not self.app_token.startswith("xapp-"):
            found.append(strings.APP_TOKEN_SHAPE.format(prefix=self.app_token[:5]))
        if self.mode is None:
            found.append(strings.NO_MODE.format(port=self.port, path=EVENTS_PATH))
        return found


def build_client(token: str, *, base_url: str | None = None, timeout: int = 30) -> AsyncWebClient:
    """A Web API client that survives a server error (5xx), a dropped connection or a timeout,
    and rate limits (429 + Retry-After); bolt's per-request clients copy its retry handlers."""
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return AsyncWebClient(token=token, timeout=timeout, retry_handlers=retry_handlers(), **kwargs)


def build_app(
    *,
    service: Service,
    client: AsyncWebClient,
    workspace: Workspace,
    moderators: Iterable[str] = (),
    signing_secret: str | None = None,
) -> tuple[AsyncApp, Deps]:
    """The bolt app with every listener registered. ``signing_secret`` turns on request
    verification (HTTP mode; :mod:`bot.adapters.slack.verify` in place of bolt's, which logs
    bodies); Socket Mode requests are authenticated by the connection itself."""
    app = AsyncApp(
        name="emotion-bot",
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=False,
        before_authorize=VerifySignature(Signatures(signing_secret)) if signing_secret else None,
        logger=logging.getLogger("bot.adapters.slack.bolt"),
    )
    deps = Deps(
        service=service,
        outbox=Outbox(client),
        roles=Roles(client, moderators=moderators),
        workspace=workspace,
    )
    events.register(app, deps, events.RecentEvents())
    commands.register(app, deps)
    return app, deps


async def check_bot_token(client: AsyncWebClient) -> Workspace:
    """``auth.test``: who and where the bot is; :class:`SlackStartupError` saying what is wrong."""
    try:
        resp = await client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        advice = strings.AUTH_ADVICE.get(error, "")
        raise SlackStartupError(strings.AUTH_FAILED.format(error=error, advice=advice)) from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise SlackStartupError(strings.UNREACHABLE.format(url=client.base_url, error=exc)) from exc
    workspace = Workspace(
        team_id=resp.get("team_id") or "",
        team_name=resp.get("team") or "",
        url=resp.get("url") or "",
        bot_user_id=resp.get("user_id") or "",
        bot_id=resp.get("bot_id") or "",
    )
    logger.info(
        strings.CONNECTED.format(
            team=workspace.team_name,
            team_id=workspace.team_id,
            user=resp.get("user") or "?",
            user_id=workspace.bot_user_id,
        )
    )
    return workspace


async def connect_socket_mode(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """Open the Socket Mode connection (``apps.connections.open`` + WebSocket).

    The first ``apps.connections.open`` is made here, not by slack_sdk, whose client retries a
    failed connect forever: a wrong app token would hang instead of saying what is wrong.
    """
    try:
        resp = await app.client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        error = str(exc.response.get("error") or exc.response.status_code)
        advice = strings.APP_TOKEN_ADVICE.get(error, strings.SOCKET_MODE_OFF)
        message = strings.APP_TOKEN_FAILED.format(error=error, advice=advice)
        raise SlackStartupError(message) from exc
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        url = app.client.base_url
        raise SlackStartupError(strings.UNREACHABLE.format(url=url, error=exc)) from exc
    handler = AsyncSocketModeHandler(app, app_token, web_client=app.client)
    handler.client.wss_uri = resp["url"]  # slack_sdk connects to it instead of asking again
    await handler.connect_async()
    logger.info(strings.SOCKET_READY)
    return handler


def bolt_request(request: web.Request, raw: str) -> AsyncBoltRequest:
    """aiohttp request and its (verified, well-formed) body -> bolt request, mending bolt's form
    parsing.

    bolt takes any form body containing the substring ``payload`` for an interactive payload and,
    finding no ``payload`` field, parses it as empty: ``/emotion check my payload`` would be lost.
    The raw body is kept as it came, so the signature is still checked over the exact bytes.
    """
    req = AsyncBoltRequest(
        body=raw,
        query=request.query_string,
        headers=request.headers,  # type: ignore[arg-type]
    )
    if not req.body and raw and "payload" in raw and not raw.lstrip().startswith("{"):
        fields = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" not in fields:
            req.body = fields
            req.context = build_async_context(AsyncBoltContext({}), fields)
    return req


def web_app(app: AsyncApp, *, signing_secret: str) -> web.Application:
    """The aiohttp application of HTTP mode: ``POST /slack/events`` and ``GET /healthz``.

    Each request is verified over its raw bytes before anything parses it (401 otherwise), then
    checked to be something bolt can parse (400 otherwise): :mod:`bot.adapters.slack.verify`.
    """
    signatures = Signatures(signing_secret)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        problem = signatures.problem(
            raw, request.headers.get(TIMESTAMP_HEADER), request.headers.get(SIGNATURE_HEADER)
        )
        if problem is not None:
            log_refused(problem, size=len(raw), remote=request.remote, status=401)
            return web.json_response(UNVERIFIED, status=401)
        content_type = request.headers.get("Content-Type", "").split(";")[0] or None
        problem = malformed(raw, content_type)
        if problem is not None:
            log_refused(problem, size=len(raw), remote=request.remote, status=400)
            return web.json_response(MALFORMED, status=400)
        bolt_resp = await app.async_dispatch(bolt_request(request, raw.decode()))
        return await to_aiohttp_response(bolt_resp)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    server = web.Application()
    server.add_routes([web.post(EVENTS_PATH, handle), web.get("/healthz", healthz)])
    return server


async def serve_http(app: AsyncApp, *, host: str, port: int, signing_secret: str) -> web.AppRunner:
    """Start serving HTTP mode; the caller keeps the runner and calls ``cleanup()`` to stop."""
    runner = web.AppRunner(web_app(app, signing_secret=signing_secret))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise SlackStartupError(f"Cannot listen on {host}:{port}: {exc}") from exc
    logger.info(strings.HTTP_READY.format(host=host, port=port, path=EVENTS_PATH))
    return runner
