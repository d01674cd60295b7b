"""SQLite specifics: pragmas, folders, concurrent writers, and what a locked database does.

Defined behaviour for a locked database: a write waits up to the engine's busy timeout for the
other writer, then raises :class:`StoreBusyError` (a ``TimeoutError``) having written nothing;
reads go on working meanwhile (WAL).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot.storage import SqlStore, StoreBusyError, make_engine, upgrade
from bot.storage.engine import normalise_url
from bot.storage.tables import Message, metadata
from tests.storage.storage_helpers import ANN, BOB, T0, msg, pred


def _migrated(tmp_path: Path, busy_timeout_ms: int = 5_000) -> tuple[Path, SqlStore]:
    path = tmp_path / "nested" / "deeper" / "bot.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    return path, SqlStore(make_engine(url, busy_timeout_ms=busy_timeout_ms))


def test_pragmas_and_parent_folder(tmp_path: Path) -> None:
    path, store = _migrated(tmp_path, busy_timeout_ms=1234)
    assert path.is_file()
    with store.engine.connect() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "foreign_keys": 1,
        "busy_timeout": 1234,
    }


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgres://u:p@127.0.0.1/db", "postgresql+psycopg"),
        ("postgresql://u:p@127.0.0.1/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u:p@127.0.0.1/db", "postgresql+psycopg"),
        ("sqlite:///x.db", "sqlite"),
    ],
)
def test_url_spellings(given: str, driver: str) -> None:
    assert make_url(normalise_url(given)).drivername == driver


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    _, store = _migrated(tmp_path)
    row = {
        "platform": "discord",
        "message_id": "m1",
        "community_id": "nowhere",
        "channel_id": "nothing",
        "user_id": "nobody",
        "sent_at": T0,
        "label": "joy",
        "labels": ["joy"],
        "scores": {},
        "model_version": "v1",
        "stored_at": T0,
    }
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(Message).values(**row))


def test_locked_database_raises_store_busy_after_the_timeout(tmp_path: Path) -> None:
    path, store = _migrated(tmp_path, busy_timeout_ms=300)
    store.save_classification(msg("m0"), pred())
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        started = time.monotonic()
        with pytest.raises(StoreBusyError, match="locked"):
            store.save_classification(msg("m1"), pred())
        waited = time.monotonic() - started
        assert 0.25 <= waited < 3
        assert isinstance(StoreBusyError("x"), TimeoutError)
        # Readers are not blocked by a writer in WAL mode.
        assert store.get_message("discord", "m0") is not None
        assert store.is_opted_out(ANN) is False
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.get_message("discord", "m1") is None  # nothing half-written
    store.save_classification(msg("m1"), pred())
    assert store.get_message("discord", "m1") is not None


def test_a_writer_waits_for_a_short_lock(tmp_path: Path) -> None:
    path, store = _migrated(tmp_path, busy_timeout_ms=5_000)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: blocker.execute("ROLLBACK"))
    release.start()
    try:
        started = time.monotonic()
        store.save_classification(msg("m1"), pred())
        assert time.monotonic() - started >= 0.25
    finally:
        release.join()
        blocker.close()
    assert store.get_message("discord", "m1") is not None


def test_concurrent_writers_from_threads_all_land(tmp_path: Path) -> None:
    _, store = _migrated(tmp_path)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(40):
                user = ANN if i % 2 else BOB
                store.save_classification(msg(f"w{worker}-{i}", user=user, minutes=i), pred())
                store.is_opted_out(user)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.messages(platform="discord", community_id="g1", since=T0)) == 160


def test_in_memory_database_is_shared_across_threads() -> None:
    engine = make_engine("sqlite://")
    metadata.create_all(engine)
    store = SqlStore(engine)
    worker = threading.Thread(target=store.save_classification, args=(msg("m1"), pred()))
    worker.start()
    worker.join()
    assert store.get_message("discord", "m1") is not None
