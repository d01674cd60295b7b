"""Claims as leases (bot.jobs.claims) on a real SQLite file and a real PostgreSQL database: racing
processes (engines in threads) never both win, an expired lease left undone is taken over, a done
run is never taken again; and migration 0005 on a database whose scheduler made its own tables."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Column, Engine, Float, MetaData, String, Table, insert, inspect, text

from bot.jobs.claims import Claims
from bot.storage import make_engine, upgrade
from tests.multiprocess.pgdb import new_pg_database

JOB, WEEK = "summary:slack:T1", "2026-W48"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    with new_pg_database("eb_jobs") as pg:
        yield pg


@pytest.fixture
def engines(url: str) -> Iterator[list[Engine]]:
    """Four engines (four would-be processes) on the database migrated to head."""
    upgrade(url)
    made = [make_engine(url) for _ in range(4)]
    yield made
    for engine in made:
        engine.dispose()


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _race(engines: list[Engine], week: str) -> list[bool]:
    """Every engine's process claims (JOB, week) at the same moment; who won."""
    claims = [Claims(e, owner=f"p{i}") for i, e in enumerate(engines)]
    barrier = threading.Barrier(len(claims))
    won = [False] * len(claims)

    def race(i: int) -> None:
        barrier.wait()
        won[i] = claims[i].claim(JOB, week)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(claims))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


def test_racing_claims_have_exactly_one_winner(engines: list[Engine]) -> None:
    for round_ in range(5):
        week = f"2026-W{10 + round_}"
        won = _race(engines, week)
        assert sum(won) == 1, won
        row = Claims(engines[0]).get(JOB, week)
        assert row is not None and row.owner == f"p{won.index(True)}"


def test_racing_takeovers_of_an_expired_lease_have_exactly_one_winner(
    engines: list[Engine],
) -> None:
    for round_ in range(5):
        week = f"2026-W{20 + round_}"
        # A process that died holding the run: its lease ended ten seconds ago.
        assert Claims(engines[0], owner="dead", lease_s=-10).claim(JOB, week)
        won = _race(engines, week)
        assert sum(won) == 1, won


def test_an_expired_lease_left_undone_is_taken_over(engines: list[Engine]) -> None:
    clock = Clock()
    dead = Claims(engines[0], owner="dead", lease_s=60, clock=clock)
    alive = Claims(engines[1], owner="alive", lease_s=60, clock=clock)
    assert dead.claim(JOB, WEEK)
    first = dead.get(JOB, WEEK)
    assert first is not None
    clock.now += 30
    assert not alive.claim(JOB, WEEK)  # the lease still runs
    assert alive.open(since=0) == []
    assert dead.renew(JOB, WEEK)  # the holder renews: now + 60
    clock.now += 59
    assert not alive.claim(JOB, WEEK)
    clock.now += 2  # the holder died: no renewal came
    assert [c.job for c in alive.open(since=0)] == [JOB]
    assert alive.claim(JOB, WEEK)
    taken = alive.get(JOB, WEEK)
    assert taken is not None and taken.owner == "alive"
    assert taken.claimed_at == first.claimed_at  # the run's first claim: its grace counts from it
    assert not dead.renew(JOB, WEEK)  # a holder that comes back learns it lost the run
    dead.release(JOB, WEEK)  # and cannot give away what is no longer its own
    assert alive.get(JOB, WEEK) is not None
    assert not alive.claim(JOB, WEEK)  # a process does not take its own live claim twice


def test_a_done_claim_is_never_taken_again(engines: list[Engine]) -> None:
    clock = Clock()
    first = Claims(engines[0], owner="first", lease_s=60, clock=clock)
    other = Claims(engines[1], owner="other", lease_s=60, clock=clock)
    assert first.claim(JOB, WEEK)
    first.done(JOB, WEEK)
    clock.now += 10 * 86_400
    assert not other.claim(JOB, WEEK)
    assert not other.queue(JOB, WEEK)
    assert other.open(since=0) == []
    done = other.get(JOB, WEEK)
    assert done is not None and done.done_at is not None and done.owner == "first"


