"""Gateway messages through discord.py into the core, and what the bot sends back."""

from __future__ import annotations

from bot.adapters.discord import strings
from bot.core import strings as msgs
from tests.discord import payloads as p
from tests.discord.conftest import ALICE, BOB, OTHER_BOT, Harness, idle

SAD = "I am so sad and lonely today"


def dm_sends(bot: Harness) -> list:
    return bot.fake.sent("POST", r"^/channels/8\d+/messages$")


async def test_message_is_classified_stored_and_prompted_by_dm(bot: Harness) -> None:
    data = await bot.say(SAD)

    row = bot.store.get_message("discord", data["id"])
    assert row is not None
    assert (row.label, row.channel_id, row.user_id) == ("sadness", p.GENERAL_ID, ALICE["id"])
    assert row.community_id == p.GUILD_ID
    # empathy_mode "dm" (the default): a DM channel is opened with the author, then the prompt
    opened = bot.fake.sent("POST", r"^/users/@me/channels$")
    assert [r.json["recipient_id"] for r in opened] == [int(ALICE["id"])]
    (sent,) = dm_sends(bot)
    assert sent.json["content"] == msgs.empathy_prompt("Alice", data["id"])
    assert not bot.fake.sent("POST", rf"^/channels/{p.GENERAL_ID}/")  # nothing public


async def test_neutral_message_gets_no_reply(bot: Harness) -> None:
    data = await bot.say("the meeting moved to 3pm")
    assert bot.store.get_message("discord", data["id"]).label == "neutral"
    assert not bot.fake.sent("POST")


async def test_bots_webhooks_system_and_own_messages_are_not_stored(bot: Harness) -> None:
    ids = [
        (await bot.say(SAD, author=OTHER_BOT))["id"],
        (
            await bot.say(
                SAD, author=p.user("970000000000000001", "hook"), webhook_id="970000000000000001"
            )
        )["id"],
        (await bot.say("", message_type=7))["id"],  # "alice joined the server"
        (await bot.say(SAD, author=p.user(p.BOT_ID, "emotion-bot", bot=True)))["id"],
    ]
    assert [bot.store.get_message("discord", i) for i in ids] == [None] * 4
    assert bot.service.stats["skipped_bot"] == 2
    assert bot.service.stats["skipped_system"] == 1
    assert not bot.fake.sent("POST")


async def test_thread_message_belongs_to_parent_and_thread_mode_replies_there(
    bot: Harness,
) -> None:
    bot.set_mod_channel(None, empathy_mode="thread")
    data = await bot.say(SAD, channel_id=p.THREAD_ID)

    row = bot.store.get_message("discord", data["id"])
    assert row.channel_id == p.GENERAL_ID  # the thread's parent channel
    (reply,) = bot.fake.sent("POST", rf"^/channels/{p.THREAD_ID}/messages$")
    assert str(reply.json["message_reference"]["message_id"]) == data["id"]
    assert reply.json["allowed_mentions"]["replied_user"] is True
    assert not dm_sends(bot)


async def test_empathy_mode_off_sends_nothing(bot: Harness) -> None:
    bot.set_mod_channel(None, empathy_mode="off")
    data = await bot.say(SAD)
    assert bot.store.get_message("discord", data["id"]) is not None
    assert not bot.fake.sent("POST")


async def test_closed_dms_are_logged_not_fatal(bot: Harness) -> None:
    bot.fake.fail(
        "POST",
        r"^/channels/8\d+/messages$",
        status=403,
        body={"message": "Cannot send messages to this user", "code": 50007},
    )
    first = await bot.say(SAD)
    second = await bot.say("so happy now", author=BOB)
    assert bot.store.get_message("discord", first["id"]) is not None
    assert bot.store.get_message("discord", second["id"]).label == "joy"
    assert [r.status for r in dm_sends(bot)] == [403]  # refused, and no public fallback
    assert not bot.fake.sent("POST", rf"^/channels/{p.GENERAL_ID}/")


