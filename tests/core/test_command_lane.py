"""``/emotion`` answers do not wait behind a flood of messages (issue 16, item 6): a command's
text is classified ahead of the queued messages and its store calls run on their own thread.
Real service, real SQLite store (made as slow as a busy PostgreSQL), a classifier that takes
20 ms a batch; what is measured is how much of the flood was done when the answer came."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from bot.storage import SqlStore
from tests.core.conftest import Harness, member
from tests.fakes import FakeClassifier

FLOOD = 300
ALICE, BOB = member("alice"), member("bob")


class SlowClassifier(FakeClassifier):
    def predict(self, texts):  # type: ignore[no-untyped-def]
        time.sleep(0.02)
        return super().predict(texts)


class SlowStore(SqlStore):
    saved = 0

    def save_classification(self, message, prediction):  # type: ignore[no-untyped-def]
        time.sleep(0.004)
        super().save_classification(message, prediction)
        SlowStore.saved += 1


@pytest.fixture
async def busy(store, clock):
    SlowStore.saved = 0
    svc = EmotionService(
        store=SlowStore(store.engine),
        classifier=SlowClassifier(),
        clock=clock,
        options=CoreOptions(store_retry_delay_s=0.01, max_batch=32),  # settings cached, as live
    )
    yield Harness(svc, clock)
    await svc.aclose()


async def _flood(chat: Harness) -> list[asyncio.Task]:
    await chat.say(BOB, "warming the settings cache", id="warm")
    tasks = [
        asyncio.create_task(chat.say(BOB, f"so happy about release {i}", id=f"f{i}"))
        for i in range(FLOOD)
    ]
    await asyncio.sleep(0.03)  # the flood is queued and the first batch is running
    return tasks


async def test_check_is_answered_before_the_flood_is_classified(busy):
    tasks = await _flood(busy)
    [reply] = await busy.cmd(ALICE, "check", "I", "am", "furious")
    classified_then = busy.service.deps.batcher.texts
    assert reply.card is not None and reply.card.body.startswith("anger")
    assert classified_then < FLOOD / 2, classified_then
    await asyncio.gather(*tasks)
    assert len(busy.rows(user=BOB.id)) == FLOOD + 1  # nothing lost behind the command


async def test_a_command_store_call_does_not_wait_for_the_queued_saves(busy):
    await busy.say(ALICE, "hello there", id="a1")
    tasks = await _flood(busy)
    await asyncio.sleep(0.3)  # most texts classified: their saves are queued on the store thread
    saved_before = SlowStore.saved
    [reply] = await busy.cmd(ALICE, "forget", "confirm")
    saved_then = SlowStore.saved
    assert "deleted" in (reply.text or "").lower(), reply.text
    assert saved_then - saved_before < FLOOD / 3, (saved_before, saved_then)
    await asyncio.gather(*tasks)
    assert len(busy.rows(user=BOB.id)) == FLOOD + 1
    assert busy.rows(user=ALICE.id) == []
