"""Slack payloads -> the core's types (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.adapters.slack.translate import (
    MessageDeleted,
    normalize_arg,
    parse_message_ref,
    permalink,
    plain_text,
    split_message_id,
    translate_message,
)
from bot.core.events import ChatMessage
from tests.slack import payloads as p
from tests.slack.conftest import WORKSPACE


def chat(event: dict) -> ChatMessage:
    msg = translate_message(event, WORKSPACE)
    assert isinstance(msg, ChatMessage)
    return msg


def test_a_channel_message_becomes_a_chat_message() -> None:
    event = p.message_event("hi <@U0BEN|ben> &amp; all", ts="1712345678.000100")
    msg = translate_message(event, WORKSPACE)
    assert isinstance(msg, ChatMessage)
    assert msg.id == "C0GENERAL:1712345678.000100"
    assert msg.text == "hi @ben & all"
    assert msg.author.id == p.MEMBER and not msg.author.is_bot
    assert msg.channel.community.id == WORKSPACE.team_id and not msg.channel.is_direct
    assert msg.sent_at == datetime.fromtimestamp(1712345678.0001, tz=UTC)
    assert msg.permalink == "https://acme.slack.com/archives/C0GENERAL/p1712345678000100"
    assert not (msg.is_edit or msg.is_system) and msg.thread_id is None


def test_thread_replies_and_broadcasts_keep_their_thread() -> None:
    reply = chat(p.message_event("x", ts="2.000002", thread_ts="1.000001"))
    broadcast = chat(
        p.message_event("x", ts="3.000003", thread_ts="1.000001", subtype="thread_broadcast")
    )
    parent = chat(p.message_event("x", ts="1.000001", thread_ts="1.000001"))
    assert reply.thread_id == broadcast.thread_id == "1.000001"
    assert not broadcast.is_system
    assert parent.thread_id is None
    assert (reply.permalink or "").endswith("p2000002?thread_ts=1.000001&cid=C0GENERAL")


@pytest.mark.parametrize(
    "subtype", ["channel_join", "channel_leave", "channel_topic", "pinned_item"]
)
def test_system_subtypes_are_marked_system(subtype: str) -> None:
    msg = chat(p.message_event("joined", subtype=subtype))
    assert isinstance(msg, ChatMessage) and msg.is_system


def test_bot_messages_are_marked_bot() -> None:
    legacy = chat(p.message_event("beep", subtype="bot_message", bot_id="B1", user=None))
    modern = chat(p.message_event("beep", bot_id="B1"))
    assert legacy.author.is_bot and legacy.author.id == "B1" and not legacy.is_system
    assert modern.author.is_bot


def test_edits_reclassify_unless_the_text_is_unchanged() -> None:
    edit = translate_message(p.edited_event("5.000005", "old", "new text"), WORKSPACE)
    assert isinstance(edit, ChatMessage) and edit.is_edit
    assert (edit.id, edit.text) == ("C0GENERAL:5.000005", "new text")
    assert translate_message(p.edited_event("5.000005", "same", "same"), WORKSPACE) is None


def test_deletions_and_tombstones_delete() -> None:
    assert translate_message(p.deleted_event("5.000005"), WORKSPACE) == MessageDeleted(
        "C0GENERAL:5.000005"
    )
    tomb = p.edited_event("6.000006", "parent", "This message was deleted.")
    tomb["message"]["subtype"] = "tombstone"
    assert translate_message(tomb, WORKSPACE) == MessageDeleted("C0GENERAL:6.000006")


def test_direct_messages_are_direct() -> None:
    msg = chat(p.message_event("hey", channel="D0DM", channel_type="im"))
    assert msg.channel.is_direct


def test_payloads_without_channel_or_ts_are_ignored() -> None:
    assert translate_message({"type": "message", "text": "x"}, WORKSPACE) is None
    assert translate_message({"type": "message", "channel": "C1", "text": "x"}, WORKSPACE) is None


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("<!here> look", "@here look"),
        ("<#C1|general> rocks", "#general rocks"),
        ("see <https://x.io|the docs>", "see the docs"),
        ("see <https://x.io>", "see https://x.io"),
        ("<!subteam^S1|@team> hi", "@team hi"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
    ],
)
def test_plain_text(raw: str, plain: str) -> None:
    assert plain_text(raw) == plain


def test_message_references() -> None:
    link = "https://acme.slack.com/archives/C0GENERAL/p1712345678000100?thread_ts=1.0&cid=C0GENERAL"
    assert parse_message_ref(link) == "C0GENERAL:1712345678.000100"
    assert parse_message_ref(f"<{link}>") == "C0GENERAL:1712345678.000100"
    assert parse_message_ref("C0GENERAL:1712345678.000100") == "C0GENERAL:1712345678.000100"
    assert parse_message_ref("yesterday") is None
    assert split_message_id("C1:1.000002") == ("C1", "1.000002")
    assert split_message_id("1234") is None
    assert permalink("", "C1", "1.0") is None


def test_normalize_arg_turns_mentions_into_ids() -> None:
    assert normalize_arg("<#C0MODS|mods>") == "C0MODS"
    assert normalize_arg("<@U0ANA|ana>") == "U0ANA"
    assert normalize_arg("<@U0ANA>") == "U0ANA"
    assert normalize_arg("<https://x.io|x>") == "https://x.io"
    assert normalize_arg("0.6") == "0.6"
