"""APScheduler 3 inside the bot's event loop, with its jobs kept in the bot's database.

Persisted jobs (``SQLAlchemyJobStore``, table ``apscheduler_jobs``), all with ``coalesce=True``
and ``max_instances=1``:

* ``summary:<platform>:<community>``: the weekly mood summary, at ``SUMMARY_WEEKDAY`` /
  ``SUMMARY_HOUR`` in the community's time zone (``/emotion settings timezone``);
* ``retrain:weekly``: retraining on the labels people gave;
* ``retention:daily``: deleting rows past the retention limit.

In memory only (re-created at every start): ``reconcile`` (schedules new communities, follows
changed time zones; hourly) and ``watch:model`` (swaps in a model promoted from the command line,
posts queued notices; every minute).

Restarts: jobs are reconciled, never re-added, so a job keeps its stored next run time; a run
missed while the bot was down happens once at start within the grace time (``coalesce``). A run
also claims its period (``scheduler_claims``: job key + ISO week) before it does anything, so no
weekly job runs twice for the same week, even if two bot processes share the database.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Column, Engine, Float, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

from bot.core.events import CommunityRef
from bot.jobs.runtime import JobRuntime
from bot.jobs.weeks import week_label, zone

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
CLAIMS_TABLE = "scheduler_claims"
RETRAIN_JOB = "retrain:weekly"
RETENTION_JOB = "retention:daily"

_metadata = MetaData()
claims_t = Table(
    CLAIMS_TABLE,
    _metadata,
    Column("job", String(191), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("claimed_at", Float, nullable=False),
)

# Running schedulers by name: persisted jobs reference their scheduler by this name (a job's
# arguments must survive pickling, the live objects cannot).
_SCHEDULERS: dict[str, BotScheduler] = {}


def summary_job_id(community: CommunityRef) -> str:
    return f"summary:{community.platform}:{community.id}"


# --- persisted job functions (referenced as "bot.jobs.scheduler:<name>") -----------------


def _scheduler(name: str) -> BotScheduler | None:
    scheduler = _SCHEDULERS.get(name)
    if scheduler is None:
        logger.error("job for scheduler %r fired, but no such scheduler runs", name)
    return scheduler


async def summary_job(scheduler: str, platform: str, community_id: str) -> str | None:
    """The weekly summary of one community; returns its status (the monitoring counts it)."""
    sched = _scheduler(scheduler)
    if sched is None:
        return None
    return await sched.run_summary(CommunityRef(platform, community_id))


async def retrain_job(scheduler: str) -> str | None:
    """The weekly retraining; returns its status (the monitoring counts it)."""
    sched = _scheduler(scheduler)
    if sched is None:
        return None
    return await sched.run_retrain()


async def retention_job(scheduler: str) -> None:
    """Daily retention."""
    sched = _scheduler(scheduler)
    if sched is not None:
        await sched.runtime.service.purge_expired()


class BotScheduler:
    """The bot's scheduler (see the module doc). ``engine`` opens the bot's database; the
    scheduler owns it (APScheduler disposes it at shutdown), so give it its own engine."""

    def __init__(self, runtime: JobRuntime, *, engine: Engine, name: str = "bot") -> None:
        self.runtime = runtime
        self.engine = engine
        self.name = name
        options = runtime.options
        self.scheduler = AsyncIOScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE),
                "memory": MemoryJobStore(),
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": options.summary_grace_s,
            },
            timezone="UTC",
        )

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start in the running loop: reconcile the persisted jobs, then let them run."""
        claims_t.create(self.engine, checkfirst=True)
        _SCHEDULERS[self.name] = self
        self.scheduler.start(paused=True)
        await self.reconcile()
        options = self.runtime.options
        self.scheduler.add_job(
            self.reconcile,
            IntervalTrigger(seconds=options.reconcile_every_s),
            id="reconcile",
            jobstore="memory",
            replace_existing=True,
        )
        self.scheduler.add_job(
            self.watch,
            IntervalTrigger(seconds=options.model_watch_s),
            id="watch:model",
            jobstore="memory",
            replace_existing=True,
        )
        self.scheduler.resume()
        for job in self.jobs():
            logger.info("job %s: next run %s", job.id, job.next_run_time)

    def shutdown(self) -> None:
        """Stop (a job in progress is cancelled; a training process is killed)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if _SCHEDULERS.get(self.name) is self:
            del _SCHEDULERS[self.name]

    def jobs(self) -> list[Job]:
        return list(self.scheduler.get_jobs())

    # --- the persisted jobs ---------------------------------------------------------------------

    def _ensure(
        self, job_id: str, func: str, args: tuple[Any, ...], trigger: Any, **options: Any
    ) -> str | None:
        """Add a job, or update its trigger/arguments; a job already right is left alone (its
        stored next run time stands). Returns what was done, None for nothing."""
        job = self.scheduler.get_job(job_id, jobstore="default")
        if job is None:
            self.scheduler.add_job(
                func, trigger, args=args, id=job_id, name=job_id, jobstore="default", **options
            )
            return "added"
        if job.func_ref != func or tuple(job.args) != args:
            self.scheduler.modify_job(job_id, "default", func=func, args=args)
        if repr(job.trigger) != repr(trigger):
            self.scheduler.reschedule_job(job_id, "default", trigger=trigger)
            return "rescheduled"
        return None

    def _drop(self, job_id: str) -> None:
        if self.scheduler.get_job(job_id, jobstore="default") is not None:
            self.scheduler.remove_job(job_id, "default")

    async def reconcile(self) -> dict[str, str]:
        """Bring the persisted jobs in line with the options and the known communities."""
        options = self.runtime.options
        changes: dict[str, str] = {}
        if options.summary_enabled:
            for community in await self.runtime.communities():
                settings = await self.runtime.service.community_settings(community)
                tz = zone(options.summary_timezone or settings.timezone)
                trigger = CronTrigger(
                    day_of_week=options.summary_weekday,
                    hour=options.summary_hour,
                    minute=options.summary_minute,
                    timezone=tz,
                )
                job_id = summary_job_id(community)
                done = self._ensure(
                    job_id,
                    f"{__name__}:summary_job",
                    (self.name, community.platform, community.id),
                    trigger,
                )
                if done:
                    changes[job_id] = done
        if options.retrain_enabled:
            trigger = CronTrigger(
                day_of_week=options.retrain_weekday,
                hour=options.retrain_hour,
                minute=0,
                timezone=zone(options.retrain_timezone),
            )
            done = self._ensure(
                RETRAIN_JOB,
                f"{__name__}:retrain_job",
                (self.name,),
                trigger,
                misfire_grace_time=options.retrain_grace_s,
            )
            if done:
                changes[RETRAIN_JOB] = done
        else:
            self._drop(RETRAIN_JOB)
        trigger = CronTrigger(hour=4, minute=30, timezone="UTC")
        done = self._ensure(RETENTION_JOB, f"{__name__}:retention_job", (self.name,), trigger)
        if done:
            changes[RETENTION_JOB] = done
        if changes:
            logger.info("scheduler jobs: %s", changes)
        return changes

    # --- claims ---------------------------------------------------------------------------------

    def claim(self, job: str, period: str) -> bool:
        """Take ``(job, period)``; False when it was taken before (the run already happened)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(claims_t).values(job=job, period=period, claimed_at=time.time())
                )
        except IntegrityError:
            return False
        return True

    def release(self, job: str, period: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(claims_t).where(claims_t.c.job == job, claims_t.c.period == period))

    async def run_summary(self, community: CommunityRef) -> str:
        """The weekly summary job body: claim the week, then build and post."""
        label, _, _ = await self.runtime.summary_week(community)
        job = summary_job_id(community)
        if not await self.runtime.service.db(self.claim, job, label):
            logger.info("%s for %s already ran; skipped", job, label)
            return "already_done"
        status = await self.runtime.post_summary(community, label)
        if status == "failed":
            await self.runtime.service.db(self.release, job, label)  # let a retry post it
        return status

    async def run_retrain(self) -> str:
        """The weekly retraining job body: claim the week, then run."""
        options = self.runtime.options
        label = week_label(self.runtime.service.clock(), zone(options.retrain_timezone))
        if not await self.runtime.service.db(self.claim, RETRAIN_JOB, label):
            logger.info("%s for %s already ran; skipped", RETRAIN_JOB, label)
            return "already_done"
        outcome = await self.runtime.retrain(trigger="weekly")
        return outcome.status

    async def watch(self) -> None:
        """The model watch: follow the models store's pointer, post queued notices."""
        try:
            await self.runtime.sync_model()
            await self.runtime.post_notices()
        except Exception:
            logger.exception("model watch failed")
