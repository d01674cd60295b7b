"""The core's cards -> Discord embeds, files and components.

Buttons are :class:`discord.ui.DynamicItem` s: their state lives in the ``custom_id``
(``emo:<action id>``), so a button still works after the bot restarts and no view is kept in
memory per message. Pressing one calls the client's ``on_card_action``; choosing an emotion in
the "Label emotion" picker calls ``on_emotion_picked``.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord

from bot.adapters.discord import strings
from bot.core.events import Card

logger = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
SELECT_LIMIT = 25  # options per select menu
_COLOURS = {
    "neutral": discord.Colour.blurple(),
    "good": discord.Colour.green(),
    "warning": discord.Colour.orange(),
    "danger": discord.Colour.red(),
}
_BUTTON_STYLES = {
    "acknowledged": discord.ButtonStyle.primary,
    "resolved": discord.ButtonStyle.success,
    "false_alarm": discord.ButtonStyle.secondary,
}


class ComponentHandler(Protocol):
    """What the components call back into (the client implements it)."""

    async def on_card_action(self, interaction: discord.Interaction, action: str) -> None: ...

    async def on_emotion_picked(
        self, interaction: discord.Interaction, channel_id: str, message_id: str, emotion: str
    ) -> None: ...


@dataclass
class Rendered:
    """Keyword arguments for ``send`` / ``edit``: content, embed, files, view."""

    content: str | None = None
    embed: discord.Embed | None = None
    files: list[discord.File] | None = None
    view: discord.ui.View | None = None

    def send_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.content:
            kwargs["content"] = self.content
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.files:
            kwargs["files"] = self.files
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a long text into message-sized chunks, preferring line breaks."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def card_embed(card: Card) -> tuple[discord.Embed, list[discord.File]]:
    """An embed for the card, plus the chart as an attached file when it has one."""
    embed = discord.Embed(
        title=_cut(card.title, 256) or None,
        description=_cut(card.body, 4096) or None,
        colour=_COLOURS.get(card.color, _COLOURS["neutral"]),
        url=card.link or None,
    )
    for name, value in card.fields[:25]:
        embed.add_field(
            name=_cut(name, 256) or "\u200b",
            value=_cut(value, 1024) or "\u200b",
            inline=len(value) <= 40,
        )
    if card.footer:
        embed.set_footer(text=_cut(card.footer, 2048))
    files: list[discord.File] = []
    if card.image_png:
        filename = _safe_filename(card.image_name)
        files.append(discord.File(io.BytesIO(card.image_png), filename=filename))
        embed.set_image(url=f"attachment://{filename}")
    return embed, files


def _safe_filename(name: str) -> str:
    """Discord's ``attachment://`` references need plain names."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name or "chart.png")
    return cleaned if "." in cleaned else f"{cleaned}.png"


def card_view(card: Card) -> discord.ui.View | None:
    """The card's buttons (plus a jump link when the card points at a message); None if neither."""
    if not card.buttons:
        return None
    view = discord.ui.View(timeout=None)
    for action, label in card.buttons[:20]:
        view.add_item(ActionButton(action, label))
    if card.link:
        view.add_item(discord.ui.Button(label=strings.JUMP, url=card.link, row=1))
    return view


def render_card(card: Card, text: str = "") -> Rendered:
    embed, files = card_embed(card)
    return Rendered(
        content=_cut(text, MESSAGE_LIMIT) or None, embed=embed, files=files, view=card_view(card)
    )


def action_custom_id(action: str) -> str:
    return f"emo:{action}"[:100]


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"emo:(?P<action>.+)"):
    """A card button; the core's action id (``flag:12:resolved``) rides in the custom id."""

    def __init__(self, action: str, label: str = "") -> None:
        style = _BUTTON_STYLES.get(action.rsplit(":", 1)[-1], discord.ButtonStyle.secondary)
        super().__init__(
            discord.ui.Button(
                label=_cut(label or action, 80), style=style, custom_id=action_custom_id(action)
            )
        )
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(match["action"], getattr(item, "label", "") or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        handler: ComponentHandler = interaction.client  # type: ignore[assignment]
        await handler.on_card_action(interaction, self.action)


class EmotionSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"emo-label:(?P<channel>\d+):(?P<message>\d+):(?P<part>\d+)",
):
    """One select menu of the "Label emotion" picker (Discord allows 25 options per menu)."""

    def __init__(
        self, channel_id: str, message_id: str, part: int, labels: Sequence[str] = ()
    ) -> None:
        options = [discord.SelectOption(label=label, value=label) for label in labels]
        placeholder = (
            strings.PICK_EMOTION_PART.format(first=labels[0], last=labels[-1]) if labels else None
        )
        super().__init__(
            discord.ui.Select(
                custom_id=f"emo-label:{channel_id}:{message_id}:{part}",
                options=options or [discord.SelectOption(label="-")],
                placeholder=placeholder,
                min_values=1,
                max_values=1,
            )
        )
        self.channel_id = channel_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> EmotionSelect:
        return cls(match["channel"], match["message"], int(match["part"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or []
        if not values:
            return
        handler: ComponentHandler = interaction.client  # type: ignore[assignment]
        await handler.on_emotion_picked(
            interaction, self.channel_id, self.message_id, str(values[0])
        )


def emotion_picker(channel_id: str, message_id: str, labels: Sequence[str]) -> discord.ui.View:
    """Select menus with every label of the current model, 25 per menu (up to 5 menus)."""
    view = discord.ui.View(timeout=None)
    chunks = [labels[i : i + SELECT_LIMIT] for i in range(0, len(labels), SELECT_LIMIT)]
    for part, chunk in enumerate(chunks[:5]):
        view.add_item(EmotionSelect(channel_id, message_id, part, chunk))
    return view
