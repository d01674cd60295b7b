"""Slack request payloads in their documented shapes, and the request signature.

- Events API ``event_callback``: https://docs.slack.dev/apis/events-api/
- Slash commands (form-encoded): https://docs.slack.dev/interactivity/implementing-slash-commands
- Interactivity (``payload=`` form field): message_action, block_actions, view_submission
- Signing: ``v0=`` + HMAC-SHA256(secret, ``v0:{timestamp}:{body}``)
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.slack.fake_slack import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
CHANNEL = "C0GENERAL"
MOD_CHANNEL = "C0MODS"
MEMBER = "U0ANA"
OTHER = "U0BEN"
ADMIN = "U0ADMIN"
_ids = itertools.count(1)


def sign(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with a request: timestamp and signature of exactly ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def ts_now(offset: int = 0) -> str:
    return f"{int(time.time()) + offset}.{next(_ids):06d}"


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0APP",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def message_event(
    text: str,
    *,
    user: str | None = MEMBER,
    channel: str = CHANNEL,
    ts: str | None = None,
    thread_ts: str | None = None,
    subtype: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ts = ts or ts_now()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": TEAM_ID,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if subtype:
        event["subtype"] = subtype
    event.update(extra)
    return event


def edited_event(
    ts: str, old: str, new: str, *, user: str = MEMBER, channel: str = CHANNEL
) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": "channel",
        "ts": ts_now(),
        "event_ts": ts_now(),
        "message": {
            "type": "message",
            "user": user,
            "text": new,
            "ts": ts,
            "edited": {"user": user, "ts": ts_now()},
        },
        "previous_message": {"type": "message", "user": user, "text": old, "ts": ts},
    }


def deleted_event(ts: str, *, channel: str = CHANNEL) -> dict[str, Any]:
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "channel_type": "channel",
        "ts": ts_now(),
        "deleted_ts": ts,
        "event_ts": ts_now(),
        "previous_message": {"type": "message", "user": MEMBER, "text": "gone", "ts": ts},
    }


def slash_command(
    text: str, *, user: str = MEMBER, channel: str = CHANNEL, response_url: str
) -> dict[str, str]:
    """The form fields of ``/emotion <text>``."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/emotion",
        "text": text,
        "api_app_id": "A0APP",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"trig.{next(_ids)}",
    }


def message_shortcut(
    text: str,
    *,
    ts: str,
    author: str = OTHER,
    user: str = MEMBER,
    channel: str = CHANNEL,
    response_url: str,
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": "legacy-verification-token",
        "action_ts": ts_now(),
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID, "name": user.lower()},
        "channel": {"id": channel, "name": "general"},
        "is_enterprise_install": False,
        "callback_id": "label_emotion",
        "trigger_id": f"trig.{next(_ids)}",
        "response_url": response_url,
        "message_ts": ts,
        "message": {"type": "message", "user": author, "text": text, "ts": ts},
    }


def view_submission(
    view: dict[str, Any], emotion: str | None, *, user: str = MEMBER
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if emotion is not None:
        values = {
            "emotion": {
                "emotion_select": {
                    "type": "static_select",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": emotion},
                        "value": emotion,
                    },
                }
            }
        }
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "trigger_id": f"trig.{next(_ids)}",
        "view": {
            "id": "V0VIEW",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {"values": values},
            "hash": "1712.abc",
        },
        "response_urls": [],
    }


def block_action(
    action_id: str,
    *,
    user: str = ADMIN,
    channel: str = MOD_CHANNEL,
    message_ts: str,
    response_url: str,
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0APP",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": f"trig.{next(_ids)}",
        "channel": {"id": channel, "name": "mods"},
        "message": {"type": "message", "ts": message_ts, "bot_id": "B0BOT", "text": "flag"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "flag",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "value": action_id,
                "type": "button",
                "action_ts": ts_now(),
            }
        ],
    }


def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interactive_body(payload: dict[str, Any]) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()
