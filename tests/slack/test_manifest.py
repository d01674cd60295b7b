"""The app manifest declares exactly what the adapter uses, and the guide explains it."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.adapters.slack import strings
from bot.adapters.slack.commands import SHORTCUT_CALLBACK_ID

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCOPES = {
    "channels:history",
    "groups:history",
    "im:history",
    "chat:write",
    "commands",
    "users:read",
    "im:write",
    "files:write",
}


def test_manifest_matches_the_adapter() -> None:
    manifest = yaml.safe_load((DOCS / "slack-manifest.yml").read_text(encoding="utf-8"))
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == strings.COMMAND and command["should_escape"] is True
    (shortcut,) = manifest["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", SHORTCUT_CALLBACK_ID)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == SCOPES
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.channels",
        "message.groups",
        "message.im",
    }
    assert settings["socket_mode_enabled"] is True and settings["interactivity"]["is_enabled"]
    assert 174 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_guide_uses_the_manifest_and_explains_every_scope() -> None:
    guide = (DOCS / "slack.md").read_text(encoding="utf-8")
    assert "slack-manifest.yml" in guide and "/slack/events" in guide
    for scope in SCOPES:
        assert f"`{scope}`" in guide, scope
