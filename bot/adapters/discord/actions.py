"""Carry out the core's actions on Discord.

Two entry points: :meth:`ActionSender.perform` for actions that follow a gateway event (a message
was classified) and :meth:`ActionSender.answer` for actions that answer an interaction (a slash
command, a context menu, a button): there, replies become interaction responses and follow-ups,
ephemeral when the core addresses them to one person.
"""

from __future__ import annotations

import io
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import discord

from bot.adapters.discord import strings
from bot.adapters.discord.render import Rendered, render_card, split_text
from bot.core.events import (
    Action,
    Card,
    DistressFlag,
    EmpathyPrompt,
    FileReply,
    Reply,
    UpdateFlagMessage,
)

logger = logging.getLogger(__name__)

EMPATHY_MODES = ("dm", "thread", "off")
DONE = "Done."


def render_reply(reply: Reply) -> list[Rendered]:
    """A reply as one or more messages (long texts are split; the card goes with the last)."""
    if reply.card is None:
        return [Rendered(content=chunk) for chunk in split_text(reply.text or DONE)]
    chunks = split_text(reply.text) if reply.text else [""]
    head = [Rendered(content=chunk) for chunk in chunks[:-1]]
    return [*head, render_card(reply.card, chunks[-1])]


def render_file(action: FileReply) -> Rendered:
    file = discord.File(io.BytesIO(action.content), filename=action.filename)
    return Rendered(content=action.text or None, files=[file])


