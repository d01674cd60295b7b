"""Messages through the real service and a real SQLite file: what is stored, prompted, flagged."""

from __future__ import annotations

import asyncio

from bot.core.events import ChannelRef, DistressFlag, EmpathyPrompt, Reply, UserRef
from bot.core.records import ChannelSettings, CommunitySettings
from tests.core.conftest import COMMUNITY, EPOCH, GENERAL, RANDOM, member
from tests.fakes import FakeClassifier

ALICE, BOB, CAROL = member("alice"), member("bob"), member("carol")
MOD = member("mia", mod=True)


async def test_a_message_is_classified_and_stored_without_its_text(chat):
    assert await chat.say(ALICE, "I'm so happy with the release") == []
    [row] = chat.rows()
    assert (row.user_id, row.channel_id, row.label) == ("alice", "general", "joy")
    assert row.model_version == "fake-1"
    assert "happy" not in repr(row)  # no text column, no text anywhere in the row


async def test_bots_system_and_empty_messages_are_skipped_before_classifying(chat, fake_classifier):
    assert await chat.say(UserRef("test", "robot", is_bot=True), "I am sad") == []
    assert await chat.say(ALICE, "pinned a message", is_system=True) == []
    assert await chat.say(ALICE, "   \n\t ") == []
    assert chat.rows() == []
    assert fake_classifier.calls == 0
    stats = chat.service.stats
    assert (stats["skipped_bot"], stats["skipped_system"], stats["skipped_empty"]) == (1, 1, 1)


async def test_opt_out_stops_classification_and_storage(chat, fake_classifier):
    await chat.say(ALICE, "first message")
    [reply] = await chat.cmd(ALICE, "optout")
    assert "won't read" in reply.text and reply.private_to == ALICE
    calls = fake_classifier.calls
    assert await chat.say(ALICE, "I am so sad and lonely") == []  # no prompt either
    assert len(chat.rows(user="alice")) == 1
    assert fake_classifier.calls == calls  # never reached the model
    await chat.cmd(ALICE, "optin")
    await chat.say(ALICE, "back again")
    assert len(chat.rows(user="alice")) == 2


async def test_a_disabled_channel_is_not_read(chat, store):
    store.save_channel_settings(RANDOM, ChannelSettings(enabled=False))
    await chat.say(ALICE, "hello there", channel=RANDOM)
    await chat.say(ALICE, "hello there", channel=GENERAL)
    assert [r.channel_id for r in chat.rows()] == ["general"]


async def test_empathy_prompt_goes_privately_to_the_author(chat):
    await chat.say(BOB, "great work everyone")
    actions = await chat.say(ALICE, "I feel so sad and lonely today")
    [prompt] = actions
    assert isinstance(prompt, EmpathyPrompt)
    assert prompt.user == ALICE and prompt.message_id == chat.last_id
    assert prompt.channel == GENERAL and prompt.mode == "dm"
    assert "Alice" in prompt.text and "optout" in prompt.text
    assert not any(word in prompt.text.lower() for word in ("depress", "diagnos", "disorder"))


async def test_empathy_mode_and_switches_come_from_settings(chat, store, clock):
    store.save_community_settings(COMMUNITY, CommunitySettings(empathy_mode="thread"))
    [prompt] = await chat.say(ALICE, "I am so sad")
    assert isinstance(prompt, EmpathyPrompt) and prompt.mode == "thread"
    store.save_community_settings(COMMUNITY, CommunitySettings(empathy_enabled=False))
    clock.advance(days=1)
    assert await chat.say(ALICE, "I am so sad") == []
    store.save_community_settings(COMMUNITY, CommunitySettings(empathy_mode="off"))
    assert await chat.say(BOB, "I am so sad") == []


