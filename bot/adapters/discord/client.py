"""The Discord client: intents, command registration and sync, and the event handlers.

Gateway events go through :mod:`translate` into the core; the core's actions go out through
:class:`~bot.adapters.discord.actions.ActionSender`. Nothing here blocks the event loop: the core
classifies and stores off the loop, and discord.py runs each event handler as its own task.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.adapters.discord import strings, translate
from bot.adapters.discord.actions import ActionSender
from bot.adapters.discord.commands import EmotionGroup, label_context_menu
from bot.adapters.discord.render import ActionButton, EmotionSelect
from bot.core.distress.cards import parse_flag_action
from bot.core.events import Action, Card, ChatMessage, CommandRequest, CommunityRef, UserRef
from bot.core.records import CommunitySettings

logger = logging.getLogger(__name__)

# Answer a slash command directly when the core is this quick (the reply can then be ephemeral or
# public as the core decides); otherwise defer (ephemeral "thinking…") and follow up. Discord
# drops interactions not acknowledged within 3 seconds of being sent.
ACK_DEADLINE_S = 1.0

# How long a job that posts (the weekly summary) waits for the client to be connected: the
# scheduler starts with the adapters, and a missed summary may be caught up at once.
READY_TIMEOUT_S = 300.0
READY_POLL_S = 0.25

# Permissions the invite link asks for: see docs/discord.md.
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
)


class CoreService(Protocol):
    """The part of :class:`bot.core.service.EmotionService` the adapter uses."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    async def on_message(self, msg: ChatMessage) -> list[Action]: ...
    async def on_message_deleted(self, platform: str, message_id: str) -> None: ...
    async def handle_command(self, req: CommandRequest) -> list[Action]: ...
    async def on_flag_review(
        self, flag_id: int, state: str, moderator: UserRef
    ) -> list[Action]: ...
    async def community_settings(self, community: CommunityRef) -> CommunitySettings: ...


class NoModChannelError(RuntimeError):
    """A card for the moderators could not be posted: the server has no moderators' channel."""


class NotConnectedError(RuntimeError):
    """A card could not be posted: the client did not connect in time, or was closed."""


def make_intents() -> discord.Intents:
    """Servers, their messages, and message content (privileged: enable it in the portal).
    No members or presence intents: the bot needs neither."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    return intents


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


class RecentKeys:
    """A bounded set of recently handled events: a message delivered twice (the gateway
    replays events on RESUME) is handled once."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._keys: OrderedDict[Hashable, None] = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; False when it was already there."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        while len(self._keys) > self.limit:
            self._keys.popitem(last=False)
        return True


