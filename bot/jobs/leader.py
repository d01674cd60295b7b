"""Which process leads the scheduler: the holder of a PostgreSQL session-level advisory lock.

:meth:`LeaderLock.hold` takes ``pg_try_advisory_lock(key)`` on a connection of its own, kept open
(outside any pool: a pooled connection would keep the lock after its "close") for as long as this
process leads. Called again, it checks that connection; when the connection is gone the session
ended, PostgreSQL released the lock, and this process is no longer the leader: it tries to take
the lock again only at its next call (the server frees the lock of a killed process the same way,
so another process takes over at its next try).
Advisory locks are per database: bots on other databases of one server do not interfere.

Any other database (SQLite: one process per file) has no such lock: the process is the leader.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.storage.migrate import advisory_key

logger = logging.getLogger(__name__)

SCHEDULER_LOCK = "emotion-bot:scheduler"

# libpq: give up connecting after 10 s; TCP keepalives notice a server that vanished.
_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class LeaderLock:
    """The leadership of one process on the database at ``url`` (see the module doc). Blocking
    calls: run them in a thread from the event loop."""

    def __init__(self, url: str | URL, *, name: str = SCHEDULER_LOCK) -> None:
        self.key = advisory_key(name)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        # True: PostgreSQL decides; False (SQLite): this process is always the leader.
        self.exclusive = make_url(url).get_backend_name() == "postgresql"
        if self.exclusive:
            self._engine = create_engine(url, poolclass=NullPool, connect_args=_CONNECT_ARGS)

    @property
    def held(self) -> bool:
        return not self.exclusive or self._conn is not None

    def hold(self) -> bool:
        """Keep or take the lock: True while this process leads."""
        if not self.exclusive:
            return True
        if self._conn is not None:
            if self._alive(self._conn):
                return True
            # Step down for one round: the lock is free (or already another's), and a process
            # that lost its connection is the least likely to keep the next one.
            logger.warning("the scheduler's lock connection was lost: no longer the leader")
            self._drop()
            return False
        return self._take()

    def _alive(self, conn: Connection) -> bool:
        try:
            conn.exec_driver_sql("SELECT 1")
            conn.commit()
            return True
        except SQLAlchemyError:
            return False

    def _take(self) -> bool:
        assert self._engine is not None
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            logger.warning("cannot reach the database to elect a scheduler leader: %s", _line(exc))
            return False
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            )
            conn.commit()  # a session-level lock outlives the transaction
        except SQLAlchemyError as exc:
            logger.warning("cannot take the scheduler's lock: %s", _line(exc))
            got = False
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()  # NullPool: the session ends, and with it the lock

    def release(self) -> None:
        """Give the lock up (at exit); another process leads at its next try."""
        conn = self._conn
        if conn is not None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                conn.commit()
            except SQLAlchemyError:
                pass  # the connection is gone: so is the lock
        self._drop()

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()


def _line(exc: BaseException) -> str:
    orig: Any = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:200]
