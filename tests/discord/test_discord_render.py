"""Pure parts of the adapter: cards -> embeds, long texts, message links, option mapping."""

from __future__ import annotations

import discord
import pytest

from bot.adapters.discord.actions import render_reply
from bot.adapters.discord.commands import emotion_choices, settings_args
from bot.adapters.discord.render import card_embed, card_view, emotion_picker, split_text
from bot.adapters.discord.translate import is_moderator, parse_message_ref
from bot.core.events import Card, ChannelRef, CommunityRef, Reply, UserRef

CHANNEL = ChannelRef(CommunityRef("discord", "1"), "2")


def test_card_embed_limits_colour_and_chart() -> None:
    card = Card(
        title="T" * 300,
        body="b" * 5000,
        fields=tuple((f"f{i}", "v") for i in range(30)),
        color="danger",
        image_png=b"png",
        image_name="chart.png",
        footer="foot",
    )
    embed, files = card_embed(card)
    assert len(embed.title or "") == 256 and (embed.title or "").endswith("…")
    assert len(embed.description or "") == 4096
    assert len(embed.fields) == 25
    assert embed.colour == discord.Colour.red()
    assert embed.image.url == "attachment://chart.png"
    assert [f.filename for f in files] == ["chart.png"]
    assert embed.footer.text == "foot"


def test_card_without_buttons_has_no_view_and_buttons_keep_their_action_ids() -> None:
    assert card_view(Card(title="x", link="https://discord.com/channels/1/2/3")) is None
    view = card_view(Card(title="x", buttons=(("flag:7:resolved", "Resolved"),)))
    assert view is not None
    (button,) = view.children
    assert isinstance(button, discord.ui.DynamicItem)
    assert button.item.custom_id == "emo:flag:7:resolved"
    assert button.item.style is discord.ButtonStyle.success


def test_emotion_picker_splits_labels_into_menus_of_25() -> None:
    labels = tuple(f"label{i:02}" for i in range(28))
    view = emotion_picker("10", "20", labels)
    menus = [child.item for child in view.children]  # type: ignore[attr-defined]
    assert [m.custom_id for m in menus] == ["emo-label:10:20:0", "emo-label:10:20:1"]
    assert [len(m.options) for m in menus] == [25, 3]


def test_long_texts_are_split_at_line_breaks() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(50))
    chunks = split_text(text)
    assert all(len(c) <= 2000 for c in chunks) and len(chunks) == 3
    assert "\n".join(chunks) == text
    assert split_text("") == [""]
    reply = Reply(channel=CHANNEL, text="y" * 4500, card=Card(title="c"))
    parts = render_reply(reply)
    assert [p.embed is not None for p in parts] == [False, False, True]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("https://discord.com/channels/111/222/333333333333333333", ("222", "333333333333333333")),
        ("<https://ptb.discord.com/channels/111/222/333>", ("222", "333")),
        ("https://discordapp.com/channels/@me/222/333", ("222", "333")),
        (" 333333333333333333 ", (None, "333333333333333333")),
        ("hello", None),
        ("12", None),
    ],
)
def test_message_references(ref: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_message_ref(ref) == expected


def test_moderators_manage_the_server() -> None:
    assert is_moderator(discord.Permissions(manage_guild=True))
    assert is_moderator(discord.Permissions(administrator=True))
    assert not is_moderator(discord.Permissions(manage_messages=True, kick_members=True))
    assert not is_moderator(None)
    assert UserRef("discord", "1").is_moderator is False


def test_emotion_choices_prefix_first_and_at_most_25() -> None:
    labels = ("sadness", "disappointment", "joy", *(f"x{i}" for i in range(40)))
    assert [c.value for c in emotion_choices(labels, "SA")] == ["sadness", "disappointment"]
    assert len(emotion_choices(labels, "")) == 25


@pytest.mark.parametrize(
    ("setting", "value", "channel_id", "args"),
    [
        (None, None, None, ()),
        ("mod-channel", None, None, ("mod-channel", "here")),
        ("mod-channel", None, 42, ("mod-channel", "42")),
        ("mod-channel", "none", None, ("mod-channel", "none")),
        ("empathy", "off channel", None, ("empathy", "off", "channel")),
        ("crisis", "Call 112 now", None, ("crisis", "Call 112 now")),
    ],
)
def test_settings_options_become_the_cores_words(
    setting: str | None, value: str | None, channel_id: int | None, args: tuple[str, ...]
) -> None:
    channel = discord.Object(id=channel_id) if channel_id else None
    assert settings_args(setting, value, channel)[0] == args  # type: ignore[arg-type]
