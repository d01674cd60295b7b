"""APScheduler 3 inside the bot's event loop, its jobs kept in the bot's database, run exactly
once however many bot processes share that database.

Persisted jobs (``SQLAlchemyJobStore``, table ``apscheduler_jobs``), all with ``coalesce=True``
and ``max_instances=1``:

* ``summary:<platform>:<community>``: the weekly mood summary, at ``SUMMARY_WEEKDAY`` /
  ``SUMMARY_HOUR`` in the community's time zone (``/emotion settings timezone``);
* ``retrain:weekly``: retraining on the labels people gave;
* ``retention:daily``: deleting rows past the retention limit.

**One leader.** APScheduler's job stores must never be shared between schedulers (its FAQ), so
only the leader runs the scheduler of the persisted jobs: the process holding a PostgreSQL
advisory lock (:mod:`bot.jobs.leader`; on SQLite, the one process). The others try to take the
lock every ``SCHEDULER_LEADER_RETRY_S``; the leader checks its lock connection as often and, when
the connection is gone, pauses the persisted jobs (another process leads by then). The leader
re-reads the job store every ``SCHEDULER_POLL_S``, so a job changed there by another process (a
former leader, an operator) is not missed. ``reconcile`` (schedules new communities, follows
changed time zones; hourly) runs in the leader only; ``watch:model`` (follows the models store's
pointer, posts queued notices; every minute) runs in every process: each serves the model.

**Claims as leases** (:mod:`bot.jobs.claims`). A run first claims its period (job key + ISO
week) with an expiring lease, renews it while it works (``SCHEDULER_LEASE_S``), and marks it done
when it succeeded, so no weekly job runs twice for one week, even when two processes believe
they lead for a moment. A failed run gives its claim back (the next run may try again).

**Platforms a process does not serve.** The leader schedules the summaries of every known
community. One whose platform has no adapter in the leader (a split deployment: one process per
platform) is not claimed but queued: a claim row that nobody holds. **Every** process checks the
claims every ``SCHEDULER_POLL_S`` and claims the ones it can do: queued summaries of platforms it
serves, and runs whose lease expired undone (their process was killed), within the summary's
grace time (the retraining: in the leader, within its own). So a killed run is redone within
``SCHEDULER_LEASE_S + SCHEDULER_POLL_S`` by another process or the restarted one, and posted once.

Restarts: jobs are reconciled, never re-added, so a job keeps its stored next run time; a run
missed while the bot was down happens once at start within the grace time (``coalesce``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from bot.core.events import CommunityRef
from bot.jobs.claims import CLAIMS_TABLE, DEFAULT_LEASE_S, Claim, Claims, claims_t
from bot.jobs.leader import LeaderLock
from bot.jobs.runtime import JobRuntime
from bot.jobs.weeks import week_label, zone

logger = logging.getLogger(__name__)

JOBS_TABLE = "apscheduler_jobs"
RETRAIN_JOB = "retrain:weekly"
RETENTION_JOB = "retention:daily"
DEFAULT_POLL_S = 30.0
DEFAULT_LEADER_RETRY_S = 15.0

__all__ = ["CLAIMS_TABLE", "JOBS_TABLE", "BotScheduler", "claims_t", "summary_job_id"]

Work = Callable[[], Awaitable[str]]

# Running schedulers by name: persisted jobs reference their scheduler by this name (a job's
# arguments must survive pickling, the live objects cannot).
_SCHEDULERS: dict[str, BotScheduler] = {}


def summary_job_id(community: CommunityRef) -> str:
    return f"summary:{community.platform}:{community.id}"


class MigratedJobStore(SQLAlchemyJobStore):
    """APScheduler's SQL job store on the table migration 0005 created: it creates no table."""

    def start(self, scheduler: Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)


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


def _posted(status: str) -> bool:
    return status == "posted"


def _finished(status: str) -> bool:
    return True  # a retraining run, whatever its outcome, is the week's one attempt


