"""Settings: every setting from the environment, placeholders refused, core options derived."""

from __future__ import annotations

import re
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


def test_tokens_are_secret_in_repr_and_errors(monkeypatch):
    # Issue 16, item 14: repr(settings) printed the Discord token.
    monkeypatch.setenv("DISCORD_TOKEN", "MTIz.very-secret.def")
    settings = load_settings()
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "MTIz.very-secret.def"
    assert settings.discord_configured
    monkeypatch.setenv("DISCORD_TOKEN", "x" * 5000)
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is longer than") as err:
        load_settings()
    assert "xxxxx" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SUMMARY_MINUTE", "99", "SUMMARY_MINUTE input should be less than or equal to 59"),
        ("SUMMARY_MINUTE", "-1", "SUMMARY_MINUTE input should be greater than or equal to 0"),
        ("SUMMARY_TIMEZONE", "Europe/Atlantis", "SUMMARY_TIMEZONE 'Europe/Atlantis' is not"),
        ("RETRAIN_TIMEZONE", "../../etc/passwd", "RETRAIN_TIMEZONE '../../etc/passwd' is not"),
        ("CONSOLE_CHANNEL", "c" * 100_000, "CONSOLE_CHANNEL string should have at most 64"),
        ("CONSOLE_MEMBER", "m" * 65, "CONSOLE_MEMBER string should have at most 64"),
        ("SLACK_MODERATORS", "U1," * 10_000, "SLACK_MODERATORS string should have at most"),
        ("CRISIS_RESOURCES", "r" * 100_000, "CRISIS_RESOURCES string should have at most"),
        ("SLACK_PORT", "70000", "SLACK_PORT input should be less than or equal to 65535"),
        ("LOG_LEVEL", "chatty", "LOG_LEVEL must be one of DEBUG, INFO"),
    ],
)
def test_out_of_range_and_overlong_settings_are_refused(monkeypatch, name, value, said):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=re.escape(said)) as err:
        load_settings()
    assert len(str(err.value)) < 300  # the value itself is never echoed in full


def test_time_zones_and_log_level_are_kept_as_given(monkeypatch):
    monkeypatch.setenv("SUMMARY_TIMEZONE", " Europe/Berlin ")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = load_settings()
    assert settings.summary_timezone == "Europe/Berlin" and settings.retrain_timezone == "UTC"
    assert settings.log_level == "WARNING"
