"""Leadership and recovery of the scheduler across processes (processes stood in for by engines
and schedulers in one test process; tests/multiprocess runs real ones): on real PostgreSQL one of
two schedulers leads, the other takes over when the leader's lock connection dies or it stops;
on SQLite the one process leads. Runs a killed process left, and summaries of a platform the
leader has no adapter for, are done by a process that can, once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING, STATE_STOPPED
from sqlalchemy import create_engine, text

from bot.core.events import CommunityRef
from bot.core.options import CoreOptions
from bot.core.service import EmotionService
from bot.jobs.claims import Claims
from bot.jobs.leader import LeaderLock
from bot.jobs.options import JobOptions, RetrainOptions
from bot.jobs.runtime import JobRuntime
from bot.jobs.scheduler import BotScheduler, summary_job_id
from bot.storage import SqlStore, make_engine, upgrade
from tests.fakes import FakeClassifier
from tests.jobs.conftest import RecordingNotifier, wait_for
from tests.multiprocess.pgdb import new_pg_database

SLACK = CommunityRef("slack", "T1", "Acme")


@pytest.fixture
def pg() -> Iterator[str]:
    with new_pg_database("eb_jobs") as url:
        upgrade(url)
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        sqlite = f"sqlite:///{tmp_path / 'bot.db'}"
        upgrade(sqlite)
        yield sqlite
        return
    with new_pg_database("eb_jobs") as pg_url:
        upgrade(pg_url)
        yield pg_url


def _lock_holders(url: str, key: int) -> list[int]:
    """Server process ids of the sessions holding the advisory lock ``key`` in this database
    (pg_locks shows a bigint key as its high and low 32 bits, in classid and objid)."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    text(
                        "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
                        " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                        " AND d.datname = current_database()"
                        " AND l.classid = :high AND l.objid = :low"
                    ),
                    {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
                ).scalars()
            )
    finally:
        engine.dispose()


def _terminate(url: str, pid: int) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        engine.dispose()


# --- the lock -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_one_leader_and_the_other_takes_over_when_its_connection_dies(pg: str) -> None:
    first, second = LeaderLock(pg), LeaderLock(pg)
    try:
        assert first.hold() is True
        assert second.hold() is False
        assert first.hold() is True  # checked again: still held
        (holder,) = _lock_holders(pg, first.key)
        _terminate(pg, holder)  # the leader's session dies (a crash, a dropped connection)
        assert wait_sync(lambda: second.hold())
        assert first.hold() is False  # it notices, and cannot take it back
        second.release()  # a clean exit hands over at once
        assert first.hold() is True
    finally:
        first.close()
        second.close()


def wait_sync(predicate: Callable[[], bool], tries: int = 50) -> bool:
    import time

    for _ in range(tries):
        if predicate():
            return True
        time.sleep(0.1)  # the server ends the terminated session asynchronously
    return False


def test_on_sqlite_the_process_is_the_leader(tmp_path: Path) -> None:
    lock = LeaderLock(f"sqlite:///{tmp_path / 'bot.db'}")
    assert lock.hold() is True and lock.held
    lock.close()


# --- schedulers -----------------------------------------------------------------------------


class Process:
    """What one bot process has: its own engines, service, notifiers and scheduler."""

    def __init__(self, url: str, tmp_path: Path, name: str, platforms: tuple[str, ...]) -> None:
        self.store_engine = make_engine(url)
        store = SqlStore(self.store_engine)
        self.service = EmotionService(
            store=store,
            classifier=FakeClassifier(),
            options=CoreOptions(store_retry_delay_s=0.01, settings_cache_s=0.0),
        )
        self.notifiers = {p: RecordingNotifier() for p in platforms}
        self.runtime = JobRuntime(
            service=self.service,
            options=JobOptions(
                models_store=tmp_path / f"models-{name}",
                retrain_enabled=False,
                retrain=RetrainOptions(),
            ),
            default_model_dir=Path("."),
            notifiers=self.notifiers,
            communities=store.communities,
        )
        self.scheduler = BotScheduler(
            self.runtime,
            engine=make_engine(url),
            name=name,
            owner=name,
            lease_s=30,
            poll_s=0.2,
            leader_retry_s=0.2,
        )

    def posts(self) -> int:
        return sum(len(n.posts) for n in self.notifiers.values())

    async def close(self) -> None:
        self.scheduler.shutdown()
        await asyncio.sleep(0.05)  # AsyncIOScheduler shuts down on the next loop iteration
        await self.service.aclose()
        self.store_engine.dispose()


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Callable[..., Process]]:
    async with AsyncExitStack() as stack:

        def make(url: str, name: str, platforms: tuple[str, ...] = ("slack",)) -> Process:
            process = Process(url, tmp_path, name, platforms)
            stack.push_async_callback(process.close)
            return process

        yield make


