"""What an operator sees of a running bot: ``GET /healthz`` and Prometheus ``GET /metrics`` on
``METRICS_HOST:METRICS_PORT`` (127.0.0.1 unless METRICS_HOST says otherwise), served in the bot's
event loop (aiohttp). Off unless METRICS_PORT is set; :mod:`bot.app` starts and stops it.

``/healthz``: 200 and ``{"ok": true, "model": ..., "backlog": ..., "uptime_s": ...}`` while the
store answers a query (``SELECT`` of the migration version, in the store thread, within
``HEALTH_TIMEOUT_S``); 503 with ``"error"`` when it does not or the bot is shutting down.

``/metrics`` (one :class:`~prometheus_client.CollectorRegistry` per :class:`Monitor`, never the
global one): most values are read from the service at scrape time (``service.stats``, the backlog,
the batcher's counts), so the core knows nothing of Prometheus; the classifier latency comes
from the core's ``Deps.on_classified`` hook, job runs from the scheduler's APScheduler events.

* ``emotion_bot_messages_total{outcome}``: ``stored`` (rows saved, retries included), ``skipped``
  (bot, system, empty, direct, channel off, opted out), ``failed`` (classification or save failed
  and the message was kept for a retry: a message stored on a retry counts in both);
  ``rate(...[1m])`` is messages per second;
* ``emotion_bot_messages_skipped_total{reason}``, ``emotion_bot_messages_lost_total{why}``
  (``given_up`` after retries, ``dropped`` from a full backlog);
* ``emotion_bot_classifier_latency_seconds``: histogram of one message's classification, the wait
  for its batch included; ``emotion_bot_classifier_batches_total``, ``..._texts_total``;
* ``emotion_bot_backlog{queue}``: messages waiting for a retry (``unclassified``, ``unsaved``);
* ``emotion_bot_scheduler_leader``: 1 while this process leads the scheduler (runs the persisted
  jobs; one process per database, see :mod:`bot.jobs.scheduler`);
* ``emotion_bot_job_runs_total{job,outcome}``: scheduled job runs; ``job`` is the job id's kind
  (``summary``, ``retrain``, ``retention``, ``reconcile``, ``watch``), ``outcome`` the status the
  job returned (``posted``, ``handed_off``, ``failed``, ``already_done``, ...), else ``ok``, or
  ``error`` (it raised) or ``missed`` (past its grace time);
* ``emotion_bot_model_info{version}``, ``emotion_bot_uptime_seconds``.

There is no gauge of pending deliveries: the adapters send each action when the core returns it
and keep no queue of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
)
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from sqlalchemy import Engine, text

from bot.core.service import EmotionService
from bot.jobs import BotScheduler

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 5.0
# Seconds; the shipped model classifies one message in a few milliseconds on a CPU core.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
FAILED = ("backlog_classifier", "backlog_error", "backlog_store")


def ping(engine: Engine) -> None:
    """One real query against the bot's database; raises when it cannot be read."""
    with engine.connect() as conn:
        conn.execute(text("SELECT version_num FROM alembic_version")).all()


def job_kind(job_id: str) -> str:
    """``summary:discord:123`` -> ``summary`` (one label value per kind, not per community)."""
    return job_id.split(":", 1)[0]


