"""What the English model cannot read is said to be unread, with the shipped model through the
real core (issue 16, item 12): ``/emotion check`` says so plainly instead of a confident neutral."""

from __future__ import annotations

import pytest

from bot.core import strings as msgs
from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from tests.core.conftest import Harness, member

pytestmark = pytest.mark.slow

ALICE = member("alice")
ARABIC_SAD = "أنا حزين جدا"  # "I'm very sad"
HINDI_HAPPY = "मैं बहुत खुश हूँ"  # "I am very happy"


@pytest.fixture
async def real(store, clock, shipped):
    svc = EmotionService(
        store=store, classifier=shipped, clock=clock, options=CoreOptions(settings_cache_s=0.0)
    )
    yield Harness(svc, clock)
    await svc.aclose()


@pytest.mark.parametrize("text", [ARABIC_SAD, HINDI_HAPPY, "estoy muy triste hoy, no sé qué hacer"])
async def test_check_says_it_cannot_read_another_language(real, text):
    [reply] = await real.cmd(ALICE, "check", *text.split())
    assert reply.card is not None and reply.card.body == msgs.CHECK_UNREAD
    assert "neutral" not in reply.card.body


async def test_check_says_there_is_nothing_to_read_in_code(real):
    [reply] = await real.cmd(ALICE, "check", "`rm -rf build`", "```x = 1```")
    assert reply.card is not None and reply.card.body == msgs.CHECK_NOTHING


async def test_check_still_reads_english(real):
    [reply] = await real.cmd(ALICE, "check", "thank you so much for helping me")
    assert reply.card is not None and reply.card.body.startswith("gratitude")


async def test_three_members_in_other_languages_give_no_neutral_week(real):
    """The issue's case: members writing Chinese, Arabic and Hindi made a "Neutral 100%" summary."""
    from tests.core.conftest import COMMUNITY

    for who, text in [
        ("wei", "我今天很难过，不想说话"),
        ("amal", ARABIC_SAD),
        ("priya", HINDI_HAPPY),
        ("wei", "谢谢大家的帮助"),
    ]:
        await real.say(member(who), text)
    await real.say(member("alice"), "thank you so much for helping me")
    rows = real.rows()
    assert sorted(r.label for r in rows) == ["gratitude", "unread", "unread", "unread", "unread"]
    assert all(r.scores == {} for r in rows if r.label == "unread")
    summary, card = await real.service.weekly_summary(COMMUNITY)
    assert summary.unread == 4 and summary.messages == 1
    assert "Neutral" not in f"{card.body}{card.fields}"
    assert "4 more messages in other languages (or only code) were not read" in str(card.fields)
