"""Platform-neutral things that happen and things the bot does: frozen dataclasses only.

Adapters translate their platform's payloads into these and render the actions back; nothing in
here knows about Discord, Slack, SQL or ONNX.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CommunityRef:
    """A Discord guild or a Slack workspace."""

    platform: str  # "discord" | "slack" | "console"
    id: str
    name: str = ""


@dataclass(frozen=True)
class ChannelRef:
    community: CommunityRef
    id: str
    name: str = ""
    is_direct: bool = False  # a DM / IM: never summarised


@dataclass(frozen=True)
class UserRef:
    platform: str
    id: str
    name: str = ""
    is_bot: bool = False
    # Filled in by the adapter from the platform's permissions (manage guild / workspace admin or
    # the configured moderator list); the core trusts it.
    is_moderator: bool = False


@dataclass(frozen=True)
class ChatMessage:
    """One message as the bot saw it. ``text`` is never stored unless a person labels it."""

    id: str
    channel: ChannelRef
    author: UserRef
    text: str
    sent_at: datetime  # timezone-aware UTC
    thread_id: str | None = None
    permalink: str | None = None
    is_edit: bool = False  # an edit re-classifies and replaces the stored row
    is_system: bool = False  # joins, pins, ...: skipped


@dataclass(frozen=True)
class Card:
    """A rich, platform-neutral message: a Discord embed, Slack blocks or console text."""

    title: str
    body: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    link: str | None = None
    color: str = "neutral"  # "neutral" | "warning" | "danger" | "good"
    image_png: bytes | None = None
    image_name: str = "chart.png"
    # Buttons: (action id, label). Adapters encode the action id into their custom ids.
    buttons: tuple[tuple[str, str], ...] = ()
    footer: str = ""


# --- actions: what the core asks the adapter to do ------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Answer in a channel; ``private_to`` makes it ephemeral / visible to that user only."""

    channel: ChannelRef
    text: str = ""
    card: Card | None = None
    private_to: UserRef | None = None
    thread_id: str | None = None


@dataclass(frozen=True)
class EmpathyPrompt:
    """A gentle private check-in to the author of ``message_id``."""

    user: UserRef
    channel: ChannelRef
    text: str
    message_id: str
    thread_id: str | None = None
    # The community's delivery mode where the platform has no private reply in a channel
    # (Discord): "dm" (a direct message) or "thread" (a reply in the message's thread).
    mode: str = "dm"


@dataclass(frozen=True)
class DistressFlag:
    """A private alert to the moderators. ``mod_channel_id`` is None when none is configured."""

    flag_id: int
    community: CommunityRef
    mod_channel_id: str | None
    card: Card
    user: UserRef
    message_id: str


@dataclass(frozen=True)
class FileReply:
    """A file for one user only (data export)."""

    user: UserRef
    channel: ChannelRef
    filename: str
    content: bytes
    text: str = ""


@dataclass(frozen=True)
class UpdateFlagMessage:
    """Re-render an existing distress-flag message after a moderator pressed a button."""

    flag_id: int
    card: Card


Action = Reply | EmpathyPrompt | DistressFlag | FileReply | UpdateFlagMessage


@dataclass(frozen=True)
class CommandRequest:
    """``/emotion <name> <args>`` from any platform, already split by the adapter."""

    name: str
    args: tuple[str, ...]
    user: UserRef
    channel: ChannelRef
    # Named options where the platform has typed options (Discord), e.g. {"days": "7"}.
    options: dict[str, str] = field(default_factory=dict)
    # The message a context-menu / shortcut command points at.
    target_message_id: str | None = None
