"""Start-up and the schema: ``AUTO_MIGRATE=false`` checks instead of migrating (one clear line when
the database is behind), and a database migrated by a newer release is run on unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage import current, head, make_engine, upgrade
from bot.storage.access import DatabaseUnusable, open_store_engine
from bot.storage.migrate import prepare_on_start

REPO = Path(__file__).resolve().parents[2]


def _cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(REPO), **env}
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        full.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_auto_migrate_an_empty_database_stops_the_start_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    result = _cli(["run", "--database-url", url], tmp_path, AUTO_MIGRATE="false")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("emotion-bot: ")
    assert "run `emotion-bot db upgrade` first" in line
    assert f"needs {head()}" in line
    assert current(url) is None  # nothing was migrated


def test_without_auto_migrate_a_database_one_revision_behind_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url, "0004")
    with pytest.raises(DatabaseUnusable, match="is at revision 0004, this release needs"):
        open_store_engine(url, auto_migrate=False)
    assert current(url) == "0004"
    engine = open_store_engine(url)  # the default migrates
    engine.dispose()
    assert current(url) == head()
    engine = open_store_engine(url, auto_migrate=False)  # and now the check passes
    engine.dispose()


def test_a_database_migrated_by_a_newer_release_is_run_on_unchanged(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:  # as a newer release's migration would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for auto in (True, False):
        assert prepare_on_start(url, auto_migrate=auto) == "9999"
    assert "newer than this release's" in caplog.text
    assert current(url) == "9999"
    result = _cli(["db", "current", "--url", url], tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"at 9999 (newer than this release's {head()}" in result.stdout
