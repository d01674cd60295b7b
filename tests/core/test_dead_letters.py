"""A message the database always rejects goes to the dead letters (logged once, without its text)
and never blocks the retry queue; a lone surrogate in a name is made storable."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from bot.core.backlog import MAX_SAVE_RETRIES
from bot.core.events import ChannelRef, UserRef
from bot.storage import SqlStore, make_engine
from tests.core.conftest import COMMUNITY, PLATFORM, member

ALICE, BOB = member("alice"), member("bob")


class RejectingStore(SqlStore):
    """The real SQLite store, which rejects one message id every time (a row the DB refuses)."""

    rejected = "poison"

    def save_classification(self, message, prediction):  # type: ignore[no-untyped-def]
        if message.id == self.rejected:
            raise ValueError("the database rejects this row")
        super().save_classification(message, prediction)


@pytest.fixture
def store(sqlite_url: str):
    engine = make_engine(sqlite_url, busy_timeout_ms=200)
    yield RejectingStore(engine)
    engine.dispose()


async def test_a_lone_surrogate_in_names_is_stored_and_blocks_nothing(chat):
    odd = UserRef(PLATFORM, "odd", "Od\ud800d")
    channel = ChannelRef(COMMUNITY, "weird", "we\udfffird")
    await chat.say(odd, "I am so happy \ud83d", id="surrogate", channel=channel)
    await chat.say(BOB, "thanks everyone")
    assert sorted(r.message_id for r in chat.rows()) == ["m1", "surrogate"]
    assert chat.service.pending == 0


async def test_a_message_the_db_always_rejects_goes_to_the_dead_letters(chat, sqlite_url, caplog):
    with caplog.at_level(logging.INFO):
        await chat.say(ALICE, "secret words here", id="poison")
        assert chat.service.pending == 1
        # A later message that fails too (the database is locked for a moment).
        path = sqlite_url.removeprefix("sqlite:///")
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")
        try:
            await chat.say(BOB, "while locked", id="later")
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert chat.service.pending == 2
        for i in range(MAX_SAVE_RETRIES + 1):
            await chat.say(BOB, f"fine {i}")
    ids = {r.message_id for r in chat.rows()}
    assert "later" in ids and "poison" not in ids  # the later failure was retried and saved
    assert chat.service.pending == 0
    assert chat.service.stats["dead_letter"] == 1
    [dead] = chat.service.deps.backlog.dead_letters
    assert dead.message_id == "poison" and "rejects this row" in dead.reason
    dead_lines = [r for r in caplog.records if "dead letter" in r.getMessage()]
    assert len(dead_lines) == 1 and "poison" in dead_lines[0].getMessage()
    assert "secret words" not in caplog.text
