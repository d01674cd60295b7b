"""Storage fixtures: every test taking ``db_url`` runs on a real SQLite file and on the real
PostgreSQL server that ``.ci/postgres.sh`` starts (``TEST_POSTGRES_URL``), each test with a
fresh database of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest
from sqlalchemy import Engine

from bot.storage import SqlStore, make_engine, upgrade
from tests.multiprocess.pgdb import new_pg_database


def _new_pg_database() -> AbstractContextManager[str]:
    return new_pg_database("eb_test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """An empty database: a SQLite file in ``tmp_path``, or a new database on the PG server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'bot.db'}"
        return
    with _new_pg_database() as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty database of its own on the PostgreSQL server (skipped without one)."""
    with _new_pg_database() as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlStore:
    return SqlStore(engine)