class EmotionBotClient(discord.AutoShardedClient):
    """The bot on Discord. ``dev_guild_id`` syncs the commands to one server (instant) instead of
    globally (may take minutes to show up everywhere).

    Always an ``AutoShardedClient``: without ``shard_count`` it runs the number of shards Discord
    recommends (``GET /gateway/bot``), all in this process, so a bot that outgrows one shard keeps
    working. ``shard_count`` with ``shard_ids`` runs only those shards here: Discord sends a
    guild's events to shard ``(guild_id >> 22) % shard_count``, so several processes on one token
    share the servers instead of all receiving every event (docs/discord.md, "Sharding")."""

    def __init__(
        self,
        *,
        service: CoreService,
        dev_guild_id: int | None = None,
        ack_deadline: float = ACK_DEADLINE_S,
        ready_timeout: float = READY_TIMEOUT_S,
        **options: Any,
    ) -> None:
        options.setdefault("intents", make_intents())
        options.setdefault("chunk_guilds_at_startup", False)
        options.setdefault(
            "allowed_mentions",
            discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=True),
        )
        # The bot has no voice features: silence discord.py's "PyNaCl/davey is not installed"
        # warnings, which only confuse a first run.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(**options)
        self.service = service
        self.dev_guild_id = dev_guild_id
        self.ack_deadline = ack_deadline
        self.ready_timeout = ready_timeout
        self.tree = app_commands.CommandTree(self)
        self.sender = ActionSender(self)
        self._seen = RecentKeys()
        self.synced: list[app_commands.AppCommand] = []

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.service.labels)

    # --- start-up ----------------------------------------------------------------------------

    @property
    def syncs_commands(self) -> bool:
        """Whether this process registers the commands: the one holding shard 0 (or all shards).
        Commands belong to the application, not to a shard: one sync is enough, and N processes
        syncing at once would only spend the rate limit of ``PUT /applications/.../commands``."""
        return self.shard_ids is None or 0 in self.shard_ids

    def shard_summary(self) -> str:
        """Which shards this process runs, for the log: "all 2 shards", "shards 1 of 2"."""
        count = self.shard_count
        if self.shard_ids is None:
            return f"all {count} shard(s)" if count else "Discord's recommended shard count"
        ids = ", ".join(str(i) for i in self.shard_ids)
        return f"shard(s) {ids} of {count}"

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ActionButton, EmotionSelect)
        self.tree.add_command(EmotionGroup(self))
        self.tree.add_command(label_context_menu(self))
        if not self.syncs_commands:
            logger.info(strings.SYNC_ELSEWHERE.format(shards=self.shard_summary()))
            return
        try:
            if self.dev_guild_id:
                guild = discord.Object(id=self.dev_guild_id)
                self.tree.copy_global_to(guild=guild)
                self.synced = await self.tree.sync(guild=guild)
            else:
                self.synced = await self.tree.sync()
        except discord.HTTPException as exc:
            # 50001 Missing Access: the bot is not in the dev server, or was invited without the
            # applications.commands scope. Messages still work; commands will not show up.
            logger.error(
                "could not sync slash commands (%s %s): %s", exc.status, exc.code, exc.text
            )

    async def on_ready(self) -> None:
        assert self.user is not None
        if not self.syncs_commands:
            scope = strings.SYNC_NOT_HERE
        elif self.dev_guild_id:
            scope = strings.SYNC_GUILD.format(guild_id=self.dev_guild_id)
        else:
            scope = strings.SYNC_GLOBAL
        logger.info(
            strings.READY.format(
                user=self.user,
                user_id=self.user.id,
                guilds=len(self.guilds),
                shards=self.shard_summary(),
                scope=scope,
                invite=invite_url(self.application_id or self.user.id),
            )
        )

    async def on_resumed(self) -> None:
        logger.info("Discord: session resumed")

    # --- messages ----------------------------------------------------------------------------

    def _own(self, message: discord.Message) -> bool:
        return self.user is not None and message.author.id == self.user.id

    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or self._own(message):
            return
        if not self._seen.add(("create", message.id)):
            logger.debug("message %s delivered twice; handled once", message.id)
            return
        await self._classify(message, is_edit=False)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        # MESSAGE_UPDATE also fires when Discord adds link previews: only real edits count.
        if message.guild is None or message.edited_at is None or self._own(message):
            return
        cached = payload.cached_message
        if cached is not None and cached.content == message.content:
            return
        if not self._seen.add(("edit", message.id, message.edited_at)):
            return
        await self._classify(message, is_edit=True)

    async def _classify(self, message: discord.Message, *, is_edit: bool) -> None:
        chat = translate.chat_message(message, is_edit=is_edit)
        if chat is None:
            return
        actions = await self.service.on_message(chat)
        await self.sender.perform(actions)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self.service.on_message_deleted(translate.PLATFORM, str(payload.message_id))

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            for message_id in payload.message_ids:
                await self.service.on_message_deleted(translate.PLATFORM, str(message_id))

    # --- interactions ------------------------------------------------------------------------

    async def run_command(
        self,
        interaction: discord.Interaction,
        name: str,
        args: tuple[str, ...] = (),
        options: dict[str, str] | None = None,
        target_message_id: str | None = None,
    ) -> None:
        """Run a core command for a slash command / context menu and answer it in time."""
        req = translate.command_request(
            interaction, name, args=args, options=options, target_message_id=target_message_id
        )
        task = asyncio.ensure_future(self.service.handle_command(req))
        done, _ = await asyncio.wait({task}, timeout=self.ack_deadline)
        if not done:
            try:
                await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:
                logger.warning("could not defer /emotion %s: %s", name, exc)
        await self.sender.answer(interaction, await task)

    async def on_card_action(self, interaction: discord.Interaction, action: str) -> None:
        """A card button was pressed (today: the review buttons of a distress flag)."""
        parsed = parse_flag_action(action)
        if parsed is None:
            await interaction.response.send_message(strings.BUTTON_UNKNOWN, ephemeral=True)
            return
        await interaction.response.defer()  # a silent "deferred update" of the flag message
        moderator = translate.user_ref(interaction.user, permissions=interaction.permissions)
        actions = await self.service.on_flag_review(parsed[0], parsed[1], moderator)
        await self.sender.answer(interaction, actions)

    async def on_emotion_picked(
        self, interaction: discord.Interaction, channel_id: str, message_id: str, emotion: str
    ) -> None:
        """An emotion was chosen in the "Label emotion" picker: record the label."""
        await interaction.response.defer()
        options = {"emotion": emotion}
        text = await self.message_text(int(channel_id), int(message_id))
        if text:  # the label keeps the text the member chose to label, for training
            options["text"] = text
        req = translate.command_request(
            interaction,
            "label",
            args=(message_id, emotion),
            options=options,
            target_message_id=message_id,
        )
        actions = await self.service.handle_command(req)
        await self.sender.answer(interaction, actions, replace_original=True)

    async def message_text(self, channel_id: int, message_id: int) -> str | None:
        """The current text of a message, or None when the bot cannot read it."""
        try:
            message = await self.get_partial_messageable(channel_id).fetch_message(message_id)
        except discord.HTTPException as exc:
            logger.info("cannot read message %s: %s", message_id, exc)
            return None
        return translate.plain_text(message) or None

    # --- for jobs (weekly summaries) -----------------------------------------------------------

    async def perform(self, actions: Sequence[Action]) -> None:
        """Carry out actions that answer no event, e.g. a weekly summary ``Reply`` to a channel."""
        await self.sender.perform(actions)

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until the client is logged in and its cache ready, also when called before
        :meth:`start` (where discord.py's ``wait_until_ready`` raises). Raises
        :class:`NotConnectedError` after ``timeout`` (default ``ready_timeout``) or once closed."""
        seconds = self.ready_timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(seconds):
                while not self.is_ready():
                    if self.is_closed():
                        raise NotConnectedError(strings.CLOSED)
                    await asyncio.sleep(READY_POLL_S)
        except TimeoutError as exc:
            raise NotConnectedError(strings.NOT_CONNECTED.format(seconds=seconds)) from exc

    async def post_summary(self, community: CommunityRef, card: Card) -> None:
        """The jobs' notifier (:class:`bot.jobs.notify.ModeratorNotifier`): post ``card`` (the
        weekly summary, a job notice) as an embed, its chart attached, in the server's
        moderators' channel.

        Without a moderators' channel the server owner gets one DM per run saying how to set it,
        and :class:`NoModChannelError` is raised so the job records the post as failed. Discord's
        errors (a missing permission, a deleted channel) propagate the same way.
        """
        settings = await self.service.community_settings(community)
        await self.wait_connected()
        if not settings.mod_channel_id:
            await self.sender.tell_owner(community.id, strings.OWNER_NO_MOD_CHANNEL_SUMMARY)
            guild = community.name or community.id
            raise NoModChannelError(strings.SUMMARY_NO_MOD_CHANNEL.format(guild=guild))
        message = await self.sender.post_card(settings.mod_channel_id, card)
        logger.info(
            "posted %r to the moderators' channel %s of guild %s",
            card.title,
            message.channel.id,
            community.id,
        )
