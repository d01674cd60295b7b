"""Slack payloads -> the core's neutral types (pure functions, no I/O).

A Slack message is identified by its channel and its ``ts``; the core's message id for it is
``"<channel id>:<ts>"`` (``ts`` alone is unique only within a channel). Permalinks are built locally
from the workspace URL that ``auth.test`` returned, so no API call is made per message.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef

PLATFORM = "slack"

# Message subtypes that carry something a member wrote; every other subtype (joins, leaves, topic,
# purpose, pins, ...) is a system message that the core skips.
_AUTHORED_SUBTYPES = frozenset(
    {None, "thread_broadcast", "file_share", "me_message", "bot_message"}
)

_MENTION = re.compile(r"<([^<>]*)>")
_PERMALINK = re.compile(r"/archives/([A-Z0-9]+)/p(\d{10})(\d{6})")
_MESSAGE_ID = re.compile(r"^([A-Z0-9]+):(\d+\.\d+)$")


@dataclass(frozen=True)
class MessageDeleted:
    """A ``message_deleted`` event (or a thread parent turned into a tombstone)."""

    message_id: str


@dataclass(frozen=True)
class Workspace:
    """What ``auth.test`` told us about the workspace and the bot itself."""

    team_id: str
    team_name: str = ""
    url: str = ""  # "https://acme.slack.com/"
    bot_user_id: str = ""
    bot_id: str = ""

    @property
    def community(self) -> CommunityRef:
        return CommunityRef(platform=PLATFORM, id=self.team_id, name=self.team_name)


def message_id(channel_id: str, ts: str) -> str:
    """The core's id for the message ``ts`` in ``channel_id``."""
    return f"{channel_id}:{ts}"


def split_message_id(mid: str) -> tuple[str, str] | None:
    """``"C1:1712.0001"`` -> ``("C1", "1712.0001")``; None when it is not one of ours."""
    m = _MESSAGE_ID.match(mid)
    return (m.group(1), m.group(2)) if m else None


def parse_message_ref(ref: str) -> str | None:
    """A message reference a member typed (a permalink or ``C…:ts``) -> the core's message id."""
    ref = ref.strip().strip("<>").split("|", 1)[0]
    if _MESSAGE_ID.match(ref):
        return ref
    m = _PERMALINK.search(ref)
    if m:
        return message_id(m.group(1), f"{m.group(2)}.{m.group(3)}")
    return None


def permalink(
    workspace_url: str, channel_id: str, ts: str, thread_ts: str | None = None
) -> str | None:
    """The ``https://<team>.slack.com/archives/<channel>/p<ts>`` link Slack itself would give."""
    if not workspace_url or not ts:
        return None
    parts = urlsplit(workspace_url)
    if not parts.scheme or not parts.netloc:
        return None
    link = f"{parts.scheme}://{parts.netloc}/archives/{channel_id}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel_id}"
    return link


def parse_ts(ts: str | float | None) -> datetime:
    """A Slack ``ts`` (seconds since the epoch, as a string) -> an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return datetime.now(tz=UTC)


def plain_text(text: str) -> str:
    """Slack's markup -> the words a person reads, for classification.

    ``<@U1|ana>`` -> ``@ana``, ``<#C1|general>`` -> ``#general``,
    ``<https://x|label>`` -> ``label``, ``<!here>`` -> ``@here``, and the three escaped
    entities back to ``& < >``.
    """

    def replace(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            name = target[1:].split("^", 1)[0]
            if name.startswith("subteam"):
                return f"@{label.lstrip('@') or 'group'}"
            return f"@{label or name}" if name in {"here", "channel", "everyone"} else label
        return label or target

    return html.unescape(_MENTION.sub(replace, text or ""))


def normalize_arg(token: str) -> str:
    """One slash-command argument with Slack's escaping undone.

    ``<#C1|mods>`` -> ``C1``, ``<@U1|ana>`` -> ``U1``, ``<https://x|y>`` -> ``https://x``: the core
    receives ids, which is what its settings and commands store.
    """
    m = re.fullmatch(r"<([#@!]?)([^|<>]*)(?:\|[^<>]*)?>", token)
    if m:
        return m.group(2)
    return html.unescape(token)


def channel_ref(
    workspace: Workspace, channel_id: str, *, channel_type: str | None = None, name: str = ""
) -> ChannelRef:
    """A channel; ``im`` / ``mpim`` (or an id starting with ``D``) is a direct conversation."""
    is_direct = channel_type in {"im", "mpim"} or channel_id.startswith("D")
    return ChannelRef(community=workspace.community, id=channel_id, name=name, is_direct=is_direct)


def user_ref(
    user_id: str, *, name: str = "", is_bot: bool = False, is_moderator: bool = False
) -> UserRef:
    return UserRef(
        platform=PLATFORM, id=user_id, name=name, is_bot=is_bot, is_moderator=is_moderator
    )


def translate_message(
    event: dict[str, Any], workspace: Workspace
) -> ChatMessage | MessageDeleted | None:
    """A ``message`` event -> what the core should see.

    - a new message (no subtype, ``thread_broadcast``, ``file_share``, ``me_message``) ->
      :class:`ChatMessage`; bot messages have ``author.is_bot``;
    - ``message_changed`` -> :class:`ChatMessage` with ``is_edit`` (None when the text did not
      change: link unfurls arrive as edits and must not re-classify or re-answer);
    - ``message_deleted`` -> :class:`MessageDeleted`;
    - joins, leaves, topic changes, pins and other subtypes -> :class:`ChatMessage` with
      ``is_system`` (the core skips them);
    - None when the payload lacks a channel or ts.
    """
    channel_id = event.get("channel") or ""
    if not channel_id:
        return None
    subtype = event.get("subtype")
    channel = channel_ref(workspace, channel_id, channel_type=event.get("channel_type"))
    if subtype == "message_deleted":
        deleted = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        return MessageDeleted(message_id(channel_id, deleted)) if deleted else None
    if subtype == "message_changed":
        inner = event.get("message") or {}
        before = event.get("previous_message") or {}
        if inner.get("subtype") == "tombstone":
            return MessageDeleted(message_id(channel_id, inner.get("ts") or ""))
        if before and before.get("text") == inner.get("text"):
            return None
        return _chat_message(inner, channel, workspace, is_edit=True)
    return _chat_message(event, channel, workspace, is_system=subtype not in _AUTHORED_SUBTYPES)


def _chat_message(
    payload: dict[str, Any],
    channel: ChannelRef,
    workspace: Workspace,
    *,
    is_edit: bool = False,
    is_system: bool = False,
) -> ChatMessage | None:
    ts = payload.get("ts")
    if not ts:
        return None
    is_bot = bool(payload.get("bot_id")) or payload.get("subtype") == "bot_message"
    author_id = payload.get("user") or payload.get("bot_id") or ""
    name = (payload.get("user_profile") or {}).get("display_name") or payload.get("username") or ""
    thread_ts = payload.get("thread_ts")
    return ChatMessage(
        id=message_id(channel.id, ts),
        channel=channel,
        author=user_ref(author_id, name=name, is_bot=is_bot),
        text=plain_text(payload.get("text") or ""),
        sent_at=parse_ts(ts),
        thread_id=thread_ts if thread_ts and thread_ts != ts else None,
        permalink=permalink(workspace.url, channel.id, ts, thread_ts),
        is_edit=is_edit,
        is_system=is_system,
    )
