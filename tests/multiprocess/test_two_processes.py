"""Two real bot processes (``python -m bot run``) on one fresh PostgreSQL database: they start
together on an empty database and both come up; a job forced due runs once and its summary is
posted once; with the leader killed by SIGKILL in the middle of a summary, the other process
posts it; with one process per platform (the console, Slack against the fake Slack) every
platform's summary is posted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.core.events import CommunityRef
from bot.core.records import CommunitySettings
from bot.jobs.scheduler import RETENTION_JOB, summary_job_id
from bot.storage import SqlStore, make_engine, upgrade
from tests.multiprocess.bots import MODEL, Bot, force_due, persisted_jobs, until
from tests.multiprocess.pgdb import new_pg_database
from tests.slack.fake_slack import TEAM_ID, TEAM_NAME, FakeSlack

pytestmark = [
    pytest.mark.multiprocess,
    pytest.mark.postgres,
    pytest.mark.skipif(not (MODEL / "model.onnx").is_file(), reason="the real model is missing"),
]

CONSOLE = CommunityRef("console", "console", "console")
SLACK = CommunityRef("slack", TEAM_ID, TEAM_NAME)
MOD_CHANNEL = "C0MODS"
START_S = 120  # two processes loading the model on two shared cores


@pytest.fixture
def empty_url() -> Iterator[str]:
    with new_pg_database() as url:
        yield url


@pytest.fixture
def url(empty_url: str) -> str:
    """A migrated database that knows a console community and a Slack workspace (its
    moderators' channel set), as a running deployment would."""
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        store = SqlStore(engine)
        store.save_community_settings(CONSOLE, CommunitySettings())
        store.save_community_settings(SLACK, CommunitySettings(mod_channel_id=MOD_CHANNEL))
    finally:
        engine.dispose()
    return empty_url


def claims(url: str) -> dict[str, tuple[str | None, float | None]]:
    """job -> (owner, done_at) of every claim."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT job, owner, done_at FROM scheduler_claims"))
            return {job: (owner, done) for job, owner, done in rows}
    finally:
        engine.dispose()


def done(url: str, job: str) -> bool:
    claim = claims(url).get(job)
    return claim is not None and claim[1] is not None


def owned_by(claim: tuple[str | None, float | None] | None, bot: Bot) -> bool:
    return claim is not None and f":{bot.pid}:" in (claim[0] or "")


async def leaders(*bots: Bot) -> list[Bot]:
    return [b for b in bots if await b.leader()]


async def one_leader(*bots: Bot) -> tuple[Bot, Bot]:
    """Wait until both answer and exactly one leads: (leader, follower)."""

    async def settled() -> bool:
        return all([await b.healthy() for b in bots]) and len(await leaders(*bots)) == 1

    await until(settled, START_S, "both processes up, one leader", *bots)
    (lead,) = await leaders(*bots)
    return lead, next(b for b in bots if b is not lead)


async def runs(bots: tuple[Bot, ...], job: str, outcome: str) -> float:
    total = 0.0
    for bot in bots:
        total += await bot.value("emotion_bot_job_runs_total", job=job, outcome=outcome) or 0.0
    return total


@pytest.mark.parametrize("attempt", range(4))
async def test_concurrent_first_starts_on_an_empty_database_both_come_up(
    empty_url: str, tmp_path: Path, attempt: int
) -> None:
    bots = (Bot("a", empty_url, tmp_path), Bot("b", empty_url, tmp_path))
    try:
        for bot in bots:
            bot.start()  # together: both migrate the empty database on start
        await one_leader(*bots)
        assert [await b.stop() for b in bots] == [0, 0]
    finally:
        for bot in bots:
            bot.close()
    for bot in bots:
        assert "Traceback" not in bot.stderr(), bot.describe()


async def test_a_job_forced_due_runs_once_and_its_summary_is_posted_once(
    url: str, tmp_path: Path
) -> None:
    bots = (Bot("a", url, tmp_path), Bot("b", url, tmp_path))
    job = summary_job_id(CONSOLE)
    try:
        for bot in bots:
            bot.start()
        await one_leader(*bots)
        await until(lambda: {job, RETENTION_JOB} <= persisted_jobs(url), 30, "the jobs", *bots)
        force_due(url, job, RETENTION_JOB)

        await until(lambda: sum(b.console_posts() for b in bots) >= 1, 30, "the post", *bots)
        await until(lambda: done(url, job), 30, "the claim done", *bots)

        async def retention_ran() -> bool:
            return await runs(bots, "retention", "ok") >= 1

        await until(retention_ran, 30, "the retention run", *bots)
        await _quiet(bots)
        assert sum(b.console_posts() for b in bots) == 1
        assert await runs(bots, "retention", "ok") == 1  # not once per process
        assert await runs(bots, "summary", "posted") == 1
    finally:
        for bot in bots:
            bot.close()


async def _quiet(bots: tuple[Bot, ...]) -> None:
    """Let several claims checks and leader checks (every 0.5 s) pass in every process: what
    would run a second time has had its chance."""
    await asyncio.sleep(3)
    for bot in bots:
        assert bot.alive(), bot.describe()


async def test_the_leader_killed_mid_summary_the_other_process_posts_it(
    url: str, tmp_path: Path
) -> None:
    bots = (Bot("a", url, tmp_path), Bot("b", url, tmp_path))
    job = summary_job_id(CONSOLE)
    blocker = create_engine(url)
    try:
        for bot in bots:
            bot.start()
        lead, other = await one_leader(*bots)
        await until(lambda: job in persisted_jobs(url), 30, "the summary job", *bots)
        with blocker.connect() as conn:
            # A long summary: its query on messages waits behind this lock until we let go.
            conn.exec_driver_sql("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
            force_due(url, job)
            await until(lambda: owned_by(claims(url).get(job), lead), 30, "the claim", *bots)
            lead.kill()  # SIGKILL, mid-summary: the claim stays, undone
            conn.rollback()
        await until(lambda: other.console_posts() == 1, 60, "the post by the other", other)
        await until(lambda: done(url, job), 30, "the claim done", other)
        assert owned_by(claims(url).get(job), other)
        assert await other.leader()
        await _quiet((other,))
        assert other.console_posts() == 1 and lead.console_posts() == 0
    finally:
        for bot in bots:
            bot.close()
        blocker.dispose()


async def test_one_process_per_platform_posts_every_platforms_summary(
    url: str, tmp_path: Path
) -> None:
    fake = FakeSlack()
    await fake.start()
    console = Bot("console", url, tmp_path)
    slack = Bot("slack", url, tmp_path, slack_api=fake.base_url)
    bots = (console, slack)
    jobs = (summary_job_id(CONSOLE), summary_job_id(SLACK))

    def slack_posts() -> int:
        return sum(
            1 for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == MOD_CHANNEL
        )

    try:
        for bot in bots:
            bot.start()
        await one_leader(*bots)  # whichever leads, one platform is the other process's
        await until(lambda: set(jobs) <= persisted_jobs(url), 30, "the summary jobs", *bots)
        force_due(url, *jobs)
        await until(lambda: console.console_posts() == 1, 30, "the console post", *bots)
        await until(lambda: slack_posts() == 1, 30, "the Slack post", *bots)
        await until(lambda: all(done(url, j) for j in jobs), 30, "both claims done", *bots)
        assert owned_by(claims(url)[jobs[0]], console)
        assert owned_by(claims(url)[jobs[1]], slack)
        await _quiet(bots)
        assert console.console_posts() == 1 and slack_posts() == 1
    finally:
        for bot in bots:
            bot.close()
        await fake.stop()