def test_a_released_claim_can_be_claimed_again(engines: list[Engine]) -> None:
    first = Claims(engines[0], owner="first")
    other = Claims(engines[1], owner="other")
    assert first.claim(JOB, WEEK)
    first.release(JOB, WEEK)  # the post failed
    assert other.claim(JOB, WEEK)


def test_a_queued_run_is_open_to_whoever_can_do_it(engines: list[Engine]) -> None:
    clock = Clock()
    leader = Claims(engines[0], owner="leader", clock=clock)
    worker = Claims(engines[1], owner="worker", clock=clock)
    assert leader.queue(JOB, WEEK)
    assert not leader.queue(JOB, WEEK)  # queued once
    (row,) = worker.open(since=clock.now - 1)
    assert (row.job, row.period, row.owner) == (JOB, WEEK, None)
    assert worker.open(since=clock.now + 1) == []  # older than the grace time: left alone
    assert worker.claim(JOB, WEEK)
    assert worker.open(since=0) == []


def test_a_claim_of_the_previous_release_is_never_taken_over(engines: list[Engine]) -> None:
    # The previous release inserts (job, period, claimed_at) only: no lease, no done marker.
    with engines[0].begin() as conn:
        conn.execute(
            text("INSERT INTO scheduler_claims (job, period, claimed_at) VALUES (:j, :p, 1.0)"),
            {"j": JOB, "p": WEEK},
        )
    claims = Claims(engines[1], owner="new")
    assert not claims.claim(JOB, WEEK)
    assert claims.open(since=0) == []


# --- migration 0005 -------------------------------------------------------------------------


def _columns(engine: Engine, table: str) -> dict[str, tuple[str, bool]]:
    return {
        c["name"]: (type(c["type"]).__name__, c["nullable"])
        for c in inspect(engine).get_columns(table)
    }


@contextmanager
def _same_kind_of_empty_database(url: str, tmp_path: Path) -> Iterator[Engine]:
    if url.startswith("sqlite"):
        engine = make_engine(f"sqlite:///{tmp_path / 'reference.db'}")
        yield engine
        engine.dispose()
        return
    with new_pg_database("eb_ref") as other:
        engine = make_engine(other)
        yield engine
        engine.dispose()


def _shape(engine: Engine) -> tuple[object, ...]:
    table = "apscheduler_jobs"
    found = inspect(engine)
    return (
        _columns(engine, table),
        found.get_pk_constraint(table)["constrained_columns"],
        sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(table)),
    )


def test_0005_creates_apschedulers_own_table(url: str, tmp_path: Path) -> None:
    upgrade(url)
    ours = make_engine(url)
    try:
        with _same_kind_of_empty_database(url, tmp_path) as reference:
            SQLAlchemyJobStore(engine=reference).jobs_t.create(reference)  # APScheduler's own
            assert _shape(ours) == _shape(reference)
    finally:
        ours.dispose()


def test_0005_adopts_the_tables_the_scheduler_made_at_run_time(url: str) -> None:
    upgrade(url, "0004")
    engine = make_engine(url)
    try:
        # What the previous release created at run time, with a job and a claim in them.
        SQLAlchemyJobStore(engine=engine).jobs_t.create(engine)
        old = Table(
            "scheduler_claims",
            MetaData(),
            Column("job", String(191), primary_key=True),
            Column("period", String(32), primary_key=True),
            Column("claimed_at", Float, nullable=False),
        )
        old.create(engine)
        with engine.begin() as conn:
            conn.execute(insert(old).values(job=JOB, period=WEEK, claimed_at=5.0))
            conn.execute(
                text(
                    "INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (:i, 1, :s)"
                ),
                {"i": "retention:daily", "s": b"state"},
            )
        upgrade(url)
        assert set(_columns(engine, "scheduler_claims")) == {
            "job",
            "period",
            "claimed_at",
            "owner",
            "lease_until",
            "done_at",
        }
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars().all() == [
                "retention:daily"
            ]
        claims = Claims(engine, owner="new")
        kept = claims.get(JOB, WEEK)
        assert kept is not None and kept.done_at == 5.0  # it ran: never again
        assert not claims.claim(JOB, WEEK)
        assert claims.claim(JOB, "2026-W49")
    finally:
        engine.dispose()