@pytest.mark.postgres
async def test_two_schedulers_one_leader_which_hands_over(pg: str, processes) -> None:
    a, b = processes(pg, "a"), processes(pg, "b")
    await a.service.save_community_settings(SLACK, a.service.store.community_settings(SLACK))
    await a.scheduler.start()
    await b.scheduler.start()
    assert a.scheduler.leader and not b.scheduler.leader
    assert a.scheduler.scheduler.state == STATE_RUNNING
    assert b.scheduler.scheduler.state == STATE_STOPPED  # the persisted jobs run in one place
    assert {j.id for j in b.scheduler.jobs()} == {"watch:model"}  # the model watch: everywhere
    assert summary_job_id(SLACK) in {j.id for j in a.scheduler.jobs()}

    (holder,) = _lock_holders(pg, a.scheduler.lock.key)
    _terminate(pg, holder)  # the leader's lock connection dies
    assert await wait_for(lambda: b.scheduler.leader)
    assert await wait_for(lambda: not a.scheduler.leader)
    assert a.scheduler.scheduler.state == STATE_PAUSED  # it stopped running them
    assert b.scheduler.scheduler.state == STATE_RUNNING

    b.scheduler.shutdown()  # a clean exit: the lock is released, a takes over again
    assert await wait_for(lambda: a.scheduler.leader)
    assert a.scheduler.scheduler.state == STATE_RUNNING


def _done(process: Process, job: str, week: str) -> bool:
    claim = process.scheduler.claims.get(job, week)
    return claim is not None and claim.done_at is not None


async def test_a_run_left_by_a_killed_process_is_redone_once(url: str, processes) -> None:
    b = processes(url, "b")
    await b.service.save_community_settings(SLACK, b.service.store.community_settings(SLACK))
    week, _, _ = await b.runtime.summary_week(SLACK)
    job = summary_job_id(SLACK)
    # Process "dead" claimed the week and was killed mid-summary: its lease ran out undone.
    dead = Claims(make_engine(url), owner="dead", lease_s=-1)
    assert dead.claim(job, week)
    dead.engine.dispose()

    await b.scheduler.start()  # the restarted process (or any other one)
    assert await wait_for(lambda: b.posts() == 1)
    assert await wait_for(
        lambda: (c := b.scheduler.claims.get(job, week)) is not None and c.done_at is not None
    )
    claim = b.scheduler.claims.get(job, week)
    assert claim is not None and claim.owner == "b"
    assert await b.scheduler.recover() == []
    assert await b.scheduler.run_summary(SLACK) == "already_done"
    assert b.posts() == 1


async def test_a_platform_the_leader_does_not_serve_is_posted_by_one_that_does(
    url: str, processes
) -> None:
    leader = processes(url, "leader", ("console",))
    worker = processes(url, "worker", ("slack",))
    await leader.service.save_community_settings(
        SLACK, leader.service.store.community_settings(SLACK)
    )
    await leader.scheduler.start()
    assert await leader.scheduler.run_summary(SLACK) == "handed_off"  # as when its time comes
    assert leader.posts() == 0
    await worker.scheduler.start()
    assert await wait_for(lambda: worker.posts() == 1)
    week, _, _ = await worker.runtime.summary_week(SLACK)
    assert await wait_for(
        lambda: (
            (c := worker.scheduler.claims.get(summary_job_id(SLACK), week)) is not None
            and c.done_at is not None
        )
    )
    assert await leader.scheduler.run_summary(SLACK) == "handed_off"  # queued once, done once
    assert await worker.scheduler.recover() == []
    assert worker.posts() == 1 and leader.posts() == 0