async def test_cooldowns_hold_per_member_and_per_channel(chat, clock):
    assert len(await chat.say(ALICE, "I am so sad")) == 1
    clock.advance(minutes=30)  # channel cooldown (10 min) over, member cooldown (6 h) not
    assert await chat.say(ALICE, "still sad, crying") == []
    assert len(await chat.say(BOB, "I am sad too")) == 1
    clock.advance(minutes=1)  # channel cooldown holds for another member
    assert await chat.say(CAROL, "so sad about this") == []
    assert len(await chat.say(CAROL, "so sad about this", channel=RANDOM)) == 1
    clock.advance(hours=6)
    assert len(await chat.say(ALICE, "sad again")) == 1
    assert chat.service.stats["empathy_cooldown_member"] == 1
    assert chat.service.stats["empathy_cooldown_channel"] == 1


async def test_a_channel_threshold_overrides_the_default(chat, store):
    store.save_channel_settings(GENERAL, ChannelSettings(empathy_threshold=0.9))
    assert await chat.say(ALICE, "I am so sad") == []  # sadness 0.85 < 0.9
    store.save_channel_settings(GENERAL, ChannelSettings(empathy_threshold=0.5))
    assert len(await chat.say(BOB, "feeling a bit down")) == 1  # sadness 0.6 >= 0.5


async def test_a_distress_phrase_raises_exactly_one_flag(chat, store):
    store.save_community_settings(COMMUNITY, CommunitySettings(mod_channel_id="mods"))
    actions = await chat.say(ALICE, "I can't do this anymore, I want to kill myself")
    [flag] = actions
    assert isinstance(flag, DistressFlag)
    assert flag.mod_channel_id == "mods" and flag.user == ALICE
    assert flag.message_id == chat.last_id
    fields = dict(flag.card.fields)
    assert "kill myself" in fields["Why"] and fields["Member"] == "Alice (alice)"
    assert flag.card.link == f"https://chat/{chat.last_id}"
    assert [b[0] for b in flag.card.buttons] == [
        f"flag:{flag.flag_id}:acknowledged",
        f"flag:{flag.flag_id}:resolved",
        f"flag:{flag.flag_id}:false_alarm",
    ]
    assert "findahelpline.com" in flag.card.footer
    # More messages in the same spirit do not raise more flags while one is open.
    assert await chat.say(ALICE, "really, I want to end my life") == []
    assert await chat.say(ALICE, "I'm suicidal") == []
    assert [f.id for f in store.open_flags_for("test", "alice", since=EPOCH)] == [flag.flag_id]
    assert chat.service.stats["distress_deduplicated"] == 2


async def test_a_flag_is_never_a_public_reply(chat):
    for action in await chat.say(BOB, "I want to kill myself"):
        assert not isinstance(action, Reply | EmpathyPrompt)


async def test_negation_and_quoted_lyrics_do_not_flag(chat):
    assert await chat.say(ALICE, "Don't worry, I'm not going to hurt myself") == []
    assert await chat.say(BOB, "I would never kill myself, I love my life") == []
    lyrics = "> so sad tonight, I could kill myself, kill myself\nthis song is such a banger"
    actions = await chat.say(CAROL, lyrics)
    assert not any(isinstance(a, DistressFlag) for a in actions)
    assert await chat.say(CAROL, 'the chorus goes "I want to end my life" lol') == []
    assert chat.service.stats["distress_flagged"] == 0


async def test_an_indirect_phrase_flags_only_with_the_models_support(chat):
    assert await chat.say(ALICE, "no reason to live anymore, hopeless") != []  # sadness 0.85
    actions = await chat.say(BOB, "this meeting makes me want to die haha")
    assert not any(isinstance(a, DistressFlag) for a in actions)


async def test_a_distress_phrase_in_a_direct_message_gets_resources_privately(chat, store):
    dm = ChannelRef(COMMUNITY, "dm-alice", is_direct=True)
    [reply] = await chat.say(ALICE, "I want to kill myself", channel=dm)
    assert isinstance(reply, Reply) and reply.private_to == ALICE
    assert "findahelpline.com" in reply.text
    assert await chat.say(ALICE, "hi bot", channel=dm) == []
    assert chat.rows() == []  # direct messages are never classified or stored


