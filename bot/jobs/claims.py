"""Claims as leases: which process runs a job for a period, until when, and whether it finished.

A row of ``scheduler_claims`` (migration 0005) is one run of a job for one period (job key +
ISO week). :meth:`Claims.claim` takes it when there is no row yet, or when the row is not done
and its lease expired (the process that held it was killed): one ``INSERT ... ON CONFLICT DO
UPDATE ... WHERE`` statement, so two processes racing for it on PostgreSQL or SQLite cannot both
win. The owner renews the lease while it works, marks the row done when the work succeeded, and
deletes it when it failed (the next run, or an operator's, may try again).

:meth:`Claims.queue` leaves a row nobody holds (an expired lease), for a job this process cannot
do: a process that can finds it with :meth:`Claims.open` and claims it.

Times are ``time.time()`` of the process writing them: hosts sharing a database keep their
clocks in sync (NTP); a lease lasts minutes, far more than their drift.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    and_,
    delete,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.engine import BEGIN_OPTION

logger = logging.getLogger(__name__)

CLAIMS_TABLE = "scheduler_claims"
DEFAULT_LEASE_S = 120.0

_metadata = MetaData()
claims_t = Table(
    CLAIMS_TABLE,
    _metadata,
    Column("job", String(191), primary_key=True),
    Column("period", String(32), primary_key=True),
    # When the period's run was first claimed (or queued); a takeover keeps it, so a run that
    # keeps killing its process is not retried past its grace time.
    Column("claimed_at", Float, nullable=False),
    Column("owner", String(128)),  # host:pid:random of the holder; NULL: queued, nobody holds it
    Column("lease_until", Float),  # NULL: a claim of a release without leases (never taken over)
    Column("done_at", Float),
)


def process_owner() -> str:
    """This process's owner name: host, pid and a random part (pids are reused)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Claim:
    job: str
    period: str
    claimed_at: float
    owner: str | None
    lease_until: float | None
    done_at: float | None


class Claims:
    """The claims of one process (``owner``) on ``engine``; every method is one short
    transaction (blocking: call them in a thread from the event loop)."""

    def __init__(
        self,
        engine: Engine,
        *,
        owner: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.owner = owner or process_owner()
        self.lease_s = lease_s
        self.clock = clock
        # SQLite: take the write lock up front (waits the busy timeout) instead of failing
        # half-way when another process writes.
        self._writer = engine.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})

    def _insert(self) -> Any:
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return postgresql.insert(claims_t)
        if dialect == "sqlite":
            return sqlite.insert(claims_t)
        raise NotImplementedError(f"claims need INSERT ... ON CONFLICT (not {dialect})")

    def claim(self, job: str, period: str) -> bool:
        """Take ``(job, period)`` for this process: True when it is ours now. False when it is
        done, or held by a process whose lease has not expired (this one included)."""
        now = self.clock()
        c = claims_t.c
        stmt = self._insert().values(
            job=job, period=period, claimed_at=now, owner=self.owner, lease_until=now + self.lease_s
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.job, c.period],
            set_={"owner": stmt.excluded.owner, "lease_until": stmt.excluded.lease_until},
            where=and_(c.done_at.is_(None), c.lease_until < now),
        ).returning(c.owner)
        with self._writer.begin() as conn:
            row = conn.execute(stmt).first()
        return row is not None

    def queue(self, job: str, period: str) -> bool:
        """Leave ``(job, period)`` for another process (held by nobody); False when a row was
        there already (done, held, or queued before)."""
        now = self.clock()
        stmt = (
            self._insert()
            .values(job=job, period=period, claimed_at=now, owner=None, lease_until=0.0)
            .on_conflict_do_nothing(index_elements=[claims_t.c.job, claims_t.c.period])
            .returning(claims_t.c.job)
        )
        with self._writer.begin() as conn:
            return conn.execute(stmt).first() is not None

    def _mine(self, job: str, period: str) -> Any:
        c = claims_t.c
        return and_(c.job == job, c.period == period, c.owner == self.owner, c.done_at.is_(None))

    def renew(self, job: str, period: str) -> bool:
        """Extend this process's lease; False when it is no longer ours (taken over)."""
        stmt = (
            update(claims_t)
            .where(self._mine(job, period))
            .values(lease_until=self.clock() + self.lease_s)
        )
        with self._writer.begin() as conn:
            return conn.execute(stmt).rowcount == 1

    def done(self, job: str, period: str) -> None:
        """Mark the run finished: nobody claims it again."""
        now = self.clock()
        c = claims_t.c
        stmt = (
            update(claims_t)
            .where(c.job == job, c.period == period, c.done_at.is_(None))
            .values(done_at=now, lease_until=now)
        )
        with self._writer.begin() as conn:
            conn.execute(stmt)

    def release(self, job: str, period: str) -> None:
        """Give up this process's claim (the work failed): the period may be claimed again."""
        with self._writer.begin() as conn:
            conn.execute(delete(claims_t).where(self._mine(job, period)))

    def open(self, since: float) -> list[Claim]:
        """Claims claimed (or queued) since ``since`` that are not done and whose lease expired:
        runs that a killed process left, and runs queued for another process."""
        c = claims_t.c
        query = select(claims_t).where(
            c.done_at.is_(None), c.lease_until < self.clock(), c.claimed_at >= since
        )
        with self.engine.connect() as conn:
            return [Claim(**row._mapping) for row in conn.execute(query)]

    def get(self, job: str, period: str) -> Claim | None:
        query = select(claims_t).where(claims_t.c.job == job, claims_t.c.period == period)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return Claim(**row._mapping) if row is not None else None
