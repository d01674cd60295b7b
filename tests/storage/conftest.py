"""Storage fixtures: every test taking ``db_url`` runs on a real SQLite file and on the real
PostgreSQL server that ``.ci/postgres.sh`` starts (``TEST_POSTGRES_URL``), each test with a
fresh database of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from bot.storage import SqlStore, make_engine, upgrade

PG_ENV = "TEST_POSTGRES_URL"


@contextmanager
def _new_pg_database() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (`source .ci/postgres.sh` starts a server and sets it)")
    name = f"eb_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


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
