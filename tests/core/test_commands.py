"""The /emotion commands through the real service and store."""

from __future__ import annotations

import json

from bot.core.events import DistressFlag, FileReply, Reply, UpdateFlagMessage
from bot.core.records import CommunitySettings
from tests.core.conftest import COMMUNITY, EPOCH, GENERAL, RANDOM, member

ALICE, BOB, CAROL = member("alice"), member("bob"), member("carol")
MOD = member("mia", mod=True)


async def test_every_reply_is_private_to_the_asker(chat):
    await chat.say(ALICE, "hello")
    for name in ("check", "me", "channel", "help", "why", "forget", "summary", "settings"):
        for action in await chat.cmd(ALICE, name, "hi"):
            assert isinstance(action, Reply) and action.private_to == ALICE, name


async def test_check_classifies_without_storing(chat):
    [reply] = await chat.cmd(ALICE, "check", "I", "am", "furious")
    assert reply.card is not None and reply.card.body.startswith("anger")
    assert "Nothing was stored" in reply.card.footer
    assert chat.rows() == []
    [usage] = await chat.cmd(ALICE, "check")
    assert "Usage" in usage.text


async def test_me_shows_only_my_messages(chat):
    await chat.say(ALICE, "I am so happy")
    await chat.say(ALICE, "I am so sad")
    await chat.say(BOB, "I am furious")
    [reply] = await chat.cmd(ALICE, "me", "7")
    assert reply.card is not None and "7 days" in reply.card.title
    fields = dict(reply.card.fields)
    assert "Positive" in fields["Mood mix"] and "50%" in fields["Mood mix"]
    assert "anger" not in fields["Top emotions"]
    [bad] = await chat.cmd(ALICE, "me", "lots")
    assert "number of days" in bad.text
    [empty] = await chat.cmd(CAROL, "me")
    assert "nothing stored" in empty.text


async def test_channel_mood_is_hidden_below_the_minimum_group(chat, store):
    await chat.say(ALICE, "I am so happy")
    await chat.say(BOB, "I am so sad")
    [hidden] = await chat.cmd(ALICE, "channel")
    assert hidden.card is None and "Too few people" in hidden.text and "minimum 3" in hidden.text
    await chat.say(CAROL, "thanks all")
    [shown] = await chat.cmd(ALICE, "channel")
    assert shown.card is not None and "#general" in shown.card.title
    assert "3 members" in shown.card.footer
    store.save_community_settings(COMMUNITY, CommunitySettings(min_group_size=4))
    [hidden_again] = await chat.cmd(ALICE, "channel")
    assert "minimum 4" in hidden_again.text
    [other] = await chat.cmd(ALICE, "channel", channel=RANDOM)
    assert "Nothing classified" in other.text


async def test_label_keeps_the_text_only_in_the_label(chat, store):
    await chat.say(ALICE, "I am so happy it rained", id="x1")
    [reply] = await chat.cmd(ALICE, "label", "x1", "Sadness")
    assert "Saved 'sadness'" in reply.text and "had guessed 'joy'" in reply.text
    [label] = store.labels()
    assert (label.text, label.emotion, label.labelled_by, label.model_label) == (
        "I am so happy it rained",
        "sadness",
        "alice",
        "joy",
    )
    # context-menu form: the adapter gives the target message and the emotion as an option
    [ok] = await chat.cmd(MOD, "label", target="x1", emotion="joy")
    assert "Saved 'joy'" in ok.text


async def test_label_refuses_others_messages_unknown_emotions_and_unknown_messages(chat, store):
    await chat.say(ALICE, "I am so happy", id="x1")
    [not_yours] = await chat.cmd(BOB, "label", "x1", "joy")
    assert "your own messages" in not_yours.text
    [unknown] = await chat.cmd(ALICE, "label", "x1", "hangry")
    assert "don't know the emotion 'hangry'" in unknown.text
    [gone] = await chat.cmd(ALICE, "label", "nope", "joy")
    assert "no longer have the text" in gone.text
    [usage] = await chat.cmd(ALICE, "label")
    assert "Usage" in usage.text and "admiration" in usage.text
    assert store.labels() == []


async def test_forget_needs_confirmation_and_deletes_every_row_of_the_member(chat, store):
    await chat.say(ALICE, "I am so happy", id="a1")
    await chat.say(ALICE, "I want to kill myself", id="a2")  # a flag about alice
    await chat.cmd(ALICE, "label", "a1", "joy")
    await chat.say(BOB, "I am fine", id="b1")
    [ask] = await chat.cmd(ALICE, "forget")
    assert "forget confirm" in ask.text
    assert len(chat.rows(user="alice")) == 2
    [done] = await chat.cmd(ALICE, "forget", "confirm")
    assert "deleted" in done.text
    assert chat.rows(user="alice") == []
    assert store.labels() == []
    assert store.flags(platform="test", community_id=COMMUNITY.id, since=EPOCH) == []
    assert chat.service.texts.get("test", "a1", chat.clock()) is None
    assert [r.message_id for r in chat.rows()] == ["b1"]  # others untouched
    [via_option] = await chat.cmd(BOB, "forget", confirm="yes")
    assert "deleted" in via_option.text and chat.rows() == []


