"""Alembic migrations on SQLite and PostgreSQL: up, down, up again; models and migrations agree."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot import cli
from bot.storage import current, downgrade, make_engine, upgrade
from bot.storage.migrate import SCHEDULER_TABLES, alembic_config, head, migrations_dir
from bot.storage.tables import metadata

TABLES = {
    "communities",
    "channels",
    "members",
    "messages",
    "labels",
    "distress_flags",
    "model_versions",
    "job_runs",
    "empathy_cooldowns",  # 0006
    "seen_events",  # 0006
    "community_exemplars",  # 0007
    "distress_evidence",  # 0007
    *SCHEDULER_TABLES,  # 0005: the scheduler's own, not models (autogenerate leaves them)
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, type_, _: (
                        not (type_ == "table" and name in SCHEDULER_TABLES)
                    ),
                },
            )
            return list(compare_metadata(ctx, metadata))
    finally:
        engine.dispose()


def test_upgrade_down_to_base_and_up_again(db_url: str) -> None:
    assert current(db_url) is None
    assert _tables(db_url) == set()

    assert upgrade(db_url) == head()
    assert _tables(db_url) == TABLES

    assert downgrade(db_url, "base") is None
    assert _tables(db_url) == set()

    assert upgrade(db_url) == head()
    assert _tables(db_url) == TABLES


def test_models_and_migrations_agree(db_url: str) -> None:
    upgrade(db_url)
    assert _diff(db_url) == []


def test_message_table_has_no_text_column(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("messages")}
    finally:
        engine.dispose()
    assert "text" not in columns
    assert {"platform", "message_id", "user_id", "sent_at", "label", "scores"} <= columns


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade(db_url)
    assert upgrade(db_url) == head()
    assert _tables(db_url) == TABLES


def test_migrations_work_from_any_directory(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert upgrade(url) == head()


def test_env_takes_the_url_from_settings_when_none_given(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    monkeypatch.chdir(tmp_path)  # no .env here
    db = tmp_path / "from-settings" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    config = alembic_config("unused")
    del config.attributes["database_url"]
    command.upgrade(config, "head")
    assert db.is_file()
    assert current(f"sqlite:///{db}") == head()


def test_cli_upgrade_current_downgrade(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli.main(["db", "current", "--url", url]) == 0
    assert "never migrated" in capsys.readouterr().out

    assert cli.main(["db", "upgrade", "--url", url]) == 0
    assert f"upgraded empty -> {head()}" in capsys.readouterr().out

    assert cli.main(["db", "current", "--url", url]) == 0
    assert "up to date" in capsys.readouterr().out

    assert cli.main(["db", "downgrade", "base", "--url", url]) == 0
    assert "downgraded" in capsys.readouterr().out
    assert current(url) is None
    assert _tables(url) == set()


@pytest.mark.postgres
def test_cli_hides_the_password(capsys: pytest.CaptureFixture[str], pg_url: str) -> None:
    assert cli.main(["db", "upgrade", "--url", pg_url]) == 0
    out = capsys.readouterr().out
    assert "***" in out
    assert ":emotion_bot@" not in out


def test_a_failing_migration_leaves_the_database_as_it_was(db_url: str, tmp_path) -> None:
    import shutil

    from alembic import command

    scripts = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0002_broken.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "revision = '0099'\n"
        f"down_revision = {head()!r}\n"
        "branch_labels = depends_on = None\n"
        "def upgrade():\n"
        "    op.create_table('half_done', sa.Column('id', sa.Integer, primary_key=True))\n"
        "    op.execute('SELECT * FROM no_such_table')\n"
        "def downgrade():\n"
        "    pass\n"
    )
    config = alembic_config(db_url)
    config.set_main_option("script_location", str(scripts))
    command.upgrade(config, head())
    with pytest.raises(Exception, match="no_such_table"):
        command.upgrade(config, "head")
    assert current(db_url) == head()
    assert _tables(db_url) == TABLES


def test_labels_repeated_by_one_person_collapse_to_the_newest(db_url: str) -> None:
    # Issue 16, item 15: labelling a message twice stored two rows; 0002 keeps the newest.
    from sqlalchemy import text

    upgrade(db_url, "0001")
    engine = make_engine(db_url)
    row = (
        "INSERT INTO labels (platform, community_id, message_id, text, emotion, labelled_by,"
        " labelled_at) VALUES ('p', 'g', :m, 't', :e, :by, CURRENT_TIMESTAMP)"
    )
    try:
        with engine.begin() as conn:
            for m, e, by in [("m1", "joy", "u1"), ("m1", "anger", "u1"), ("m1", "fear", "u2")]:
                conn.execute(text(row), {"m": m, "e": e, "by": by})
            conn.execute(text(row.replace(":m", "NULL")), {"e": "joy", "by": "u1"})
            conn.execute(text(row.replace(":m", "NULL")), {"e": "joy", "by": "u1"})
        upgrade(db_url)
        with engine.connect() as conn:
            kept = conn.execute(
                text("SELECT message_id, labelled_by, emotion FROM labels ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in kept] == [
        ("m1", "u1", "anger"),
        ("m1", "u2", "fear"),
        (None, "u1", "joy"),
        (None, "u1", "joy"),
    ]
    downgrade(db_url, "0001")  # and back
    upgrade(db_url)