class ActionSender:
    """Sends what the core asked for, through the client's HTTP session (never blocking)."""

    def __init__(self, client: discord.Client, *, max_flags: int = 10_000) -> None:
        self.client = client
        self._flag_messages: OrderedDict[int, tuple[int, int]] = OrderedDict()
        self._max_flags = max_flags
        self._owners_told: set[tuple[str, str]] = set()

    # --- after a gateway event ---------------------------------------------------------------

    async def perform(self, actions: Sequence[Action]) -> None:
        """Carry out every action; one failing (a closed DM, a missing permission) is logged and
        does not stop the others."""
        for action in actions:
            try:
                await self._perform_one(action)
            except discord.HTTPException as exc:
                logger.warning(
                    "Discord refused %s: %s %s", type(action).__name__, exc.status, exc.text
                )
            except Exception:
                logger.exception("could not carry out %r", action)

    async def _perform_one(self, action: Action) -> None:
        if isinstance(action, Reply):
            await self._channel_reply(action)
        elif isinstance(action, EmpathyPrompt):
            await self._empathy(action)
        elif isinstance(action, DistressFlag):
            await self._flag(action)
        elif isinstance(action, FileReply):
            await self._dm(int(action.user.id), render_file(action))
        elif isinstance(action, UpdateFlagMessage):
            await self._update_flag(action)
        else:  # pragma: no cover - the union is closed
            logger.warning("unknown action %r", action)

    async def _channel_reply(self, reply: Reply) -> None:
        if reply.private_to is not None:
            # No ephemeral messages outside interactions: a private reply goes by DM.
            for part in render_reply(reply):
                await self._dm(int(reply.private_to.id), part)
            return
        channel = self.client.get_partial_messageable(int(reply.thread_id or reply.channel.id))
        for part in render_reply(reply):
            await channel.send(**part.send_kwargs())

    async def _dm(self, user_id: int, rendered: Rendered) -> discord.Message:
        dm = await self.client.create_dm(discord.Object(id=user_id))
        return await dm.send(**rendered.send_kwargs())

    async def _empathy(self, prompt: EmpathyPrompt) -> None:
        """A DM (private, but some members block DMs from server members), a reply to the
        message (everyone in the channel sees it), or nothing: the community chooses."""
        mode = prompt.mode if prompt.mode in EMPATHY_MODES else "dm"
        if mode == "off":
            return
        if mode == "thread":
            channel = self.client.get_partial_messageable(
                int(prompt.thread_id or prompt.channel.id)
            )
            message = channel.get_partial_message(int(prompt.message_id))
            await message.reply(prompt.text, mention_author=True)
            return
        try:
            await self._dm(int(prompt.user.id), Rendered(content=prompt.text))
        except discord.Forbidden:
            # 50007: the member does not accept DMs from this server. Never fall back to a
            # public reply: the community chose privacy.
            logger.info("empathy prompt not delivered: %s does not accept DMs", prompt.user.id)

    async def _flag(self, flag: DistressFlag) -> None:
        if flag.mod_channel_id is None:
            await self.tell_owner(flag.community.id, strings.OWNER_NO_MOD_CHANNEL)
            return
        channel = self.client.get_partial_messageable(int(flag.mod_channel_id))
        rendered = render_card(flag.card)
        message = await channel.send(**rendered.send_kwargs())
        self.remember_flag_message(flag.flag_id, message.channel.id, message.id)

    def remember_flag_message(self, flag_id: int, channel_id: int, message_id: int) -> None:
        self._flag_messages[flag_id] = (channel_id, message_id)
        while len(self._flag_messages) > self._max_flags:
            self._flag_messages.popitem(last=False)

    async def post_card(self, channel_id: str, card: Card) -> discord.Message:
        """Post a card (an embed, its chart attached) to a channel, e.g. the weekly summary in the
        moderators' channel. Discord's errors propagate: the caller decides what failing means."""
        channel = self.client.get_partial_messageable(int(channel_id))
        return await channel.send(**render_card(card).send_kwargs())

    async def tell_owner(self, guild_id: str, template: str) -> None:
        """Once per server and notice (per run), tell its owner how to set the moderators'
        channel; ``template`` is the notice, with ``{guild}`` for the server's name."""
        key = (guild_id, template)
        if key in self._owners_told:
            return
        guild: discord.Guild | None = self.client.get_guild(int(guild_id))
        if guild is None:
            # Not in this process's cache: with the shards split across processes, the one
            # running the weekly summary may not hold this server's shard. REST is not sharded.
            try:
                guild = await self.client.fetch_guild(int(guild_id), with_counts=False)
            except discord.HTTPException as exc:
                logger.warning("cannot look up guild %s to tell its owner: %s", guild_id, exc)
                return
        if guild.owner_id is None:
            logger.warning("guild %s has no mod channel and no owner known to tell", guild_id)
            return
        self._owners_told.add(key)
        text = template.format(guild=guild.name)
        try:
            await self._dm(guild.owner_id, Rendered(content=text))
        except discord.HTTPException as exc:
            logger.warning("could not DM the owner of guild %s: %s", guild_id, exc)

    async def _update_flag(self, update: UpdateFlagMessage) -> None:
        where = self._flag_messages.get(update.flag_id)
        if where is None:
            logger.info("flag %s: its message is not known to this run", update.flag_id)
            return
        channel = self.client.get_partial_messageable(where[0])
        rendered = render_card(update.card)
        await channel.get_partial_message(where[1]).edit(**_edit_kwargs(rendered))

    # --- answering an interaction ------------------------------------------------------------

    async def answer(
        self,
        interaction: discord.Interaction,
        actions: Sequence[Action],
        *,
        replace_original: bool = False,
    ) -> None:
        """Answer an interaction with the core's actions.

        Replies and files for the invoking member become the interaction response (if not yet
        sent) or follow-ups, ephemeral when private; ``UpdateFlagMessage`` edits the message the
        pressed button sits on; everything else is performed as usual. With ``replace_original``
        the first reply replaces the message the component sits on (the emotion picker).
        """
        answered = False
        rest: list[Action] = []
        for action in actions:
            try:
                if isinstance(action, Reply):
                    for part in render_reply(action):
                        private = action.private_to is not None
                        if replace_original and not answered:
                            await interaction.edit_original_response(**_edit_kwargs(part))
                        else:
                            await self._respond(interaction, part, ephemeral=private)
                        answered = True
                elif isinstance(action, FileReply):
                    await self._respond(interaction, render_file(action), ephemeral=True)
                    answered = True
                elif isinstance(action, UpdateFlagMessage) and _is_flag_message(interaction):
                    await self._edit_component_message(interaction, action)
                    answered = True
                else:
                    rest.append(action)
            except discord.HTTPException as exc:
                logger.warning(
                    "could not answer interaction %s: %s %s", interaction.id, exc.status, exc.text
                )
        if not answered and not interaction.response.is_done():
            await interaction.response.send_message(DONE, ephemeral=True)
        await self.perform(rest)

    async def _respond(
        self, interaction: discord.Interaction, rendered: Rendered, *, ephemeral: bool
    ) -> None:
        kwargs = rendered.send_kwargs()
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=ephemeral, **kwargs)
        else:
            await interaction.followup.send(ephemeral=ephemeral, **kwargs)

    async def _edit_component_message(
        self, interaction: discord.Interaction, update: UpdateFlagMessage
    ) -> None:
        rendered = render_card(update.card)
        kwargs = _edit_kwargs(rendered)
        if not interaction.response.is_done():
            await interaction.response.edit_message(**kwargs)
        else:
            await interaction.edit_original_response(**kwargs)
        if interaction.message is not None:
            self.remember_flag_message(
                update.flag_id, interaction.message.channel.id, interaction.message.id
            )


def _is_flag_message(interaction: discord.Interaction) -> bool:
    return interaction.type is discord.InteractionType.component and interaction.message is not None


def _edit_kwargs(rendered: Rendered) -> dict[str, Any]:
    """Edits replace everything: content, embed, attachments and components (None clears)."""
    return {
        "content": rendered.content,
        "embed": rendered.embed,
        "attachments": rendered.files or [],
        "view": rendered.view,
    }
