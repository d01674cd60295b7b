"""The Discord adapter (discord.py 2.x), thin around :class:`bot.core.service.EmotionService`.

``await run(service, settings)`` logs in with ``DISCORD_TOKEN`` and runs until cancelled. Set-up
guide: ``docs/discord.md``. Modules: :mod:`.translate` (discord.py objects -> core types),
:mod:`.commands` (``/emotion`` and the "Label emotion" menu), :mod:`.render` (cards -> embeds,
buttons), :mod:`.actions` (the core's actions -> Discord calls), :mod:`.client` (events, sync).
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.adapters.discord import strings
from bot.adapters.discord.client import (
    CoreService,
    EmotionBotClient,
    NoModChannelError,
    NotConnectedError,
)
from bot.core.errors import StartupError

logger = logging.getLogger(__name__)

__all__ = [
    "DiscordStartupError",
    "EmotionBotClient",
    "NoModChannelError",
    "NotConnectedError",
    "build_client",
    "run",
]


class DiscordStartupError(StartupError):
    """The bot cannot start on Discord; the message says what to fix."""


def _plain(value: Any) -> str | None:
    """A setting that may be a ``SecretStr``, a string or None -> a stripped string or None."""
    if value is None:
        return None
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    text = str(value).strip()
    return text or None


def _dev_guild_id(settings: Any) -> int | None:
    raw = _plain(getattr(settings, "discord_dev_guild_id", None))
    if raw is None:
        return None
    if not raw.isdigit():
        raise DiscordStartupError(f"DISCORD_DEV_GUILD_ID must be a server id (digits), not {raw!r}")
    return int(raw)


def _shards(settings: Any) -> dict[str, Any]:
    """``shard_count`` / ``shard_ids`` for ``AutoShardedClient`` from ``DISCORD_SHARD_COUNT`` /
    ``DISCORD_SHARD_IDS`` (validated in :mod:`bot.config`); nothing when they are unset."""
    count = getattr(settings, "discord_shard_count", None)
    ids = getattr(settings, "discord_shard_ids", None)
    options: dict[str, Any] = {}
    if count is not None:
        options["shard_count"] = int(count)
    if ids:
        if count is None:  # discord.py would raise a ClientException with no setting named
            raise DiscordStartupError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT as well")
        options["shard_ids"] = [int(i) for i in ids]
    return options


def build_client(service: CoreService, settings: Any, **options: Any) -> EmotionBotClient:
    """The client for these settings: ``DISCORD_DEV_GUILD_ID`` syncs commands to one server;
    ``DISCORD_SHARD_COUNT`` / ``DISCORD_SHARD_IDS`` choose the shards this process runs."""
    for name, value in _shards(settings).items():
        options.setdefault(name, value)
    return EmotionBotClient(service=service, dev_guild_id=_dev_guild_id(settings), **options)


async def run(
    service: CoreService, settings: Any, *, client: EmotionBotClient | None = None
) -> None:
    """Connect to Discord and handle events until cancelled or closed.

    Raises :class:`DiscordStartupError` with a fix-it message when the token is missing or
    wrong, or when the privileged Message Content intent is not enabled (close code 4014).
    Pass ``client`` (from :func:`build_client`) to keep a handle on it: the client is the
    adapter's notifier for the jobs (``await client.post_summary(community, card)``), usable as
    soon as it is built; it waits for the connection.
    """
    token = _plain(getattr(settings, "discord_token", None))
    if token is None:
        raise DiscordStartupError(strings.NO_TOKEN)
    if token.lower().startswith("bot "):
        token = token[4:].strip()
    client = client or build_client(service, settings)
    try:
        async with client:
            await client.start(token, reconnect=True)
    except discord.LoginFailure as exc:
        raise DiscordStartupError(strings.BAD_TOKEN.format(portal=strings.PORTAL)) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise DiscordStartupError(strings.INTENT_MISSING.format(portal=strings.PORTAL)) from exc
    except discord.GatewayNotFound as exc:
        raise DiscordStartupError(strings.CONNECT_FAILED.format(error=exc)) from exc
    except discord.ConnectionClosed as exc:
        if exc.code == 4010:
            raise DiscordStartupError(strings.BAD_SHARD) from exc
        if exc.code == 4011:
            shards = strings.SHARDING_REQUIRED.format(shards=client.shard_summary())
            raise DiscordStartupError(shards) from exc
        raise
