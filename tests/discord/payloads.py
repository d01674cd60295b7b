"""Gateway- and REST-shaped Discord payloads for the fake servers (API v10 field names).

Only the fields discord.py 2.7 reads are filled in; ids are strings, as Discord sends them.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

APP_ID = "900000000000000001"
BOT_ID = APP_ID  # a bot user shares its application's id
GUILD_ID = "910000000000000001"
OWNER_ID = "920000000000000001"
GENERAL_ID = "930000000000000001"  # #general, a text channel
MODS_ID = "930000000000000002"  # #mods, the moderators' channel
THREAD_ID = "930000000000000003"  # a public thread in #general
MOD_ROLE_ID = "940000000000000001"

# Permission bits (https://discord.com/developers/docs/topics/permissions)
VIEW_AND_SEND = (1 << 10) | (1 << 11) | (1 << 16)
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 53) - 1

_ids = itertools.count(1)


def snowflake() -> str:
    """A fresh, increasing snowflake-like id (time-ordered enough for the tests)."""
    ms = int(datetime.now(UTC).timestamp() * 1000) - 1420070400000
    return str((ms << 22) | (next(_ids) & 0x3FFFFF))


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def member(*, roles: tuple[str, ...] = (), permissions: int | None = None) -> dict[str, Any]:
    """A guild member object without ``user`` (as embedded in MESSAGE_CREATE)."""
    data: dict[str, Any] = {
        "roles": list(roles),
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
    }
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def text_channel(channel_id: str, name: str, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": channel_id,
        "type": 0,
        "guild_id": GUILD_ID,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread(thread_id: str, parent_id: str, name: str) -> dict[str, Any]:
    return {
        "id": thread_id,
        "type": 11,
        "guild_id": GUILD_ID,
        "parent_id": parent_id,
        "owner_id": OWNER_ID,
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": now_iso(),
            "locked": False,
        },
        "flags": 0,
    }


def guild(*, with_mods_channel: bool = True) -> dict[str, Any]:
    """GUILD_CREATE data: a guild with #general (+ a thread) and, optionally, #mods."""
    channels = [text_channel(GENERAL_ID, "general")]
    if with_mods_channel:
        channels.append(text_channel(MODS_ID, "mods", position=1))
    return {
        "id": GUILD_ID,
        "name": "Test Guild",
        "owner_id": OWNER_ID,
        "icon": None,
        "unavailable": False,
        "member_count": 3,
        "large": False,
        "roles": [
            {  # @everyone shares the guild's id
                "id": GUILD_ID,
                "name": "@everyone",
                "permissions": str(VIEW_AND_SEND),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": MOD_ROLE_ID,
                "name": "Mods",
                "permissions": str(VIEW_AND_SEND | MANAGE_GUILD),
                "position": 1,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
        ],
        "emojis": [],
        "stickers": [],
        "features": [],
        "channels": channels,
        "threads": [thread(THREAD_ID, GENERAL_ID, "a thread")],
        "members": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "premium_tier": 0,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
    }


def message(
    *,
    content: str,
    author: dict[str, Any],
    channel_id: str = GENERAL_ID,
    message_id: str | None = None,
    roles: tuple[str, ...] = (),
    webhook_id: str | None = None,
    message_type: int = 0,
    edited: bool = False,
    guild_id: str | None = GUILD_ID,
    components: list[dict[str, Any]] | None = None,
    embeds: list[dict[str, Any]] | None = None,
    flags: int = 0,
) -> dict[str, Any]:
    """A MESSAGE_CREATE / MESSAGE_UPDATE / REST message object."""
    data: dict[str, Any] = {
        "id": message_id or snowflake(),
        "type": message_type,
        "channel_id": channel_id,
        "author": author,
        "content": content,
        "timestamp": now_iso(),
        "edited_timestamp": now_iso() if edited else None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds or [],
        "pinned": False,
        "flags": flags,
        "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = guild_id
        if webhook_id is None:
            data["member"] = member(roles=roles)
    if webhook_id is not None:
        data["webhook_id"] = webhook_id
    return data


def interaction(
    *,
    kind: int,
    data: dict[str, Any],
    user_data: dict[str, Any],
    permissions: int = VIEW_AND_SEND,
    channel_id: str = GENERAL_ID,
    message_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """INTERACTION_CREATE data in a guild: ``kind`` 2 command, 3 component, 4 autocomplete."""
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": APP_ID,
        "type": kind,
        "token": f"tok-{snowflake()}",
        "version": 1,
        "attachment_size_limit": 10 * 1024 * 1024,
        "data": data,
        "guild_id": GUILD_ID,
        "guild": {"id": GUILD_ID, "locale": "en-US", "features": []},
        "channel_id": channel_id,
        "channel": {
            "id": channel_id,
            "type": 0,
            "guild_id": GUILD_ID,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
        "member": {**member(permissions=permissions), "user": user_data},
        "app_permissions": str(ALL_PERMISSIONS),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
    }
    if message_data is not None:
        payload["message"] = message_data
    return payload


def slash(
    sub: str, options: dict[str, Any] | None = None, *, focused: str | None = None
) -> dict[str, Any]:
    """``data`` of ``/emotion <sub> ...`` (type 1 subcommand inside the chat-input command)."""
    types = {str: 3, int: 4, bool: 5}
    opts = []
    for name, value in (options or {}).items():
        option: dict[str, Any] = {"name": name, "type": types[type(value)], "value": value}
        if name == focused:
            option["focused"] = True
        opts.append(option)
    return {
        "id": "950000000000000001",
        "name": "emotion",
        "type": 1,
        "guild_id": GUILD_ID,
        "options": [{"name": sub, "type": 1, "options": opts}],
    }


def context_menu(name: str, target: dict[str, Any]) -> dict[str, Any]:
    """``data`` of a message context-menu command pointing at ``target``."""
    return {
        "id": "950000000000000002",
        "name": name,
        "type": 3,
        "guild_id": GUILD_ID,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }


def component(
    custom_id: str, *, component_type: int = 2, values: list[str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    return data
