"""One bot process on Discord, for the sharding tests: ``python -m tests.discord.shard_worker``.

The real adapter (``bot.adapters.discord.run``) with the real settings from the environment
(``DISCORD_TOKEN``, ``DISCORD_SHARD_COUNT``, ``DISCORD_SHARD_IDS``, ``DATABASE_URL``), over a real
SQLite store and the keyword classifier, pointed at the fake Discord on ``FAKE_DISCORD_PORT``
through discord.py's two hooks (``Route.BASE``, ``DiscordWebSocket.DEFAULT_GATEWAY``). It logs
to stderr; the adapter's "logged in as" line says it is ready.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import discord
import yarl

from bot.adapters.discord import DiscordStartupError, build_client, run
from bot.config import load_settings
from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from bot.storage import SqlStore, make_engine
from tests.fakes import FakeClassifier


async def serve() -> None:
    settings = load_settings()
    engine = make_engine(settings.database_url)
    service = EmotionService(
        store=SqlStore(engine),
        classifier=FakeClassifier(),
        options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=0.0),
    )
    client = build_client(service, settings, guild_ready_timeout=0.01)
    try:
        await run(service, settings, client=client)
    finally:
        await service.aclose()
        engine.dispose()


def main() -> int:
    port = os.environ["FAKE_DISCORD_PORT"]
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway/")
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(serve())
    except DiscordStartupError as exc:
        print(f"startup error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
