"""The composition root hands each adapter's notifier to the jobs before the adapter starts."""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import pytest

from bot.app import build_adapter


@pytest.mark.parametrize(
    ("name", "kind", "argument"),
    [
        ("discord", "bot.adapters.discord.client.EmotionBotClient", "client"),
        ("slack", "bot.adapters.slack.notify.SlackNotifier", "notifier"),
    ],
)
async def test_each_adapter_hands_over_its_notifier(
    service: Any, name: str, kind: str, argument: str
) -> None:
    settings = SimpleNamespace(discord_dev_guild_id=None)
    notifier, coroutine = build_adapter(name, service, settings)  # type: ignore[arg-type]
    runner: Any = coroutine
    try:
        assert f"{type(notifier).__module__}.{type(notifier).__qualname__}" == kind
        assert callable(notifier.post_summary)
        # The adapter's run(), not started yet, is given that very object.
        assert runner.cr_code.co_name == "run"
        arguments = inspect.getcoroutinelocals(runner)
        assert arguments[argument] is notifier and arguments["service"] is service
    finally:
        runner.close()
