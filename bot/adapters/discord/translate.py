"""discord.py objects -> the core's neutral types (pure functions, no I/O).

Discord message ids are global snowflakes, so the core's message id is just ``str(message.id)``.
A message in a thread belongs to the thread's parent channel (channel settings and summaries are
per channel) and carries the thread's id in ``thread_id``, so replies land in the thread.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import discord

from bot.core.events import ChannelRef, ChatMessage, CommandRequest, CommunityRef, UserRef

PLATFORM = "discord"

_CUSTOM_EMOJI = re.compile(r"<a?:([A-Za-z0-9_~]+):\d+>")
_TIMESTAMP = re.compile(r"<t:(\d+)(?::[tTdDfFR])?>")
# https://discord.com/channels/<guild>/<channel>/<message> (also ptb./canary. and discordapp.com)
_MESSAGE_LINK = re.compile(
    r"https?://(?:\w+\.)?discord(?:app)?\.com/channels/(?:\d+|@me)/(\d+)/(\d+)"
)
_SNOWFLAKE = re.compile(r"^\d{15,21}$")

# Message types a member authored; every other type (joins, pins, boosts, ...) is a system message.
_AUTHORED_TYPES = frozenset(
    {
        discord.MessageType.default,
        discord.MessageType.reply,
        discord.MessageType.chat_input_command,
        discord.MessageType.context_menu_command,
        discord.MessageType.thread_starter_message,
    }
)


def community_ref(guild: discord.Guild) -> CommunityRef:
    return CommunityRef(platform=PLATFORM, id=str(guild.id), name=guild.name)


def is_moderator(permissions: discord.Permissions | None) -> bool:
    """Moderators are members who can manage the server (or administrators)."""
    return bool(permissions and (permissions.manage_guild or permissions.administrator))


def user_ref(user: discord.abc.User, *, permissions: discord.Permissions | None = None) -> UserRef:
    """A member or user; ``permissions`` default to the member's server-wide permissions."""
    if permissions is None and isinstance(user, discord.Member):
        permissions = user.guild_permissions
    return UserRef(
        platform=PLATFORM,
        id=str(user.id),
        name=user.display_name,
        is_bot=user.bot,
        is_moderator=is_moderator(permissions),
    )


def channel_ref(channel: object, guild: discord.Guild) -> tuple[ChannelRef, str | None]:
    """``(channel, thread id)``: a thread maps to its parent channel plus its own id."""
    community = community_ref(guild)
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        name = parent.name if parent is not None else ""
        return ChannelRef(community, str(channel.parent_id), name), str(channel.id)
    channel_id = getattr(channel, "id", None)
    name = getattr(channel, "name", None) or ""
    return ChannelRef(community, str(channel_id), name), None


def plain_text(message: discord.Message) -> str:
    """The words a member reads: mentions as ``@name`` / ``#channel``, emoji as ``:name:``."""
    text = message.clean_content
    text = _CUSTOM_EMOJI.sub(r":\1:", text)
    return _TIMESTAMP.sub("", text).strip()


def chat_message(message: discord.Message, *, is_edit: bool = False) -> ChatMessage | None:
    """A guild message as the core sees it; None for direct messages (the bot only reads servers).

    Bots and webhooks come through with ``author.is_bot`` and system messages with ``is_system``:
    the core decides to skip them.
    """
    if message.guild is None:
        return None
    channel, thread_id = channel_ref(message.channel, message.guild)
    author = user_ref(message.author)
    if message.webhook_id is not None and not author.is_bot:
        author = UserRef(PLATFORM, author.id, author.name, is_bot=True)
    return ChatMessage(
        id=str(message.id),
        channel=channel,
        author=author,
        text=plain_text(message),
        sent_at=message.created_at,
        thread_id=thread_id,
        permalink=message.jump_url,
        is_edit=is_edit,
        is_system=message.type not in _AUTHORED_TYPES,
    )


def parse_message_ref(ref: str) -> tuple[str | None, str] | None:
    """A message link or id a member typed -> ``(channel id or None, message id)``."""
    ref = ref.strip().strip("<>")
    m = _MESSAGE_LINK.search(ref)
    if m:
        return m.group(1), m.group(2)
    if _SNOWFLAKE.match(ref):
        return None, ref
    return None


def command_request(
    interaction: discord.Interaction,
    name: str,
    *,
    args: tuple[str, ...] = (),
    options: Mapping[str, str] | None = None,
    target_message_id: str | None = None,
) -> CommandRequest:
    """An interaction (slash command, context menu, component) -> the core's command request.

    The moderator check uses the permissions Discord sent with the interaction (the member's
    permissions in that channel, overwrites included).
    """
    guild = interaction.guild
    if guild is None:  # the commands are guild-only; an unknown guild still gets a community id
        guild_id = str(interaction.guild_id or "dm")
        community = CommunityRef(PLATFORM, guild_id)
        channel = ChannelRef(community, str(interaction.channel_id), is_direct=guild_id == "dm")
    else:
        channel, _thread_id = channel_ref(interaction.channel, guild)
        if interaction.channel is None:
            channel = ChannelRef(channel.community, str(interaction.channel_id))
    user = user_ref(interaction.user, permissions=interaction.permissions)
    return CommandRequest(
        name=name,
        args=args,
        user=user,
        channel=channel,
        options=dict(options or {}),
        target_message_id=target_message_id,
    )
