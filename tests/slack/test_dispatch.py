"""End to end through bolt's real dispatch, over HTTP (signed requests) and over Socket Mode:
Slack payload -> adapter -> the real core and SQLite store -> what the bot sent to the fake Slack.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.adapters.slack import strings
from bot.core import strings as msgs
from tests.slack import payloads as p
from tests.slack.conftest import Harness
from tests.slack.fake_slack import BOT_TOKEN, Call


def _mid(ts: str, channel: str = p.CHANNEL) -> str:
    return f"{channel}:{ts}"


async def _stored(harness: Harness, ts: str):
    store = harness.deps.service.store  # type: ignore[attr-defined]
    return await asyncio.to_thread(store.get_message, "slack", _mid(ts))


def _block_texts(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [
            e.get("text", {}).get("text", "")
            if isinstance(e.get("text"), dict)
            else e.get("text", "")
            for e in block.get("elements", [])
        ]
    return "\n".join(out)


async def test_sad_message_is_stored_and_prompted_privately_to_its_author(bot: Harness) -> None:
    ts = p.ts_now()
    ack = await bot.event(
        p.event_callback(p.message_event("I feel so sad and lonely today", ts=ts))
    )
    assert ack.status == 200

    (call,) = await bot.fake.wait_for("chat.postEphemeral")
    assert call.params["user"] == p.MEMBER
    assert call.params["channel"] == p.CHANNEL
    assert msgs.EMPATHY_FOOTER.split("(")[1][:30] in call.params["text"]
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    row = await _stored(bot, ts)
    assert row is not None and row.label == "sadness" and row.user_id == p.MEMBER


async def test_redelivered_event_is_stored_and_answered_once(bot: Harness) -> None:
    ts = p.ts_now()
    payload = p.event_callback(p.message_event("this is hopeless, I'm crying", ts=ts))
    for retry in (0, 1, 2, 3):
        ack = await bot.event(payload, retry=retry)
        assert ack.status == 200
    await bot.fake.wait_for("chat.postEphemeral")
    await bot.fake.settle()

    assert len(bot.fake.calls_to("chat.postEphemeral")) == 1
    classifier = bot.deps.service.classifier  # type: ignore[attr-defined]
    assert classifier.calls == 1
    assert await _stored(bot, ts) is not None


async def test_bot_and_system_messages_are_neither_stored_nor_answered(bot: Harness) -> None:
    bot_ts, join_ts = p.ts_now(), p.ts_now()
    await bot.event(
        p.event_callback(
            p.message_event(
                "I am so sad", ts=bot_ts, subtype="bot_message", bot_id="B0OTHER", user=None
            )
        )
    )
    await bot.event(
        p.event_callback(
            p.message_event("<@U0ANA> has joined the channel", ts=join_ts, subtype="channel_join")
        )
    )
    await bot.fake.settle()

    assert await _stored(bot, bot_ts) is None
    assert await _stored(bot, join_ts) is None
    assert not bot.fake.calls_to("chat.postEphemeral")
    assert bot.deps.service.classifier.calls == 0  # type: ignore[attr-defined]


async def test_edit_reclassifies_without_a_prompt_and_deletion_removes_the_row(
    bot: Harness,
) -> None:
    ts = p.ts_now()
    await bot.event(p.event_callback(p.message_event("what a great day", ts=ts)))
    for _ in range(50):
        if await _stored(bot, ts):
            break
        await asyncio.sleep(0.02)
    assert (await _stored(bot, ts)).label == "joy"

    # A link unfurl arrives as an edit with the same text: nothing to do.
    await bot.event(p.event_callback(p.edited_event(ts, "what a great day", "what a great day")))
    await bot.event(
        p.event_callback(p.edited_event(ts, "what a great day", "I hate this, furious"))
    )
    for _ in range(50):
        if (await _stored(bot, ts)).label == "anger":
            break
        await asyncio.sleep(0.02)
    assert (await _stored(bot, ts)).label == "anger"
    assert bot.deps.service.classifier.calls == 2  # type: ignore[attr-defined]

    await bot.event(p.event_callback(p.deleted_event(ts)))
    for _ in range(50):
        if await _stored(bot, ts) is None:
            break
        await asyncio.sleep(0.02)
    assert await _stored(bot, ts) is None
    assert not bot.fake.calls_to("chat.postEphemeral")


async def test_slash_command_is_acked_at_once_and_answered_ephemerally(bot: Harness) -> None:
    ack = await bot.command("check I am so happy today")
    assert ack.status == 200 and not ack.text

    (hook,) = await bot.fake.wait_for("hooks")
    assert hook.params["response_type"] == "ephemeral"
    assert hook.params["blocks"][0]["type"] == "header"
    assert msgs.CHECK_RESULT_TITLE in hook.params["blocks"][0]["text"]["text"]
    assert "joy" in _block_texts(hook.params["blocks"])


async def test_slash_command_mistake_is_explained_in_the_ack(bot: Harness) -> None:
    ack = await bot.command("me lots")
    assert ack.status == 200
    assert "Usage: `/emotion me [DAYS]`" in ack.text
    unknown = await bot.command("dance")
    assert "I don't know `/emotion dance`" in unknown.text
    assert "/emotion check TEXT" in unknown.text
    await bot.fake.settle()
    assert not bot.fake.calls_to("hooks")


async def test_label_shortcut_opens_a_modal_and_saves_the_label(bot: Harness) -> None:
    ts = p.ts_now()
    await bot.event(p.event_callback(p.message_event("meh, it is a Tuesday", ts=ts)))
    for _ in range(50):
        if await _stored(bot, ts):
            break
        await asyncio.sleep(0.02)

    shortcut = p.message_shortcut(
        "meh, it is a Tuesday", ts=ts, author=p.MEMBER, response_url=bot.fake.hook_url("sc")
    )
    ack = await bot.interactive(shortcut)
    assert ack.status == 200
    (opened,) = await bot.fake.wait_for("views.open")
    assert opened.params["trigger_id"] == shortcut["trigger_id"]
    view = opened.json_param("view")
    assert view["type"] == "modal" and view["callback_id"] == "label_emotion_modal"
    options = view["blocks"][1]["element"]["options"]
    assert {o["value"] for o in options} == set(bot.deps.service.labels)

    ack = await bot.interactive(p.view_submission(view, "disappointment"))
    assert ack.status == 200
    (hook,) = await bot.fake.wait_for("hooks")
    assert hook.path == "/hooks/sc" and hook.params["response_type"] == "ephemeral"
    assert "disappointment" in hook.params["text"]
    store = bot.deps.service.store  # type: ignore[attr-defined]
    (label,) = await asyncio.to_thread(store.labels)
    assert (label.emotion, label.text, label.labelled_by) == (
        "disappointment",
        "meh, it is a Tuesday",
        p.MEMBER,
    )
    assert label.message_id == _mid(ts)


async def test_modal_without_a_choice_is_refused_in_the_ack(bot: Harness) -> None:
    ts = p.ts_now()
    shortcut = p.message_shortcut("hello", ts=ts, response_url=bot.fake.hook_url("sc"))
    await bot.interactive(shortcut)
    (opened,) = await bot.fake.wait_for("views.open")
    ack = await bot.interactive(p.view_submission(opened.json_param("view"), None))
    assert ack.status == 200
    assert ack.body["response_action"] == "errors"
    assert "emotion" in ack.body["errors"]


async def _raise_flag(bot: Harness) -> Call:
    await bot.command("settings mod-channel here", user=p.ADMIN, channel=p.MOD_CHANNEL)
    (saved,) = await bot.fake.wait_for("hooks")
    assert "Saved" in saved.params["text"]
    await bot.event(
        p.event_callback(p.message_event("honestly I want to kill myself", ts=p.ts_now()))
    )
    (posted,) = await bot.fake.wait_for("chat.postMessage")
    return posted


async def test_distress_flag_goes_to_moderators_and_buttons_update_it(bot: Harness) -> None:
    posted = await _raise_flag(bot)
    assert posted.params["channel"] == p.MOD_CHANNEL
    blocks = posted.json_param("blocks")
    assert "acme.slack.com/archives/C0GENERAL/p" in _block_texts(blocks)
    (buttons,) = [b for b in blocks if b["type"] == "actions"]
    ids = [e["action_id"] for e in buttons["elements"]]
    assert [i.rsplit(":", 1)[1] for i in ids] == ["acknowledged", "resolved", "false_alarm"]
    assert not bot.fake.calls_to("chat.postEphemeral")  # never to the member, never public

    ts = posted.response["ts"]
    ack = await bot.interactive(
        p.block_action(ids[0], message_ts=ts, response_url=bot.fake.hook_url("btn"))
    )
    assert ack.status == 200
    (update,) = await bot.fake.wait_for("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (p.MOD_CHANNEL, ts)
    assert msgs.FLAG_STATE_NAMES["acknowledged"] in _block_texts(update.json_param("blocks"))
    hooks = await bot.fake.wait_for("hooks", 2)
    assert hooks[-1].path == "/hooks/btn" and hooks[-1].params["response_type"] == "ephemeral"
    flag_id = int(ids[0].split(":")[1])
    store = bot.deps.service.store  # type: ignore[attr-defined]
    flag = await asyncio.to_thread(store.get_flag, flag_id)
    assert flag.state == "acknowledged" and flag.reviewed_by == p.ADMIN


async def test_flag_button_from_a_non_moderator_changes_nothing(bot: Harness) -> None:
    posted = await _raise_flag(bot)
    action = next(b for b in posted.json_param("blocks") if b["type"] == "actions")
    action_id = action["elements"][1]["action_id"]
    await bot.interactive(
        p.block_action(
            action_id,
            user=p.OTHER,
            message_ts=posted.response["ts"],
            response_url=bot.fake.hook_url("btn"),
        )
    )
    hooks = await bot.fake.wait_for("hooks", 2)
    assert msgs.FLAG_MODERATORS_ONLY in hooks[-1].params["text"]
    await bot.fake.settle()
    assert not bot.fake.calls_to("chat.update")
    flag_id = int(action_id.split(":")[1])
    store = bot.deps.service.store  # type: ignore[attr-defined]
    assert (await asyncio.to_thread(store.get_flag, flag_id)).state == "open"


async def test_export_is_uploaded_into_the_members_dm(bot: Harness) -> None:
    await bot.command("export")
    (complete,) = await bot.fake.wait_for("files.completeUploadExternal")
    (get_url,) = bot.fake.calls_to("files.getUploadURLExternal")
    (opened,) = bot.fake.calls_to("conversations.open")
    assert opened.params["users"] == p.MEMBER
    assert complete.params["channel_id"] == "D0ANA"
    assert get_url.params["filename"].startswith("emotion-bot-export-")
    (upload,) = bot.fake.calls_to("upload")
    assert upload.body  # the JSON export itself went to the upload URL


@pytest.mark.parametrize("text", ["", "help"])
async def test_help_comes_from_the_core(bot: Harness, text: str) -> None:
    await bot.command(text)
    (hook,) = await bot.fake.wait_for("hooks")
    assert "*/emotion* commands" in hook.params["text"]  # Markdown bold became Slack's


async def test_moderator_only_command_checks_the_workspace_role(bot: Harness) -> None:
    await bot.command("summary", user=p.MEMBER)
    (refused,) = await bot.fake.wait_for("hooks")
    assert msgs.MODERATORS_ONLY.format(name="summary") in refused.params["text"]
    await bot.command("summary", user=p.ADMIN)
    hooks = await bot.fake.wait_for("hooks", 2)
    assert strings.INTERNAL_ERROR not in str(hooks[-1].params)
    assert msgs.MODERATORS_ONLY.format(name="summary") not in str(hooks[-1].params)
    users = {c.params["user"] for c in bot.fake.calls_to("users.info")}
    assert users == {p.MEMBER, p.ADMIN}
