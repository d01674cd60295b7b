"""Fixtures for the scheduler tests: a notifier that records what moderators would see, and job
options that keep every file under the test's temporary folder."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.events import Card, CommunityRef
from bot.jobs.options import JobOptions, RetrainOptions
from bot.modelstore.registry import ModelEntry, ModelRegistry


class RecordingNotifier:
    """A real :class:`bot.jobs.notify.ModeratorNotifier` that keeps the cards it was given."""

    def __init__(self) -> None:
        self.posts: list[tuple[CommunityRef, Card]] = []
        self.fail = False

    async def post_summary(self, community: CommunityRef, card: Card) -> None:
        if self.fail:
            raise ConnectionError("platform unreachable")
        self.posts.append((community, card))

    def titles(self) -> list[str]:
        return [card.title for _, card in self.posts]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def job_opts(tmp_path: Path) -> JobOptions:
    return JobOptions(models_store=tmp_path / "models-store", retrain=RetrainOptions())


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` on the event loop until it holds or ``timeout`` seconds pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def current_of(registry: ModelRegistry) -> ModelEntry:
    """The registry's current version (the test fails when there is none)."""
    entry = registry.current()
    assert entry is not None, f"no current version in {registry.root}"
    return entry