async def test_an_edit_replaces_the_row_and_a_delete_removes_it(chat):
    await chat.say(ALICE, "I am so happy", id="e1")
    await chat.say(ALICE, "I am so angry", id="e1", is_edit=True)
    [row] = chat.rows()
    assert row.label == "anger"
    await chat.service.on_message_deleted("test", "e1")
    assert chat.rows() == []


async def test_concurrent_messages_are_batched(chat, fake_classifier):
    messages = [chat.message(member(f"u{i}"), f"message number {i}") for i in range(20)]
    await asyncio.gather(*(chat.service.on_message(m) for m in messages))
    assert len(chat.rows()) == 20
    assert fake_classifier.calls < 20
    assert max(fake_classifier.batch_sizes) > 1


async def test_swap_classifier_serves_the_new_model(chat):
    await chat.say(ALICE, "one")
    chat.service.swap_classifier(FakeClassifier(version="fake-2"))
    await chat.say(ALICE, "two")
    assert [r.model_version for r in chat.rows()] == ["fake-1", "fake-2"]
    assert chat.service.labels[0] == "admiration"


async def test_a_very_long_message_is_classified_and_stored(chat):
    text = ("This is a long message about my day. " * 300)[:10_000]
    assert len(text) == 10_000
    assert await chat.say(ALICE, text) == []
    [row] = chat.rows()
    assert row.label == "neutral"


async def test_an_emoji_only_message_is_classified_and_stored(chat):
    await chat.say(ALICE, "😂😂😂")
    await chat.say(BOB, "🙂👍")
    labels = [r.label for r in chat.rows()]
    assert labels == ["amusement", "neutral"]


async def test_retention_deletes_old_rows(chat, clock):
    await chat.say(ALICE, "old news")
    clock.advance(days=100)
    await chat.say(ALICE, "fresh news")
    deleted = await chat.service.purge_expired()
    assert deleted == 1
    assert len(chat.rows()) == 1


async def test_a_communitys_shorter_retention_applies_to_it(chat, store, clock):
    store.save_community_settings(COMMUNITY, CommunitySettings(retention_days=7))
    await chat.say(ALICE, "a week ago")
    clock.advance(days=10)
    await chat.say(ALICE, "today")
    assert await chat.service.purge_expired((COMMUNITY,)) == 1
    assert len(chat.rows()) == 1


async def test_the_distress_check_needs_no_message_history(chat, store, monkeypatch):
    def broken(**_kw):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(store, "messages", broken)
    [flag] = await chat.say(ALICE, "I am going to kill myself")
    assert isinstance(flag, DistressFlag)


async def test_the_core_works_with_another_label_scheme(store, clock):
    from bot.core.options import CoreOptions
    from bot.core.service import EmotionService
    from classifier.scheme import emotion_scheme
    from tests.core.conftest import Harness

    fake = FakeClassifier(version="dair-1", scheme=emotion_scheme())
    service = EmotionService(store=store, classifier=fake, clock=clock, options=CoreOptions())
    try:
        chat = Harness(service, clock)
        assert await chat.say(BOB, "I am so happy") == []
        [prompt] = await chat.say(ALICE, "I am scared and sad")  # fear / sadness: negative
        assert isinstance(prompt, EmpathyPrompt) and prompt.user == ALICE
        assert [r.label for r in chat.rows()] == ["joy", "sadness"]
        assert service.labels == ("sadness", "joy", "love", "anger", "fear", "surprise")
    finally:
        await service.aclose()


async def test_a_swap_while_messages_are_in_flight_loses_none(chat):
    messages = [chat.message(member(f"u{i}"), f"busy message {i}") for i in range(40)]

    async def swap_soon() -> None:
        await asyncio.sleep(0)
        chat.service.swap_classifier(FakeClassifier(version="fake-2"))

    await asyncio.gather(swap_soon(), *(chat.service.on_message(m) for m in messages))
    versions = [r.model_version for r in chat.rows()]
    assert len(versions) == 40 and set(versions) <= {"fake-1", "fake-2"}
    assert chat.service.classifier.version == "fake-2"
