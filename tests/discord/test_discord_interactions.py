"""Slash commands, the "Label emotion" context menu and button presses, through discord.py's
interaction parsing into the adapter; assertions on the HTTP calls the bot made."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from bot.adapters.discord import strings
from bot.core import strings as msgs
from classifier.prediction import Prediction
from tests.discord import payloads as p
from tests.discord.conftest import ALICE, BOB, COMMUNITY, MOD, Harness
from tests.discord.fake_discord import Recorded
from tests.fakes import FakeClassifier

EPHEMERAL = 64


def callback(bot: Harness, payload: dict[str, Any]) -> Recorded:
    (cb,) = [r for r in bot.answers(payload) if r.path.endswith("/callback")]
    return cb


def latency(bot: Harness, payload: dict[str, Any]) -> float:
    return callback(bot, payload).at - bot.fake.gateway.dispatched_at[payload["id"]]


async def test_check_is_answered_at_once_ephemeral_with_an_embed(bot: Harness) -> None:
    payload = await bot.slash("check", {"text": "I am so happy"})

    cb = callback(bot, payload)
    assert cb.json["type"] == 4  # CHANNEL_MESSAGE_WITH_SOURCE: answered directly
    assert cb.flags == EPHEMERAL
    (embed,) = cb.json["data"]["embeds"]
    assert embed["title"] == msgs.CHECK_RESULT_TITLE
    assert embed["description"].startswith("joy")
    assert latency(bot, payload) < 1.5  # well inside Discord's 3 s
    assert bot.store.get_message("discord", payload["id"]) is None  # check stores nothing


class SlowClassifier(FakeClassifier):
    """The fake classifier, taking ``delay`` seconds per batch (in the core's worker thread)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        time.sleep(self.delay)
        return super().predict(texts)


async def test_a_slow_core_is_deferred_then_followed_up(bot: Harness) -> None:
    bot.service.swap_classifier(SlowClassifier(0.5))
    bot.client.ack_deadline = 0.1
    payload = await bot.slash("check", {"text": "I am so happy"})

    cb, followup = bot.answers(payload)
    assert cb.path.endswith("/callback")
    assert cb.json["type"] == 5 and cb.flags == EPHEMERAL  # deferred, "thinking", ephemeral
    assert latency(bot, payload) < 0.4  # sent while the model was still working
    assert followup.method == "POST" and followup.path == f"/webhooks/{p.APP_ID}/{payload['token']}"
    assert followup.at - bot.fake.gateway.dispatched_at[payload["id"]] >= 0.5  # after the model
    assert followup.json["embeds"][0]["title"] == msgs.CHECK_RESULT_TITLE
    assert followup.flags == EPHEMERAL


async def test_moderator_only_subcommands_check_the_members_permissions(bot: Harness) -> None:
    refused = await bot.slash("settings", {"setting": "mod-channel"}, user=ALICE)
    cb = callback(bot, refused)
    assert cb.json["data"]["content"] == msgs.MODERATORS_ONLY.format(name="settings")
    assert cb.flags == EPHEMERAL
    assert bot.store.community_settings(COMMUNITY).mod_channel_id is None

    done = await bot.slash(
        "settings", {"setting": "mod-channel"}, user=MOD, moderator=True, channel_id=p.MODS_ID
    )
    assert callback(bot, done).json["data"]["content"].startswith("Saved: mod-channel")
    assert bot.store.community_settings(COMMUNITY).mod_channel_id == p.MODS_ID


async def test_settings_typed_options_reach_the_core(bot: Harness) -> None:
    await bot.slash(
        "settings", {"setting": "empathy-mode", "value": "thread"}, user=MOD, moderator=True
    )
    await bot.slash(
        "settings", {"setting": "crisis", "value": "Call 112 in Europe"}, user=MOD, moderator=True
    )
    settings = bot.store.community_settings(COMMUNITY)
    assert settings.empathy_mode == "thread"
    assert settings.crisis_resources == "Call 112 in Europe"


async def test_me_with_days_and_forget_with_confirmation(bot: Harness) -> None:
    await bot.say("so happy today")
    me = await bot.slash("me", {"days": 3})
    (embed,) = callback(bot, me).json["data"]["embeds"]
    assert embed["title"] == msgs.ME_TITLE.format(days=3)

    ask = await bot.slash("forget")
    assert callback(bot, ask).json["data"]["content"] == msgs.FORGET_CONFIRM
    assert bot.service.stats["classified"] == 1

    gone = await bot.slash("forget", {"confirm": True})
    assert callback(bot, gone).json["data"]["content"].startswith("Done: I deleted")
    assert (
        bot.store.messages(
            platform="discord",
            community_id=p.GUILD_ID,
            user_id=ALICE["id"],
            since=bot.service.clock().replace(year=2000),
        )
        == []
    )


async def test_export_is_an_ephemeral_file(bot: Harness) -> None:
    await bot.say("so happy today")
    payload = await bot.slash("export")
    cb = callback(bot, payload)
    assert cb.flags == EPHEMERAL
    (name,) = cb.files
    assert name == f"emotion-bot-export-{ALICE['id']}.json"
    exported = json.loads(cb.files[name])
    assert exported  # the member's own data, as JSON
    assert cb.json["data"]["content"] == msgs.EXPORT_TEXT


async def test_emotion_autocomplete_offers_the_models_labels(bot: Harness) -> None:
    data = p.slash("label", {"message": "1", "emotion": "sa"}, focused="emotion")
    payload = await bot.interact(4, data)
    cb = callback(bot, payload)
    assert cb.json["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    # prefix matches first, then the other labels containing the text
    assert [c["value"] for c in cb.json["data"]["choices"]] == [
        "sadness",
        "disappointment",
        "disapproval",
    ]


async def test_label_context_menu_then_picker_records_the_label(bot: Harness) -> None:
    target = await bot.say("meh, whatever")
    menu = await bot.interact(2, p.context_menu(strings.CONTEXT_MENU, target))

    cb = callback(bot, menu)
    assert cb.json["type"] == 4 and cb.flags == EPHEMERAL
    selects = [c for row in cb.json["data"]["components"] for c in row["components"]]
    assert [s["custom_id"] for s in selects] == [
        f"emo-label:{p.GENERAL_ID}:{target['id']}:0",
        f"emo-label:{p.GENERAL_ID}:{target['id']}:1",
    ]
    offered = [o["value"] for s in selects for o in s["options"]]
    assert offered == list(bot.service.labels) and len(selects[0]["options"]) == 25

    # The member picks "annoyance" in the ephemeral picker message.
    picker = p.message(
        content=cb.json["data"]["content"],
        author=p.user(p.BOT_ID, "bot", bot=True),
        components=cb.json["data"]["components"],
        flags=EPHEMERAL,
    )
    pick = await bot.interact(
        3,
        p.component(selects[0]["custom_id"], component_type=3, values=["annoyance"]),
        message_data=picker,
    )
    pick_cb, edit = bot.answers(pick)
    assert pick_cb.json["type"] == 6  # DEFERRED_UPDATE_MESSAGE
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    assert edit.json["content"] == msgs.LABEL_SAVED.format(
        emotion="annoyance", was=msgs.LABEL_WAS.format(label="neutral")
    )
    assert edit.json["components"] == []  # the picker is replaced by the confirmation
    (label,) = bot.store.labels()
    assert (label.emotion, label.text, label.message_id) == (
        "annoyance",
        "meh, whatever",
        target["id"],
    )


async def test_slash_label_by_message_link(bot: Harness) -> None:
    target = await bot.say("meh, whatever")
    link = f"https://discord.com/channels/{p.GUILD_ID}/{p.GENERAL_ID}/{target['id']}"
    payload = await bot.slash("label", {"message": link, "emotion": "Disappointment"})
    assert callback(bot, payload).json["data"]["content"].startswith("Thanks! Saved")
    assert [lab.emotion for lab in bot.store.labels()] == ["disappointment"]

    bad = await bot.slash("label", {"message": "not a link", "emotion": "joy"})
    assert callback(bot, bad).json["data"]["content"] == strings.BAD_MESSAGE_REF


async def _flag(bot: Harness) -> tuple[int, dict[str, Any]]:
    bot.set_mod_channel()
    await bot.say("I want to kill myself", author=BOB)
    (post,) = bot.fake.sent("POST", rf"^/channels/{p.MODS_ID}/messages$")
    (flag,) = bot.store.flags(
        platform="discord", community_id=p.GUILD_ID, since=bot.service.clock().replace(year=2000)
    )
    posted = p.message(
        content="",
        author=p.user(p.BOT_ID, "bot", bot=True),
        channel_id=p.MODS_ID,
        embeds=post.json["embeds"],
        components=post.json["components"],
    )
    return flag.id, posted


async def test_flag_buttons_update_the_flag_and_edit_the_message(bot: Harness) -> None:
    flag_id, posted = await _flag(bot)
    press = await bot.interact(
        3,
        p.component(f"emo:flag:{flag_id}:resolved"),
        user=MOD,
        moderator=True,
        channel_id=p.MODS_ID,
        message_data=posted,
    )

    cb, edit, note = bot.answers(press)
    assert cb.json["type"] == 6
    assert latency(bot, press) < 1.0
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    (embed,) = edit.json["embeds"]
    state = {f["name"]: f["value"] for f in embed["fields"]}[msgs.FLAG_FIELD_STATE]
    assert state.startswith(f"Resolved by Mia ({MOD['id']})")
    assert edit.json["components"] == []  # a resolved flag has no buttons left
    assert note.json["content"] == msgs.FLAG_REVIEWED.format(flag_id=flag_id, state="resolved")
    assert note.flags == EPHEMERAL
    flag = bot.store.get_flag(flag_id)
    assert (flag.state, flag.reviewed_by) == ("resolved", MOD["id"])


async def test_flag_buttons_refuse_non_moderators(bot: Harness) -> None:
    flag_id, posted = await _flag(bot)
    press = await bot.interact(
        3,
        p.component(f"emo:flag:{flag_id}:false_alarm"),
        user=ALICE,
        channel_id=p.MODS_ID,
        message_data=posted,
    )
    cb, note = bot.answers(press)
    assert cb.json["type"] == 6
    assert note.json["content"] == msgs.FLAG_MODERATORS_ONLY
    assert note.flags == EPHEMERAL
    assert bot.store.get_flag(flag_id).state == "open"
