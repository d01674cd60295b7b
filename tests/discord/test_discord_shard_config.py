"""DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS: read from the environment, a bad value refused at
start-up with one line naming the setting (``bot.config``)."""

from __future__ import annotations

import re

import pytest

from bot.adapters.discord import build_client
from bot.config import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("DISCORD_TOKEN", "DISCORD_SHARD_COUNT", "DISCORD_SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        (None, None, (None, None)),
        ("", "", (None, None)),  # empty means unset
        ("4", None, (4, None)),  # this process runs all four
        ("2", "1", (2, (1,))),
        ("4", " 3, 1 ", (4, (1, 3))),
        ("1", "0", (1, (0,))),
    ],
)
def test_shard_settings_are_read(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str | None, expected: tuple
) -> None:
    if count is not None:
        monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    if ids is not None:
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    settings = load_settings()
    assert (settings.discord_shard_count, settings.discord_shard_ids) == expected


@pytest.mark.parametrize(
    ("count", "ids", "said"),
    [
        (None, "0", "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the total number of shards)"),
        ("2", "2", "DISCORD_SHARD_IDS has shard 2, but shards are numbered 0 to 1 with "),
        ("2", "0,5", "DISCORD_SHARD_IDS has shard 5, but shards are numbered 0 to 1"),
        ("3", "1,1", "DISCORD_SHARD_IDS lists shard 1 twice"),
        ("2", "0 1", "DISCORD_SHARD_IDS must be shard numbers separated by commas, e.g. 0,1"),
        ("2", "-1", "DISCORD_SHARD_IDS must be shard numbers separated by commas"),
        ("2", "0,", "DISCORD_SHARD_IDS must be shard numbers separated by commas"),
        ("2", "[0, 1]", "DISCORD_SHARD_IDS must be shard numbers separated by commas"),
        ("0", None, "DISCORD_SHARD_COUNT input should be greater than or equal to 1"),
        ("0", "0", "DISCORD_SHARD_COUNT input should be greater than or equal to 1"),
        ("two", None, "DISCORD_SHARD_COUNT input should be a valid integer"),
        ("100000", None, "DISCORD_SHARD_COUNT input should be less than or equal to 65536"),
        ("2", "1," * 3000, "DISCORD_SHARD_IDS is longer than 4000 characters"),
    ],
)
def test_bad_shard_settings_are_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str | None, said: str
) -> None:
    if count is not None:
        monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    if ids is not None:
        monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    with pytest.raises(SettingsError, match=re.escape(said)) as err:
        load_settings()
    message = str(err.value)
    assert "\n" not in message and len(message) < 300


def test_the_settings_reach_the_client(monkeypatch: pytest.MonkeyPatch, service) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "3")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "2,1")
    client = build_client(service, load_settings())
    assert (client.shard_count, client.shard_ids) == (3, [1, 2])
    assert not client.syncs_commands  # shard 0 is another process's
    assert build_client(service, load_settings(discord_shard_ids="0,2")).syncs_commands
    monkeypatch.delenv("DISCORD_SHARD_COUNT")
    monkeypatch.delenv("DISCORD_SHARD_IDS")
    unsharded = build_client(service, load_settings())
    assert unsharded.shard_ids is None and unsharded.syncs_commands
