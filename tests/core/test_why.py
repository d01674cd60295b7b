"""/emotion why: the words behind the top emotion, for a text or a recent message."""

from __future__ import annotations

from bot.core.events import Reply
from tests.core.conftest import member

ALICE, BOB = member("alice"), member("bob")
MOD = member("mia", mod=True)


async def test_why_for_a_text_names_the_words(chat):
    [reply] = await chat.cmd(ALICE, "why", "honestly", "I", "am", "furious", "today")
    assert isinstance(reply, Reply) and reply.private_to == ALICE and reply.card is not None
    card = reply.card
    assert card.title == "Why I read it as anger (80%)"
    assert "honestly I am furious today" in card.body
    fields = dict(card.fields)
    assert fields["Words that pushed towards anger"].startswith("furious")
    assert "+0.78" in fields["Words that pushed towards anger"]
    assert "Nothing was stored" in card.footer and chat.rows() == []


async def test_why_for_a_recent_message_is_for_its_author_or_a_moderator(chat):
    await chat.say(ALICE, "thanks so much, I am happy", id="w1")
    [mine] = await chat.cmd(ALICE, "why", "w1")
    assert mine.card is not None and "gratitude" in mine.card.title
    assert "thanks" in dict(mine.card.fields)["Words that pushed towards gratitude"]
    [not_yours] = await chat.cmd(BOB, "why", target="w1")
    assert "your own messages" in not_yours.text
    [mod] = await chat.cmd(MOD, "why", target="w1")
    assert mod.card is not None
    [gone] = await chat.cmd(ALICE, "why", message="nope")
    assert "no longer have the text" in gone.text


async def test_why_usage_and_nothing_to_explain(chat):
    [usage] = await chat.cmd(ALICE, "why")
    assert "Usage" in usage.text
    [empty] = await chat.cmd(ALICE, "why", "```code```")
    assert "nothing to explain" in empty.text
