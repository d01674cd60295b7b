"""Start-up with unusable settings or an unusable database: one clear line naming the setting or
the file, exit status 2, never a traceback (issue 16, item 14). Real processes and SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import upgrade
from tests.console.test_console import _cli, needs_model


def one_line(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("emotion-bot: ")
    return lines[0]


def chat(tmp_path: Path, url: str, stdin: str = "hello there\n"):
    return _cli(["chat", "--database-url", url], stdin=stdin, cwd=tmp_path)


def test_a_corrupt_database_file_is_named(tmp_path):
    db = tmp_path / "broken.db"
    db.write_bytes(b"this is not SQLite at all\n" * 200)
    line = one_line(chat(tmp_path, f"sqlite:///{db}"))
    assert str(db) in line and "corrupt" in line and "DATABASE_URL" in line


def test_a_read_only_database_stops_the_start_instead_of_dropping_every_message(tmp_path):
    db = tmp_path / "bot.db"
    upgrade(f"sqlite:///{db}")
    line = one_line(chat(tmp_path, f"sqlite:///file:{db}?mode=ro&uri=true"))
    assert str(db) in line and "read-only" in line
    with sqlite3.connect(db) as conn:  # and nothing was half-written
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (0,)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("nosuchdb://host/db", "DATABASE_URL names an unknown kind of database 'nosuchdb'"),
        ("mysql://user:pw@127.0.0.1/db", "needs the Python driver 'MySQLdb'"),
        ("postgresql://user:s3cret@127.0.0.1:1/db", "127.0.0.1:1/db (DATABASE_URL)"),
    ],
)
def test_bad_database_urls_get_one_line(tmp_path, url, said):
    line = one_line(chat(tmp_path, url))
    assert said in line and "s3cret" not in line


def test_db_upgrade_explains_too(tmp_path):
    line = one_line(_cli(["db", "upgrade", "--url", "nosuchdb://x/y"], cwd=tmp_path))
    assert "unknown kind of database" in line


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ("SUMMARY_MINUTE=99", "SUMMARY_MINUTE input should be less than or equal to 59"),
        ("SUMMARY_TIMEZONE=Mars/Olympus", "SUMMARY_TIMEZONE 'Mars/Olympus' is not a time zone"),
        ("RETRAIN_TIMEZONE=UTC+2", "RETRAIN_TIMEZONE 'UTC+2' is not a time zone"),
        ("CONSOLE_CHANNEL=" + "x" * 100_000, "CONSOLE_CHANNEL string should have at most 64"),
        ("LOG_LEVEL=loud", "LOG_LEVEL must be one of"),
    ],
)
def test_bad_settings_stop_the_start_with_one_line(tmp_path, env, said):
    (tmp_path / ".env").write_text(env + "\n")
    line = one_line(_cli(["run"], stdin="hello\n", cwd=tmp_path))
    assert said in line and len(line) < 300


@needs_model
@pytest.mark.slow
def test_log_level_is_honoured(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    (tmp_path / ".env").write_text("LOG_LEVEL=ERROR\n")
    quiet = _cli(["run", "--database-url", url], stdin="hello\n", cwd=tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert " INFO " not in quiet.stderr and "[c1]" in quiet.stdout
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\n")
    loud = _cli(["chat", "--database-url", url], stdin="hello\n", cwd=tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert " DEBUG " in loud.stderr
