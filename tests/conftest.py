"""Shared fixtures: a real SQLite file brought up by the migrations, the fake classifier, a
manual clock, and a real :class:`EmotionService` over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes import FakeClassifier, ManualClock

# Session fixtures with tiny real models (trained once per run, only when a test asks for them).
pytest_plugins = ["tests.tinymodels"]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file, upgraded to the newest migration."""
    from bot.storage import upgrade

    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    return url


@pytest.fixture
def store(sqlite_url: str):
    from bot.storage import SqlStore, make_engine

    engine = make_engine(sqlite_url, busy_timeout_ms=200)
    yield SqlStore(engine)
    engine.dispose()


@pytest.fixture
def fake_classifier() -> FakeClassifier:
    return FakeClassifier()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def service(store, fake_classifier: FakeClassifier, clock: ManualClock) -> AsyncIterator:
    """A real service over the real SQLite store and the fake classifier."""
    from bot.core.options import CoreOptions
    from bot.core.service import EmotionService

    svc = EmotionService(
        store=store,
        classifier=fake_classifier,
        clock=clock,
        options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=0.0),
    )
    yield svc
    await svc.aclose()
