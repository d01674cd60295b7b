"""The Slack adapter: slack-bolt's ``AsyncApp`` around the core's ``EmotionService``.

``await run(service, settings)`` checks the tokens (``auth.test``), then serves Socket Mode
(``SLACK_APP_TOKEN``) or HTTP mode (``SLACK_SIGNING_SECRET``) until cancelled. The setup guide
is ``docs/slack.md``; the app manifest is ``docs/slack-manifest.yml``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.adapters.slack.app import (
    EVENTS_PATH,
    SlackConfig,
    SlackStartupError,
    build_app,
    build_client,
    check_bot_token,
    connect_socket_mode,
    serve_http,
)
from bot.adapters.slack.notify import NoModChannelError, NotRunningError, SlackNotifier
from bot.adapters.slack.port import Service

logger = logging.getLogger(__name__)

__all__ = [
    "EVENTS_PATH",
    "NoModChannelError",
    "NotRunningError",
    "SlackConfig",
    "SlackNotifier",
    "SlackStartupError",
    "build_app",
    "run",
]


async def run(service: Service, settings: Any, *, notifier: SlackNotifier | None = None) -> None:
    """Run the Slack bot until cancelled.

    Raises :class:`SlackStartupError` with a message saying what to fix when a token is missing,
    malformed or rejected by Slack, or Socket Mode is off. ``notifier`` (a
    :class:`SlackNotifier`, built before) is the jobs' way to the moderators: ``run`` attaches the
    app's outbox to it once the tokens are checked.
    """
    config = SlackConfig.from_settings(settings)
    problems = config.problems()
    if problems:
        raise SlackStartupError("\n".join(problems))
    client = build_client(config.bot_token, base_url=config.api_url)
    workspace = await check_bot_token(client)
    app, deps = build_app(
        service=service,
        client=client,
        workspace=workspace,
        moderators=config.moderators,
        signing_secret=config.signing_secret if config.mode == "http" else None,
    )
    if notifier is not None:
        notifier.attach(deps.outbox)
    if config.mode == "socket":
        handler = await connect_socket_mode(app, config.app_token)
        try:
            await asyncio.Event().wait()
        finally:
            await handler.close_async()
    else:
        runner = await serve_http(
            app, host=config.host, port=config.port, signing_secret=config.signing_secret
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
