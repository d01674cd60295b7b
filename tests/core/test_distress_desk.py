"""The flag desk decides per member: high flags alone, two medium within 24 h flag, a later
message of higher risk updates the open flag, and medium risk without a flag gets a private prompt
with crisis resources. (The fake classifier has no distress head: phrases alone here.)"""

from __future__ import annotations

from bot.core.events import DistressFlag, EmpathyPrompt, Reply
from bot.core.records import CommunitySettings
from tests.core.conftest import COMMUNITY, EPOCH, member

ALICE = member("alice")
BOB = member("bob")


async def test_one_medium_message_is_evidence_two_within_a_day_flag(chat, store, clock):
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id="mods"))
    first = await chat.say(ALICE, "honestly everyone would be better off without me")
    assert not any(isinstance(a, DistressFlag) for a in first)
    clock.advance(hours=3)
    [flag] = [a for a in await chat.say(ALICE, "I can't go on") if isinstance(a, DistressFlag)]
    assert "1 earlier message(s) of concern" in dict(flag.card.fields)["Why"]


async def test_medium_messages_a_day_apart_do_not_add_up(chat, clock):
    await chat.say(ALICE, "honestly everyone would be better off without me")
    clock.advance(hours=25)
    actions = await chat.say(ALICE, "I can't go on")
    assert not any(isinstance(a, DistressFlag) for a in actions)


async def test_a_higher_risk_message_updates_the_open_flag_and_pings_again(chat, store, clock):
    await chat.say(ALICE, "better off without me. I can't go on")  # two signals agree: high
    [opened] = store.open_flags_for("test", "alice", since=EPOCH)
    clock.advance(hours=1)
    again = await chat.say(ALICE, "I can't go on")  # not higher: no new card
    assert not any(isinstance(a, DistressFlag) for a in again)
    clock.advance(hours=1)
    store.update_flag_evidence(opened.id, score=0.5, reason=opened.reason, message_id="m0")
    [update] = await chat.say(ALICE, "I want to kill myself")
    assert isinstance(update, DistressFlag) and update.flag_id == opened.id
    assert update.card.title.startswith("Update")
    [still_one] = store.open_flags_for("test", "alice", since=EPOCH)
    assert still_one.message_id == chat.last_id and still_one.score > 0.5


async def test_kys_aimed_at_someone_else_is_not_a_distress_flag(chat, store):
    actions = await chat.say(BOB, "kys nobody wants you here")
    assert not any(isinstance(a, DistressFlag) for a in actions)
    assert store.open_flags_for("test", "bob", since=EPOCH) == []
    assert chat.service.stats["distress_aimed_at_others"] == 1


async def test_medium_risk_gets_a_private_prompt_with_crisis_resources(chat, store):
    store.save_community_settings(
        COMMUNITY, CommunitySettings(empathy_mode="thread", crisis_country="GB")
    )
    [prompt] = await chat.say(ALICE, "i wrote a goodbye letter to everyone")  # calm, not negative
    assert isinstance(prompt, EmpathyPrompt) and prompt.user == ALICE
    assert prompt.mode == "dm"  # never a thread others can read
    assert "116 123" in prompt.text


async def test_reviewing_an_unknown_flag_gets_a_private_answer(chat):
    mod = member("mo", mod=True)
    [answer] = await chat.service.on_flag_review(4242, "resolved", mod)
    assert isinstance(answer, Reply) and answer.private_to == mod
    assert "#4242" in answer.text