async def test_edit_reclassifies_the_same_row_without_a_new_prompt(bot: Harness) -> None:
    data = await bot.say("so happy today")
    assert bot.store.get_message("discord", data["id"]).label == "joy"

    # A link preview arriving (no edited_timestamp) is not an edit.
    unfurl = {**data, "embeds": [{"type": "link", "url": "https://example.com"}]}
    await bot.fake.dispatch("MESSAGE_UPDATE", unfurl)
    await idle(bot.client)
    assert bot.service.stats["classified"] == 1

    edited = p.message(content=SAD, author=ALICE, message_id=data["id"], edited=True)
    await bot.fake.dispatch("MESSAGE_UPDATE", edited)
    await idle(bot.client)
    assert bot.service.stats["classified"] == 2
    assert bot.store.get_message("discord", data["id"]).label == "sadness"
    assert not bot.fake.sent("POST")  # an edit never triggers an empathy prompt


async def test_deletions_delete_the_rows(bot: Harness) -> None:
    one, two, three = [await bot.say(f"happy {i}", author=BOB) for i in range(3)]
    await bot.fake.dispatch(
        "MESSAGE_DELETE", {"id": one["id"], "channel_id": p.GENERAL_ID, "guild_id": p.GUILD_ID}
    )
    await bot.fake.dispatch(
        "MESSAGE_DELETE_BULK",
        {"ids": [two["id"]], "channel_id": p.GENERAL_ID, "guild_id": p.GUILD_ID},
    )
    await idle(bot.client)
    assert bot.store.get_message("discord", one["id"]) is None
    assert bot.store.get_message("discord", two["id"]) is None
    assert bot.store.get_message("discord", three["id"]) is not None


async def test_distress_flag_goes_to_the_mod_channel_with_link_scores_and_buttons(
    bot: Harness,
) -> None:
    bot.set_mod_channel()
    data = await bot.say("I want to kill myself")

    (flag,) = bot.store.flags(
        platform="discord", community_id=p.GUILD_ID, since=bot.service.clock().replace(year=2000)
    )
    (post,) = bot.fake.sent("POST", rf"^/channels/{p.MODS_ID}/messages$")
    (embed,) = post.json["embeds"]
    jump = f"https://discord.com/channels/{p.GUILD_ID}/{p.GENERAL_ID}/{data['id']}"
    assert embed["url"] == jump
    assert msgs.FLAG_TITLE in embed["title"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields[msgs.FLAG_FIELD_SCORE].startswith(f"{flag.score:.2f}")
    assert fields[msgs.FLAG_FIELD_MEMBER].startswith("Alice")
    buttons = [c for row in post.json["components"] for c in row["components"]]
    assert [b.get("custom_id") for b in buttons] == [
        f"emo:flag:{flag.id}:acknowledged",
        f"emo:flag:{flag.id}:resolved",
        f"emo:flag:{flag.id}:false_alarm",
        None,
    ]
    assert buttons[-1]["url"] == jump and buttons[-1]["style"] == 5  # the link button
    # never public, and no empathy prompt on top of a flag
    assert not bot.fake.sent("POST", rf"^/channels/{p.GENERAL_ID}/")
    assert not dm_sends(bot)


async def test_without_mod_channel_the_owner_is_told_once(bot: Harness) -> None:
    await bot.say("I want to kill myself")
    await bot.say("I want to end my life", author=BOB)

    assert (
        len(
            bot.store.flags(
                platform="discord",
                community_id=p.GUILD_ID,
                since=bot.service.clock().replace(year=2000),
            )
        )
        == 2
    )
    opened = bot.fake.sent("POST", r"^/users/@me/channels$")
    assert [r.json["recipient_id"] for r in opened] == [int(p.OWNER_ID)]
    (notice,) = dm_sends(bot)
    assert notice.json["content"] == strings.OWNER_NO_MOD_CHANNEL.format(guild="Test Guild")
    assert "I want to" not in notice.json["content"]  # the owner DM carries no message text
