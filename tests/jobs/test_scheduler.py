"""The scheduler on a real SQLite file: jobs persist across a restart (two scheduler instances, one
after the other, on the same database), a run missed while the bot was down happens exactly once,
and no weekly job runs twice for the same week."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.core.events import CommunityRef
from bot.core.records import CommunitySettings
from bot.jobs.runtime import JobRuntime
from bot.jobs.scheduler import RETENTION_JOB, RETRAIN_JOB, BotScheduler, summary_job_id
from bot.storage import make_engine
from tests.jobs.conftest import wait_for

COMMUNITY = CommunityRef("test", "guild1", "Guild")
SUMMARY = summary_job_id(COMMUNITY)


@pytest.fixture
async def runtime(service, notifier, job_opts) -> AsyncIterator[JobRuntime]:
    await service.save_community_settings(COMMUNITY, CommunitySettings(timezone="Europe/Paris"))
    yield JobRuntime(
        service=service,
        options=job_opts,
        default_model_dir=Path("."),
        notifiers={"test": notifier},
        communities=lambda: [COMMUNITY],
    )


async def _start(runtime: JobRuntime, url: str) -> BotScheduler:
    scheduler = BotScheduler(runtime, engine=make_engine(url))
    await scheduler.start()
    return scheduler


async def _stop(scheduler: BotScheduler) -> None:
    import asyncio

    scheduler.shutdown()
    await asyncio.sleep(0.05)  # AsyncIOScheduler shuts down on the next loop iteration


def _persisted(scheduler: BotScheduler) -> dict[str, datetime]:
    return {j.id: j.next_run_time for j in scheduler.scheduler.get_jobs(jobstore="default")}


async def test_jobs_persist_across_a_restart_without_duplicates(runtime, sqlite_url) -> None:
    first = await _start(runtime, sqlite_url)
    jobs = _persisted(first)
    assert set(jobs) == {SUMMARY, RETRAIN_JOB, RETENTION_JOB}
    summary = first.scheduler.get_job(SUMMARY)
    assert summary.coalesce is True and summary.max_instances == 1
    # Monday 09:00 in the community's own time zone.
    trigger = summary.trigger
    assert isinstance(trigger, CronTrigger) and str(trigger.timezone) == "Europe/Paris"
    local = jobs[SUMMARY].astimezone(trigger.timezone)
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert {j.id for j in first.jobs()} >= {"reconcile", "watch:model"}
    await _stop(first)

    second = await _start(runtime, sqlite_url)
    try:
        assert _persisted(second) == jobs  # the same jobs, same next runs: not re-added
        assert await second.reconcile() == {}
        with second.engine.connect() as conn:
            from sqlalchemy import text

            rows = conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar_one()
        assert rows == 3
    finally:
        await _stop(second)


async def test_a_run_missed_while_down_happens_once(runtime, notifier, sqlite_url) -> None:
    first = await _start(runtime, sqlite_url)
    first.scheduler.pause()  # as if the bot went down: the summary became due meanwhile
    missed = datetime.now(UTC) - timedelta(minutes=5)  # within the grace time
    first.scheduler.modify_job(SUMMARY, "default", next_run_time=missed)
    await _stop(first)
    assert notifier.posts == []

    second = await _start(runtime, sqlite_url)  # the restart
    try:
        assert await wait_for(lambda: len(notifier.posts) == 1)
        job = second.scheduler.get_job(SUMMARY)
        now = datetime.now(UTC)
        # Rescheduled to the trigger's next regular slot after now, not left on the missed time.
        # (On a Monday morning before 09:00 that slot is today's, hence no "a week later" check.)
        assert job.next_run_time > now
        assert job.next_run_time == job.trigger.get_next_fire_time(None, now)
        # The same week cannot be posted twice, whoever fires the job again.
        assert await second.run_summary(COMMUNITY) == "already_done"
    finally:
        await _stop(second)

    third = await _start(runtime, sqlite_url)
    try:
        await wait_for(lambda: len(notifier.posts) > 1, timeout=1.0)
        assert len(notifier.posts) == 1
    finally:
        await _stop(third)


def _zone_without_a_slot_since(since: datetime) -> str:
    """A time zone whose Monday-09:00 summary slot did not fall between ``since`` and now.

    Otherwise a real slot inside the grace window (e.g. when the tests run on a Monday morning)
    is rightly sent late, and the test would not be testing the skip.
    """
    for hours in range(-12, 15):
        zone = f"Etc/GMT{-hours:+d}" if hours else "UTC"  # Etc/GMT-5 is UTC+5
        trigger = CronTrigger(day_of_week="mon", hour=9, minute=0, timezone=zone)
        if trigger.get_next_fire_time(None, since) > datetime.now(UTC) + timedelta(minutes=1):
            return zone
    raise AssertionError("every zone had a slot in the window")  # impossible for a 12-hour window


async def test_a_run_missed_beyond_the_grace_time_is_skipped(runtime, notifier, sqlite_url):
    too_late = datetime.now(UTC) - timedelta(seconds=runtime.options.summary_grace_s + 60)
    zone = _zone_without_a_slot_since(too_late - timedelta(minutes=1))
    await runtime.service.save_community_settings(COMMUNITY, CommunitySettings(timezone=zone))
    first = await _start(runtime, sqlite_url)
    first.scheduler.pause()
    first.scheduler.modify_job(SUMMARY, "default", next_run_time=too_late)
    await _stop(first)
    second = await _start(runtime, sqlite_url)
    try:
        await wait_for(lambda: bool(notifier.posts), timeout=1.0)
        assert notifier.posts == []
        assert second.scheduler.get_job(SUMMARY).next_run_time > datetime.now(UTC)
    finally:
        await _stop(second)


async def test_failed_post_releases_the_week_for_a_retry(runtime, notifier, sqlite_url) -> None:
    scheduler = await _start(runtime, sqlite_url)
    try:
        notifier.fail = True
        assert await scheduler.run_summary(COMMUNITY) == "failed"
        notifier.fail = False
        assert await scheduler.run_summary(COMMUNITY) == "posted"
        assert await scheduler.run_summary(COMMUNITY) == "already_done"
        assert len(notifier.posts) == 1
    finally:
        await _stop(scheduler)


async def test_reconcile_follows_a_time_zone_change_and_new_communities(
    runtime, service, sqlite_url
) -> None:
    scheduler = await _start(runtime, sqlite_url)
    try:
        await service.save_community_settings(
            COMMUNITY, CommunitySettings(timezone="America/New_York")
        )
        other = CommunityRef("test", "guild2", "Other")
        runtime._communities = lambda: [COMMUNITY, other]
        changes = await scheduler.reconcile()
        assert changes == {SUMMARY: "rescheduled", summary_job_id(other): "added"}
        job = scheduler.scheduler.get_job(SUMMARY)
        assert str(job.trigger.timezone) == "America/New_York"
        local = job.next_run_time.astimezone(job.trigger.timezone)
        assert (local.weekday(), local.hour) == (0, 9)
        # A platform without an adapter in this process gets its job too: when it fires, the
        # week is queued for a process that serves the platform, not claimed and skipped.
        slack = CommunityRef("slack", "T1", "elsewhere")
        runtime._communities = lambda: [slack]
        assert await scheduler.reconcile() == {summary_job_id(slack): "added"}
        assert await scheduler.run_summary(slack) == "handed_off"
        label, _, _ = await runtime.summary_week(slack)
        queued = scheduler.claims.get(summary_job_id(slack), label)
        assert queued is not None and queued.owner is None and queued.done_at is None
    finally:
        await _stop(scheduler)


async def test_claims_are_exclusive(runtime, sqlite_url) -> None:
    scheduler = BotScheduler(runtime, engine=make_engine(sqlite_url))
    from bot.jobs.scheduler import claims_t

    claims_t.create(scheduler.engine, checkfirst=True)
    other = BotScheduler(runtime, engine=make_engine(sqlite_url), name="other")
    assert scheduler.claim("summary:x", "2025-W14") is True
    assert other.claim("summary:x", "2025-W14") is False  # another process, same database
    assert other.claim("summary:x", "2025-W15") is True
    scheduler.engine.dispose()
    other.engine.dispose()


async def test_the_watch_posts_notices_queued_by_the_command_line(
    runtime, notifier, sqlite_url
) -> None:
    runtime.registry.update_state(
        notices=[
            {
                "created": "2025-04-06T03:00:00+00:00",
                "reason": "the training process stopped",
                "version": "v1",
                "log": "runs/x/train.log",
                "posted": False,
            }
        ]
    )
    scheduler = await _start(runtime, sqlite_url)
    try:
        await scheduler.watch()
        assert notifier.titles() == ["Model retraining failed"]
        assert "the training process stopped" in notifier.posts[0][1].body
        await scheduler.watch()
        assert len(notifier.posts) == 1  # once
    finally:
        await _stop(scheduler)
