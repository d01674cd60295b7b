"""Bad input and failing parts never kill the bot: each gives a logged, defined outcome and no
message event is lost (it waits in the backlog and is processed once things work again)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from bot.core.events import Reply
from tests.core.conftest import member

ALICE, BOB = member("alice"), member("bob")


async def test_a_failing_classifier_loses_no_message(chat, fake_classifier, caplog):
    fake_classifier.fail_times = 2  # the batch and its retry
    with caplog.at_level(logging.ERROR):
        assert await chat.say(ALICE, "I am so happy", id="lost?") == []
    assert "lost?" in caplog.text and "classifier failed" in caplog.text
    assert chat.rows() == [] and chat.service.pending == 1
    # The classifier recovers: the next message goes through and takes the backlog with it.
    await chat.say(BOB, "thanks everyone")
    assert sorted(r.message_id for r in chat.rows()) == ["lost?", "m1"]
    assert chat.service.pending == 0


async def test_one_bad_text_does_not_fail_its_batch(chat, fake_classifier, caplog):
    fake_classifier.fail_on = "POISON"
    messages = [chat.message(member(f"u{i}"), f"hello {i}") for i in range(5)]
    messages.append(chat.message(ALICE, "POISON pill", id="bad"))
    with caplog.at_level(logging.ERROR):
        results = await asyncio.gather(*(chat.service.on_message(m) for m in messages))
    assert results == [[]] * 6
    assert len(chat.rows()) == 5
    assert chat.service.pending == 1 and "bad" in caplog.text


async def test_a_locked_database_loses_no_message(chat, sqlite_url, caplog):
    path = sqlite_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with caplog.at_level(logging.ERROR):
            actions = await chat.say(ALICE, "I am so sad", id="while-locked")
        assert len(actions) == 1  # the member still gets the empathy prompt
        assert "while-locked" in caplog.text and "not stored" in caplog.text
        assert chat.service.pending == 1
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await chat.say(BOB, "all good now")
    assert sorted(r.message_id for r in chat.rows()) == ["m1", "while-locked"]
    assert chat.service.pending == 0


async def test_a_locked_database_during_a_command_gets_an_apology(chat, sqlite_url, caplog):
    path = sqlite_url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.ERROR):
            [reply] = await chat.cmd(ALICE, "optout")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert isinstance(reply, Reply) and reply.private_to == ALICE
    assert "went wrong" in reply.text and "optout" in caplog.text


async def test_an_unknown_command_gets_a_hint(chat, caplog):
    with caplog.at_level(logging.INFO):
        [reply] = await chat.cmd(ALICE, "dance", "now")
    assert "don't know `/emotion dance`" in reply.text and "/emotion help" in reply.text
    assert reply.private_to == ALICE
    assert "unknown command 'dance'" in caplog.text


async def test_the_backlog_is_bounded(chat, fake_classifier, caplog):
    from dataclasses import replace

    chat.service.options = replace(chat.service.options, backlog_limit=2)
    fake_classifier.fail_times = 100
    with caplog.at_level(logging.ERROR):
        for i in range(3):
            await chat.say(ALICE, f"message {i}", id=f"b{i}")
    assert chat.service.pending == 2
    assert "backlog full: message b0 dropped" in caplog.text


async def test_a_text_the_classifier_never_reads_is_given_up_with_its_id(
    chat, fake_classifier, caplog
):
    fake_classifier.fail_on = "POISON"
    await chat.say(ALICE, "POISON", id="poison")
    with caplog.at_level(logging.INFO):
        for i in range(3):
            await chat.say(BOB, f"fine {i}")
            assert chat.service.pending == (1 if i < 2 else 0)
    assert "message poison: given up after 3 retries" in caplog.text
    assert chat.service.stats["given_up"] == 1
    assert len(chat.rows()) == 3