class BotScheduler:
    """The bot's scheduler (see the module doc). ``engine`` opens the bot's database; the
    scheduler owns it (APScheduler disposes it at shutdown), so give it its own engine.

    ``lease_s``, ``poll_s``, ``leader_retry_s``: ``SCHEDULER_LEASE_S``, ``SCHEDULER_POLL_S`` and
    ``SCHEDULER_LEADER_RETRY_S``; ``owner`` names this process in the claims (default:
    host:pid:random)."""

    def __init__(
        self,
        runtime: JobRuntime,
        *,
        engine: Engine,
        name: str = "bot",
        owner: str | None = None,
        lease_s: float = DEFAULT_LEASE_S,
        poll_s: float = DEFAULT_POLL_S,
        leader_retry_s: float = DEFAULT_LEADER_RETRY_S,
    ) -> None:
        self.runtime = runtime
        self.engine = engine
        self.name = name
        self.poll_s = poll_s
        self.leader_retry_s = leader_retry_s
        self.claims = Claims(engine, owner=owner, lease_s=lease_s)
        self.lock = LeaderLock(engine.url)
        self.leader = False  # whether this process runs the persisted jobs now
        options = runtime.options
        defaults = {
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": options.summary_grace_s,
        }
        # The persisted jobs: started in the leader only.
        self.scheduler = AsyncIOScheduler(
            jobstores={
                "default": MigratedJobStore(engine=engine, tablename=JOBS_TABLE),
                "memory": MemoryJobStore(),
            },
            job_defaults=defaults,
            timezone="UTC",
        )
        # Every process: the model watch, and the runs it claims from the claims table.
        self.local = AsyncIOScheduler(
            jobstores={"default": MemoryJobStore()}, job_defaults=defaults, timezone="UTC"
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._electing = asyncio.Lock()

    @property
    def owner(self) -> str:
        return self.claims.owner

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start in the running loop: the model watch and the claims check in this process; the
        persisted jobs too when this process leads (reconciled first, then let run)."""
        _SCHEDULERS[self.name] = self
        self.local.start()
        self.local.add_job(
            self.watch,
            IntervalTrigger(seconds=self.runtime.options.model_watch_s),
            id="watch:model",
            replace_existing=True,
        )
        await self.elect(raise_errors=True)
        if self.lock.exclusive:
            self._tasks.append(asyncio.create_task(self._leader_loop(), name="scheduler-leader"))
        self._tasks.append(asyncio.create_task(self._claims_loop(), name="scheduler-claims"))
        if not self.leader:
            logger.info("scheduler: another process leads; this one follows (%s)", self.owner)
        for job in self.jobs():
            logger.info("job %s: next run %s", job.id, job.next_run_time)

    def shutdown(self) -> None:
        """Stop (a job in progress is cancelled; a training process is killed; a claim held
        expires and is redone) and give the leadership up."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self.leader = False
        for scheduler in (self.scheduler, self.local):
            if scheduler.running:
                scheduler.shutdown(wait=False)
        self.lock.close()
        if _SCHEDULERS.get(self.name) is self:
            del _SCHEDULERS[self.name]

    def jobs(self) -> list[Job]:
        return [*self.scheduler.get_jobs(), *self.local.get_jobs()]

    # --- leadership -----------------------------------------------------------------------------

    async def elect(self, *, raise_errors: bool = False) -> bool:
        """Keep or take the leadership (or notice it was lost); True while this process leads."""
        async with self._electing:
            held = await asyncio.to_thread(self.lock.hold)
            if held and not self.leader:
                try:
                    await self._lead()
                except Exception:
                    if raise_errors:
                        raise
                    logger.exception("scheduler: could not start the persisted jobs")
            elif not held and self.leader:
                self._follow()
        return self.leader

    async def _lead(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start(paused=True)
        await self.reconcile()
        self.scheduler.add_job(
            self.reconcile,
            IntervalTrigger(seconds=self.runtime.options.reconcile_every_s),
            id="reconcile",
            jobstore="memory",
            replace_existing=True,
        )
        self.scheduler.resume()
        self.leader = True
        logger.info("scheduler: this process leads: it runs the persisted jobs (%s)", self.owner)

    def _follow(self) -> None:
        self.leader = False
        self.scheduler.pause()
        logger.warning("scheduler: no longer the leader; persisted jobs paused (%s)", self.owner)

    async def _leader_loop(self) -> None:
        while True:
            await asyncio.sleep(self.leader_retry_s)
            try:
                await self.elect()
            except Exception:
                logger.exception("scheduler: leader election failed")

    async def _claims_loop(self) -> None:
        while True:
            try:
                if self.leader:
                    self.scheduler.wakeup()  # re-read the job store (see the module doc)
                await self.recover()
            except Exception:
                logger.exception("scheduler: the claims check failed")
            await asyncio.sleep(self.poll_s)

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
        """Bring the persisted jobs in line with the options and the known communities (of every
        platform: one this process does not serve is queued for a process that does)."""
        options = self.runtime.options
        changes: dict[str, str] = {}
        if options.summary_enabled:
            for community in await self.runtime.known_communities():
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
        """Take ``(job, period)``; False when it is done or another process holds it."""
        return self.claims.claim(job, period)

    def release(self, job: str, period: str) -> None:
        self.claims.release(job, period)

    async def _run_claimed(
        self, job: str, period: str, work: Work, succeeded: Callable[[str], bool]
    ) -> str:
        """Run ``work`` under this process's claim of ``(job, period)``: the lease renewed
        meanwhile, the claim marked done when ``succeeded(status)``, given back otherwise."""
        renewing = asyncio.create_task(self._renew(job, period))
        try:
            status = await work()
        except Exception:
            await asyncio.to_thread(self.claims.release, job, period)
            raise
        finally:
            renewing.cancel()
        if succeeded(status):
            await asyncio.to_thread(self.claims.done, job, period)
        else:
            await asyncio.to_thread(self.claims.release, job, period)  # let a retry do it
        return status

    async def _renew(self, job: str, period: str) -> None:
        while True:
            await asyncio.sleep(self.claims.lease_s / 3)
            try:
                if not await asyncio.to_thread(self.claims.renew, job, period):
                    logger.warning("%s for %s: another process took the run over", job, period)
                    return
            except Exception:
                logger.warning("%s for %s: could not renew the lease", job, period, exc_info=True)

    async def run_summary(self, community: CommunityRef) -> str:
        """The weekly summary job body: claim the week, then build and post. A platform without
        an adapter in this process: the week is queued for a process that has one."""
        label, _, _ = await self.runtime.summary_week(community)
        job = summary_job_id(community)
        if community.platform not in self.runtime.notifiers:
            if await asyncio.to_thread(self.claims.queue, job, label):
                logger.info(
                    "%s for %s: no %s adapter in this process; queued for a process with one",
                    job,
                    label,
                    community.platform,
                )
            return "handed_off"
        if not await asyncio.to_thread(self.claims.claim, job, label):
            logger.info("%s for %s already ran; skipped", job, label)
            return "already_done"
        return await self._run_claimed(
            job, label, lambda: self.runtime.post_summary(community, label), _posted
        )

    async def run_retrain(self) -> str:
        """The weekly retraining job body: claim the week, then run."""
        options = self.runtime.options
        label = week_label(self.runtime.service.clock(), zone(options.retrain_timezone))
        if not await asyncio.to_thread(self.claims.claim, RETRAIN_JOB, label):
            logger.info("%s for %s already ran; skipped", RETRAIN_JOB, label)
            return "already_done"
        return await self._run_claimed(RETRAIN_JOB, label, self._retrain, _finished)

    async def _retrain(self) -> str:
        outcome = await self.runtime.retrain(trigger="weekly")
        return outcome.status

    # --- runs left by others --------------------------------------------------------------------

    async def recover(self) -> list[str]:
        """Claim the runs this process can do that are queued for it or were left unfinished by
        a killed process (see the module doc), and start them; the ``job@period`` started."""
        options = self.runtime.options
        now = time.time()
        since = now - max(options.summary_grace_s, options.retrain_grace_s)
        rows = await asyncio.to_thread(self.claims.open, since)
        if not rows:
            return []
        served = {(c.platform, c.id): c for c in await self.runtime.communities()}
        started = []
        for row in rows:
            found = self._work_for(row, now, served)
            if found is None:
                continue
            work, succeeded = found
            if not await asyncio.to_thread(self.claims.claim, row.job, row.period):
                continue  # another process was quicker
            why = "queued for it" if row.owner is None else f"left unfinished by {row.owner}"
            logger.info("%s for %s: %s; this process runs it", row.job, row.period, why)
            run_id = f"{row.job}@{row.period}"
            self.local.add_job(
                self._run_claimed,
                args=(row.job, row.period, work, succeeded),
                id=run_id,
                name=row.job,
                replace_existing=True,
            )
            started.append(run_id)
        return started

    def _work_for(
        self, row: Claim, now: float, served: dict[tuple[str, str], CommunityRef]
    ) -> tuple[Work, Callable[[str], bool]] | None:
        options = self.runtime.options
        if row.job.startswith("summary:"):
            _, platform, community_id = row.job.split(":", 2)
            community = served.get((platform, community_id))
            if community is None or row.claimed_at < now - options.summary_grace_s:
                return None
            week = row.period
            return (lambda: self.runtime.post_summary(community, week)), _posted
        retrain = row.job == RETRAIN_JOB and self.leader and options.retrain_enabled
        if retrain and row.claimed_at >= now - options.retrain_grace_s:
            return self._retrain, _finished
        return None

    async def watch(self) -> None:
        """The model watch: follow the models store's pointer, post queued notices."""
        try:
            await self.runtime.sync_model()
            await self.runtime.post_notices()
        except Exception:
            logger.exception("model watch failed")
