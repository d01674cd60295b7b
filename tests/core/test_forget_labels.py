"""Issue 16, item 7, through the service: a label of a member's message records its author, so
``/emotion forget`` removes it even after the message itself was deleted."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.tables import Label
from tests.core.conftest import member

ALICE, MOD = member("alice"), member("mia", mod=True)

WORDS = "nobody may keep these words of alice"


async def test_forget_removes_a_label_of_a_deleted_message(chat, store):
    await chat.say(ALICE, WORDS, id="x1")
    [ok] = await chat.cmd(MOD, "label", target="x1", emotion="sadness")
    assert "Saved 'sadness'" in ok.text
    assert [x.author_id for x in store.labels()] == [ALICE.id]
    store.delete_message(ALICE.platform, "x1")

    [export] = await chat.cmd(ALICE, "export")
    assert WORDS in export.content.decode("utf-8")
    await chat.cmd(ALICE, "forget", "confirm")
    with store.engine.connect() as conn:
        rows = conn.execute(select(Label)).all()
    assert rows == []
