"""The composition root: the one place that wires settings -> database (migrated on start) ->
store -> classifier -> :class:`~bot.core.service.EmotionService`, the jobs and the adapters,
and runs them. Adapters are imported only when their tokens are configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import tempfile
from collections.abc import Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import classifier
from bot.adapters.console import ID_PREFIX, PLATFORM, ConsoleAdapter, render_card
from bot.charts.summary import render_summary_png
from bot.config import Settings
from bot.core.errors import StartupError
from bot.core.events import CommunityRef
from bot.core.service import EmotionService
from bot.core.summary import WeeklySummary
from bot.jobs import BotScheduler, JobOptions, JobRuntime, demo, job_options
from bot.jobs.weeks import parse_week, previous_week, week_bounds, zone
from bot.metrics import Monitor, start_monitor
from bot.modelstore.loader import load_model
from bot.modelstore.serving import resolve_model_dir, serving_model_dir, serving_scheme
from bot.storage import SqlStore, explained, make_engine, open_store_engine, upgrade
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme, goemotions_scheme

logger = logging.getLogger(__name__)

RETENTION_EVERY_S = 24 * 3600


def build_service(settings: Settings, *, chart: bool = True) -> EmotionService:
    """Migrate the database (``AUTO_MIGRATE=false``: check it is migrated), open the store,
    load the model and build the service.

    Raises :class:`StartupError` (one line) when the database cannot be opened, migrated or
    written to (:func:`bot.storage.open_store_engine`) or the model cannot be loaded."""
    engine = open_store_engine(settings.database_url, auto_migrate=settings.auto_migrate)
    model_dir = serving_model_dir(settings)
    try:
        model = load_model(model_dir, threads=settings.classifier_threads)
    except classifier.ModelLoadError as exc:
        engine.dispose()
        raise StartupError(
            f"{exc}\nThe classifier model is needed to run the bot. Set MODEL_DIR to a model "
            "folder (see README: 'emotion-bot train' or the shipped models/goemotions-minilm-int8)."
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    store = SqlStore(engine)
    try:
        store.record_model_version(
            model.version,
            path=str(model_dir),
            metrics=dict(model.artifact.meta.get("metrics") or {}),
        )
    except Exception:
        logger.warning("could not record model version %s", model.version, exc_info=True)
    logger.info(
        "core ready: model %s, database %s", model.version, settings.database_url.split("@")[-1]
    )
    return EmotionService(
        store=store,
        classifier=model,
        options=settings.core_options(),
        chart=render_summary_png if chart else None,
    )


async def close_service(service: EmotionService) -> None:
    await service.aclose()
    engine = getattr(service.store, "engine", None)
    if engine is not None:
        engine.dispose()


async def start_jobs(
    service: EmotionService,
    settings: Settings,
    notifiers: dict[str, Any],
    monitor: Monitor | None = None,
) -> Any:
    """Start the scheduler (weekly summaries, retraining, retention) in this event loop; it runs
    the persisted jobs when this process leads (:mod:`bot.jobs.scheduler`). None when
    SCHEDULER_ENABLED is off. ``notifiers``: platform -> the adapter that posts to
    its communities' moderators (``post_summary(community, card)``); ``monitor`` counts the
    job runs."""
    options = job_options(settings)
    if not options.scheduler_enabled:
        return None
    store: Any = service.store  # a SqlStore: the job runtime lists communities and channels
    runtime = JobRuntime(
        service=service,
        options=options,
        default_model_dir=resolve_model_dir(settings.model_dir),
        notifiers=notifiers,
        communities=store.communities,
        channel_names=store.channel_names,
    )
    scheduler = BotScheduler(
        runtime,
        engine=make_engine(settings.database_url),
        lease_s=settings.scheduler_lease_s,
        poll_s=settings.scheduler_poll_s,
        leader_retry_s=settings.scheduler_leader_retry_s,
    )
    if monitor is not None:
        monitor.watch_scheduler(scheduler)
    await scheduler.start()
    return scheduler


async def run_console(
    service: EmotionService,
    settings: Settings,
    *,
    files_dir: Path | None,
    member: str | None = None,
    jobs: bool = False,
    monitor: Monitor | None = None,
) -> int:
    store: Any = service.store  # a SqlStore: where the last session's message ids ended
    last_id = await asyncio.to_thread(store.highest_numbered_id, PLATFORM, ID_PREFIX)
    console = ConsoleAdapter(
        service,
        community=settings.console_community,
        channel=settings.console_channel,
        member=member or settings.console_member,
        files_dir=files_dir,
        last_id=last_id,
    )
    scheduler = await start_jobs(service, settings, {"console": console}, monitor) if jobs else None
    try:
        return await console.run()
    finally:
        if scheduler is not None:
            scheduler.shutdown()


async def _retention_loop(service: EmotionService) -> None:
    """Daily retention when the scheduler is switched off (SCHEDULER_ENABLED=false)."""
    while True:
        try:
            await service.purge_expired()
        except Exception:
            logger.exception("retention run failed")
        await asyncio.sleep(RETENTION_EVERY_S)


def build_adapter(
    name: str, service: EmotionService, settings: Settings
) -> tuple[Any, Coroutine[Any, Any, None]]:
    """(notifier, runner) of one adapter. The notifier (``async post_summary(community, card)``,
    see :class:`bot.jobs.notify.ModeratorNotifier`) exists before the adapter connects, so the
    scheduler can start alongside; a post waits until the adapter is up. Discord: the client
    from ``build_client``; Slack: a ``SlackNotifier`` that ``run`` attaches its outbox to."""
    # Imported by name, only for an adapter whose tokens are set: discord.py and slack_bolt are
    # not loaded by a bot that does not use them.
    module: Any = importlib.import_module(f"bot.adapters.{name}")
    if name == "discord":
        client = module.build_client(service, settings)
        return client, module.run(service, settings, client=client)
    if name == "slack":
        notifier = module.SlackNotifier(service)
        return notifier, module.run(service, settings, notifier=notifier)
    raise ValueError(f"unknown adapter {name!r}")


async def run_bot(settings: Settings) -> int:
    """Start the adapters whose tokens are configured; the console when none is."""
    service = build_service(settings)
    monitor = None
    retention = None
    try:
        monitor = await start_monitor(
            service, host=settings.metrics_host, port=settings.metrics_port
        )
    except OSError as exc:
        await close_service(service)
        raise StartupError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} "
            f"(METRICS_HOST, METRICS_PORT): {exc.strerror or exc}"
        ) from exc
    if not job_options(settings).scheduler_enabled:
        retention = asyncio.create_task(_retention_loop(service), name="retention")
    scheduler = None
    try:
        runners = []
        notifiers: dict[str, Any] = {}
        for name, configured in (
            ("discord", settings.discord_configured),
            ("slack", settings.slack_configured),
        ):
            if configured:
                notifiers[name], runner = build_adapter(name, service, settings)
                runners.append(runner)
                logger.info("starting the %s adapter", name)
        if not runners:
            logger.info("no Discord or Slack tokens configured: starting the console adapter")
            return await run_console(
                service, settings, files_dir=None, jobs=retention is None, monitor=monitor
            )
        if retention is None:
            scheduler = await start_jobs(service, settings, notifiers, monitor)
        await asyncio.gather(*runners)  # adapters raise StartupError with a fix-it message
        return 0
    finally:
        if monitor is not None:
            monitor.closing = True  # /healthz answers 503 from here on
        if scheduler is not None:
            scheduler.shutdown()
        if retention is not None:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
        await close_service(service)
        if monitor is not None:
            await monitor.stop()


async def chat(settings: Settings, *, files_dir: Path | None, member: str | None) -> int:
    service = build_service(settings)
    try:
        return await run_console(service, settings, files_dir=files_dir, member=member)
    finally:
        await close_service(service)


class SchemeOnly:
    """A stand-in classifier that only knows the label scheme (summaries classify nothing)."""

    def __init__(self, scheme: LabelScheme, version: str = "offline") -> None:
        self._scheme = scheme
        self._version = version

    @property
    def scheme(self) -> LabelScheme:
        return self._scheme

    @property
    def version(self) -> str:
        return self._version

    @property
    def thresholds(self) -> dict[str, float]:
        return {label: 0.5 for label in self._scheme.labels}

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        raise RuntimeError("offline summaries do not classify")


async def render_week(
    store: SqlStore,
    community: CommunityRef,
    week: str | None,
    scheme: LabelScheme,
    out: Path,
) -> tuple[str, WeeklySummary, Path, Path | None]:
    """Render one week offline to ``out``: (week label, summary, text file, PNG file or None).

    The text and the chart are the very ones the weekly job posts and ``/emotion summary`` shows
    (:meth:`bot.jobs.runtime.JobRuntime.build_summary`)."""
    service = EmotionService(store=store, classifier=SchemeOnly(scheme), chart=render_summary_png)
    runtime = JobRuntime(
        service=service,
        options=JobOptions(),
        default_model_dir=Path("."),
        channel_names=store.channel_names,
    )
    try:
        label, summary, card = await runtime.build_summary(community, week)
    finally:
        await service.aclose()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"summary-{community.platform}-{community.id}-{label}"
    text_file = out / f"{stem}.txt"
    text_file.write_text(render_card(card, indent="") + "\n", encoding="utf-8")
    png_file = None
    if card.image_png:
        png_file = out / f"{stem}.png"
        png_file.write_bytes(card.image_png)
    return label, summary, text_file, png_file


class UnknownCommunity(LookupError):
    """``summary --community`` names no community of the database (or several)."""


def find_community(store: SqlStore, community_id: str, platform: str | None) -> CommunityRef:
    known = store.communities()
    matches = [
        c for c in known if c.id == community_id and (platform is None or c.platform == platform)
    ]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{c.platform}:{c.id} ({c.name})" for c in known) or "none"
    if not matches:
        raise UnknownCommunity(
            f"emotion-bot summary: no community {community_id!r}; known: {listed}"
        )
    raise UnknownCommunity(
        f"emotion-bot summary: {community_id!r} exists on several platforms; add --platform"
    )


async def render_demo_week(week: str | None, out: Path) -> tuple[str, Path, Path | None]:
    """Seed a demonstration week and the week before (:mod:`bot.jobs.demo`) into a throwaway
    SQLite database and render it: (week label, text file, PNG file or None)."""
    tz = zone(demo.TIMEZONE)
    if week:
        year, number = parse_week(week)
        start, _ = week_bounds(year, number, tz)
        label = f"{year}-W{number:02d}"
    else:
        label, start, _ = previous_week(datetime.now(tz), tz)
    with tempfile.TemporaryDirectory(prefix="emotion-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            store = SqlStore(engine)
            counts = demo.seed_demo(store, start)
            logger.info("demo seeded: %s", counts)
            label, _, text_file, png_file = await render_week(
                store, demo.COMMUNITY, label, goemotions_scheme(), out
            )
        finally:
            engine.dispose()
    return label, text_file, png_file


async def render_stored_week(
    settings: Settings, community_id: str, platform: str | None, week: str | None, out: Path
) -> tuple[str, Path, Path | None]:
    """Render a week of the settings' database: (week label, text file, PNG file or None)."""
    if week:
        parse_week(week)  # a clear error before touching the database
    with explained(settings.database_url):
        engine = make_engine(settings.database_url)
    try:
        store = SqlStore(engine)
        with explained(settings.database_url):
            community = find_community(store, community_id, platform)
        label, _, text_file, png_file = await render_week(
            store, community, week, serving_scheme(settings), out
        )
    finally:
        engine.dispose()
    return label, text_file, png_file