class Monitor:
    """The metrics of one service (a registry of its own) and the HTTP server that shows them.

    ``start(host, port)`` in the running loop (port 0: any free port, see :attr:`port`);
    ``closing = True`` when shutdown begins (``/healthz`` answers 503); ``await stop()`` last."""

    def __init__(self, service: EmotionService) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.started = time.monotonic()
        self.closing = False
        self.scheduler: BotScheduler | None = None
        self.latency = Histogram(
            "emotion_bot_classifier_latency_seconds",
            "Seconds to classify one message, the wait for its batch included",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_runs = Counter(
            "emotion_bot_job_runs",
            "Scheduled job runs by job kind and outcome",
            ["job", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_ServiceCollector(self))
        service.deps.on_classified = self.latency.observe
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # --- the scheduler ----------------------------------------------------------------------------

    def watch_scheduler(self, scheduler: BotScheduler) -> None:
        """Count the runs of ``scheduler``'s jobs; call before ``scheduler.start()``."""
        self.scheduler = scheduler
        for runner in (scheduler.scheduler, scheduler.local):  # local: runs taken over
            runner.add_listener(
                self._job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED
            )

    def _job_event(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            outcome = "missed"
        elif isinstance(event, JobExecutionEvent) and event.exception is not None:
            outcome = "error"
        else:
            retval = getattr(event, "retval", None)
            outcome = retval if isinstance(retval, str) and retval else "ok"
        self.job_runs.labels(job=job_kind(event.job_id), outcome=outcome).inc()

    @property
    def leader(self) -> bool:
        scheduler = self.scheduler
        return scheduler is not None and scheduler.leader

    # --- health -----------------------------------------------------------------------------------

    async def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of ``/healthz``."""
        service = self.service
        body: dict[str, Any] = {
            "ok": False,
            "model": service.classifier.version,
            "backlog": service.pending,
            "uptime_s": round(time.monotonic() - self.started, 1),
        }
        if self.closing:
            body["error"] = "shutting down"
            return 503, body
        engine = getattr(service.store, "engine", None)
        if isinstance(engine, Engine):
            try:
                await asyncio.wait_for(service.db(ping, engine, retry=False), HEALTH_TIMEOUT_S)
            except TimeoutError:
                body["error"] = f"store: no answer within {HEALTH_TIMEOUT_S:g} s"
                logger.warning("health: %s", body["error"])
                return 503, body
            except Exception as exc:
                reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                body["error"] = f"store: {reason[:200]}"
                logger.warning("health: %s", body["error"])
                return 503, body
        body["ok"] = True
        return 200, body

    # --- the server -------------------------------------------------------------------------------

    async def _healthz(self, request: web.Request) -> web.Response:
        status, body = await self.health()
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        logger.info("metrics: http://%s:%d/metrics and /healthz", host, self.port)

    async def stop(self) -> None:
        self.closing = True
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


class _ServiceCollector:
    """Reads the service's counters and queues at every scrape."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterator[Metric]:
        service = self.monitor.service
        stats = dict(service.stats)
        skipped = {
            k.removeprefix("skipped_"): v for k, v in stats.items() if k.startswith("skipped_")
        }

        messages = CounterMetricFamily(
            "emotion_bot_messages", "Messages handled, by outcome", labels=["outcome"]
        )
        messages.add_metric(["stored"], stats.get("stored", 0))
        messages.add_metric(["skipped"], sum(skipped.values()))
        messages.add_metric(["failed"], sum(stats.get(k, 0) for k in FAILED))
        yield messages

        by_reason = CounterMetricFamily(
            "emotion_bot_messages_skipped", "Messages not classified, by reason", labels=["reason"]
        )
        for reason, count in sorted(skipped.items()):
            by_reason.add_metric([reason], count)
        yield by_reason

        lost = CounterMetricFamily(
            "emotion_bot_messages_lost", "Backlog messages given up or dropped", labels=["why"]
        )
        for why in ("given_up", "dropped"):
            lost.add_metric([why], stats.get(why, 0))
        yield lost

        batcher = service.batcher
        yield CounterMetricFamily(
            "emotion_bot_classifier_batches", "Classifier calls (batches)", value=batcher.batches
        )
        yield CounterMetricFamily(
            "emotion_bot_classifier_texts", "Texts sent to the classifier", value=batcher.texts
        )

        backlog = service.deps.backlog
        gauge = GaugeMetricFamily(
            "emotion_bot_backlog", "Messages waiting for a retry", labels=["queue"]
        )
        gauge.add_metric(["unclassified"], len(backlog.unclassified))
        gauge.add_metric(["unsaved"], len(backlog.unsaved))
        yield gauge

        yield GaugeMetricFamily(
            "emotion_bot_scheduler_leader",
            "1 while this process runs the scheduler",
            value=1 if self.monitor.leader else 0,
        )
        info = GaugeMetricFamily("emotion_bot_model_info", "The model serving", labels=["version"])
        info.add_metric([service.classifier.version], 1)
        yield info
        yield GaugeMetricFamily(
            "emotion_bot_uptime_seconds",
            "Seconds since the monitoring started",
            value=time.monotonic() - self.monitor.started,
        )


async def start_monitor(service: EmotionService, *, host: str, port: int | None) -> Monitor | None:
    """A :class:`Monitor` serving on ``host:port``; None without a port (METRICS_PORT unset)."""
    if port is None:
        return None
    monitor = Monitor(service)
    await monitor.start(host, port)
    return monitor
