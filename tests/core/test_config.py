"""Settings: every setting from the environment, placeholders refused, core options derived."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in (
        "DISCORD_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "DATABASE_URL",
        "EMPATHY_THRESHOLD",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("value", ["changeme", "CHANGEME", "<your token>", "your-token-here"])
def test_placeholder_tokens_are_refused_with_the_variable_named(monkeypatch, value):
    monkeypatch.setenv("DISCORD_TOKEN", value)
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is a placeholder"):
        load_settings()


def test_tokens_decide_which_adapters_start(monkeypatch):
    settings = load_settings()
    assert not settings.discord_configured and not settings.slack_configured
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    assert not load_settings().slack_configured  # needs an app token or a signing secret
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-abc")
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.abc.def")
    settings = load_settings()
    assert settings.slack_configured and settings.discord_configured


def test_empty_values_mean_unset(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "")
    monkeypatch.setenv("DISCORD_DEV_GUILD_ID", "")
    settings = load_settings()
    assert settings.discord_token is None and settings.discord_dev_guild_id is None


def test_bad_numbers_are_refused(monkeypatch):
    monkeypatch.setenv("EMPATHY_THRESHOLD", "1.5")
    with pytest.raises(SettingsError, match="EMPATHY_THRESHOLD must be between 0 and 1"):
        load_settings()


def test_core_options_follow_the_settings():
    options = load_settings(
        empathy_threshold=0.7,
        empathy_member_cooldown_minutes=60,
        retention_days=30,
        crisis_resources="Call 555",
    ).core_options()
    assert options.empathy_threshold == 0.7
    assert options.member_cooldown == timedelta(hours=1)
    assert options.retention_days == 30 and options.crisis_resources == "Call 555"


def test_env_example_lists_every_setting():
    from bot.config import Settings

    example = (REPO / ".env.example").read_text()
    names = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in example.splitlines()
        if "=" in line and not line.startswith("# ")
    }
    assert {name.upper() for name in Settings.model_fields} <= names
    Settings(_env_file=REPO / ".env.example")  # and every value in it parses
