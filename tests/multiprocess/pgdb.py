"""A fresh PostgreSQL database per test on the server that ``.ci/postgres.sh`` starts
(``TEST_POSTGRES_URL``), dropped afterwards; the test is skipped without one."""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

PG_ENV = "TEST_POSTGRES_URL"


@contextmanager
def new_pg_database(prefix: str = "eb_mp") -> Iterator[str]:
    """The URL of a new, empty database (dropped, connections and all, at the end)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set (`source .ci/postgres.sh` starts a server and sets it)")
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: Engine, name: str, tries: int = 20) -> None:
    """Drop ``name``, connections and all. An autovacuum worker in it belongs to the superuser,
    whom the test role may not terminate (``InsufficientPrivilege``): it ends by itself, so the
    drop is tried again; a database still left is only a leftover on a throwaway server."""
    for attempt in range(tries):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError as exc:
            if attempt == tries - 1:
                warnings.warn(f"test database {name} left behind: {exc.orig}", stacklevel=2)
                return
            time.sleep(0.5)