async def test_export_is_a_json_file_of_my_data(chat):
    await chat.say(ALICE, "I am so happy", id="a1")
    await chat.say(BOB, "I am so sad", id="b1")
    [file] = await chat.cmd(ALICE, "export")
    assert isinstance(file, FileReply) and file.user == ALICE
    assert file.filename == "emotion-bot-export-alice.json"
    data = json.loads(file.content)
    assert [m["message_id"] for m in data["messages"]] == ["a1"]


async def test_moderator_commands_are_refused_to_members(chat):
    for name in ("summary", "settings"):
        [reply] = await chat.cmd(ALICE, name)
        assert "Only moderators" in reply.text
    [reply] = await chat.cmd(ALICE, "settings", "threshold", "0.1")
    assert "Only moderators" in reply.text
    assert chat.service.store.channel_settings(GENERAL).empathy_threshold is None


async def test_settings_change_what_the_bot_does(chat, store):
    [shown] = await chat.cmd(MOD, "settings")
    assert shown.card is not None and ("mod-channel", "not set") in shown.card.fields
    [saved] = await chat.cmd(MOD, "settings", "mod-channel", "here")
    assert "mod-channel = general" in saved.text
    [flag] = await chat.say(ALICE, "I want to kill myself")
    assert isinstance(flag, DistressFlag) and flag.mod_channel_id == "general"
    await chat.cmd(MOD, "settings", "threshold", "0.95")
    assert await chat.say(BOB, "I am so sad") == []
    [bad] = await chat.cmd(MOD, "settings", "threshold", "2")
    assert "between 0.0 and 1.0" in bad.text
    await chat.cmd(MOD, "settings", "channel", "off")
    await chat.say(CAROL, "hello")
    assert len(chat.rows(user="carol")) == 0
    await chat.cmd(MOD, "settings", "empathy-mode", "thread")
    await chat.cmd(MOD, "settings", "crisis", "Call", "the", "campus", "line", "555-0100")
    await chat.cmd(MOD, "settings", "retention", "30")
    await chat.cmd(MOD, "settings", "min-group", "5")
    await chat.cmd(MOD, "settings", "timezone", "Europe/Paris")
    await chat.cmd(MOD, "settings", "moderator", "add", "bob")
    settings = store.community_settings(COMMUNITY)
    assert (settings.empathy_mode, settings.crisis_resources, settings.retention_days) == (
        "thread",
        "Call the campus line 555-0100",
        30,
    )
    assert (settings.min_group_size, settings.timezone, settings.moderators) == (
        5,
        "Europe/Paris",
        ("bob",),
    )
    [tz] = await chat.cmd(MOD, "settings", "timezone", "Mars/Olympus")
    assert "unknown time zone" in tz.text
    [usage] = await chat.cmd(MOD, "settings", "colour", "blue")
    assert "Usage" in usage.text
    # bob is now a moderator through the settings list
    [ok] = await chat.cmd(BOB, "settings", "empathy", "off", "channel")
    assert "empathy in this channel = off" in ok.text


async def test_flag_review_updates_the_card_and_the_store(chat, store):
    [flag] = await chat.say(ALICE, "I want to kill myself")
    assert isinstance(flag, DistressFlag)
    [refused] = await chat.service.on_flag_review(flag.flag_id, "resolved", BOB)
    assert isinstance(refused, Reply) and "Only moderators" in refused.text
    update, note = await chat.service.on_flag_review(flag.flag_id, "acknowledged", MOD)
    assert isinstance(update, UpdateFlagMessage) and update.flag_id == flag.flag_id
    assert update.card.buttons  # still open for a final decision
    assert "Acknowledged by Mia (mia)" in dict(update.card.fields)["State"]
    assert isinstance(note, Reply) and note.private_to == MOD
    update, _ = await chat.service.on_flag_review(flag.flag_id, "false_alarm", MOD)
    assert update.card.buttons == () and update.card.color == "good"
    assert dict(update.card.fields)["Message"] == "I want to kill myself"
    stored = store.get_flag(flag.flag_id)
    assert stored is not None and (stored.state, stored.reviewed_by) == ("false_alarm", "mia")
    [bad] = await chat.service.on_flag_review(flag.flag_id, "deleted", MOD)
    assert "Unknown review state" in bad.text
    [unknown] = await chat.service.on_flag_review(999, "resolved", MOD)
    assert isinstance(unknown, Reply) and "#999" in unknown.text


async def test_summary_on_demand(chat, clock):
    for who in (ALICE, BOB, CAROL):
        await chat.say(who, "I am so happy")
    await chat.say(ALICE, "I am so sad")
    clock.advance(hours=1)
    [reply] = await chat.cmd(MOD, "summary")
    card = reply.card
    assert card is not None and card.title.startswith("Mood summary")
    fields = dict(card.fields)
    assert "Positive: 75%" in fields["Mood mix"] and "Negative: 25%" in fields["Mood mix"]
    assert "4 messages" in fields["Participation"] and "3 members" in fields["Participation"]
