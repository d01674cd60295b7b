"""``emotion-bot run | chat``, and the composition root of the bot.

:func:`build_service` is the one place that wires settings -> database (migrated on start) ->
store -> classifier -> :class:`~bot.core.service.EmotionService`. Adapters are imported lazily,
only when their tokens are configured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT, Settings, SettingsError, load_settings
from bot.core.errors import StartupError
from bot.core.service import EmotionService

logger = logging.getLogger(__name__)

RETENTION_EVERY_S = 24 * 3600


def resolve_model_dir(model_dir: Path) -> Path:
    """A relative MODEL_DIR is looked up in the working directory, then in the checkout."""
    if model_dir.is_absolute() or model_dir.exists():
        return model_dir
    in_repo = REPO_ROOT / model_dir
    return in_repo if in_repo.exists() else model_dir


def serving_model_dir(settings: Settings) -> Path:
    """The model to serve: the models store's current version once one has been promoted
    (retraining, ``emotion-bot models promote``), else ``MODEL_DIR``."""
    from bot.jobs.options import job_options
    from bot.model_registry import ModelRegistry

    options = job_options(settings)
    registry = ModelRegistry(options.models_store, keep=options.models_keep)
    default = resolve_model_dir(settings.model_dir)
    folder = registry.current_dir(default)
    if folder != default:
        logger.info("serving %s from the models store (MODEL_DIR is %s)", folder, default)
    return folder


def build_service(settings: Settings, *, chart: bool = True) -> EmotionService:
    """Migrate the database, open the store, load the model and build the service."""
    import classifier
    from bot.storage import SqlStore, make_engine, upgrade

    upgrade(settings.database_url)
    model_dir = serving_model_dir(settings)
    try:
        model = classifier.load(model_dir, threads=settings.classifier_threads)
    except classifier.ModelLoadError as exc:
        raise StartupError(
            f"{exc}\nThe classifier model is needed to run the bot. Set MODEL_DIR to a model "
            "folder (see README: 'emotion-bot train' or the shipped models/goemotions-minilm-int8)."
        ) from exc
    store = SqlStore(make_engine(settings.database_url))
    try:
        store.record_model_version(
            model.version,
            path=str(model_dir),
            metrics=dict(model.artifact.meta.get("metrics") or {}),
        )
    except Exception:
        logger.warning("could not record model version %s", model.version, exc_info=True)
    renderer = None
    if chart:
        from bot.charts import render_summary_png

        renderer = render_summary_png
    logger.info(
        "core ready: model %s, database %s", model.version, settings.database_url.split("@")[-1]
    )
    return EmotionService(
        store=store, classifier=model, options=settings.core_options(), chart=renderer
    )


async def close_service(service: EmotionService) -> None:
    await service.aclose()
    engine = getattr(service.store, "engine", None)
    if engine is not None:
        engine.dispose()


async def start_jobs(service: EmotionService, settings: Settings, notifiers: dict[str, Any]) -> Any:
    """Start the scheduler (weekly summaries, retraining, retention) in this event loop;
    None when SCHEDULER_ENABLED is off. ``notifiers``: platform -> the adapter that posts to
    its communities' moderators (``post_summary(community, card)``)."""
    from functools import partial

    from bot.jobs import BotScheduler, JobRuntime, job_options
    from bot.storage import make_engine
    from bot.summary_cli import channel_names, known_communities

    options = job_options(settings)
    if not options.scheduler_enabled:
        return None
    runtime = JobRuntime(
        service=service,
        options=options,
        default_model_dir=resolve_model_dir(settings.model_dir),
        notifiers=notifiers,
        communities=partial(known_communities, service.store),
        channel_names=partial(channel_names, service.store),
    )
    scheduler = BotScheduler(runtime, engine=make_engine(settings.database_url))
    await scheduler.start()
    return scheduler


async def run_console(
    service: EmotionService,
    settings: Settings,
    *,
    files_dir: Path | None,
    member: str | None = None,
    jobs: bool = False,
) -> int:
    from bot.adapters.console import ConsoleAdapter

    console = ConsoleAdapter(
        service,
        community=settings.console_community,
        channel=settings.console_channel,
        member=member or settings.console_member,
        files_dir=files_dir,
    )
    scheduler = await start_jobs(service, settings, {"console": console}) if jobs else None
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
    from bot.jobs.options import job_options

    service = build_service(settings)
    retention = None
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
            return await run_console(service, settings, files_dir=None, jobs=retention is None)
        if retention is None:
            scheduler = await start_jobs(service, settings, notifiers)
        await asyncio.gather(*runners)  # adapters raise StartupError with a fix-it message
        return 0
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        if retention is not None:
            retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retention
        await close_service(service)


async def chat(settings: Settings, *, files_dir: Path | None, member: str | None) -> int:
    service = build_service(settings)
    try:
        return await run_console(service, settings, files_dir=files_dir, member=member)
    finally:
        await close_service(service)


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "model_dir", None):
        overrides["model_dir"] = Path(args.model_dir)
    return load_settings(**overrides)


def _guard(fn: Any) -> Any:
    """Turn configuration and start-up errors into one clear line and exit status 2."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return int(fn(args) or 0)
        except (SettingsError, StartupError) as exc:
            print(f"emotion-bot: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130

    return wrapper


@_guard
def _cmd_run(args: argparse.Namespace) -> int:
    return asyncio.run(run_bot(_settings(args)))


@_guard
def _cmd_chat(args: argparse.Namespace) -> int:
    if not getattr(args, "verbose", False):
        logging.getLogger().setLevel(logging.WARNING)  # the console shows what happens
    files_dir = Path(args.files_dir) if args.files_dir else None
    return asyncio.run(chat(_settings(args), files_dir=files_dir, member=args.member))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="override DATABASE_URL")
    parser.add_argument("--model-dir", help="override MODEL_DIR")


def register(sub: Any) -> None:
    """Add ``run`` and ``chat`` (``bench core`` is registered by :mod:`bot.bench_core`)."""
    run = sub.add_parser(
        "run", help="start the bot: Discord and/or Slack when configured, else the console"
    )
    _common(run)
    run.set_defaults(func=_cmd_run)

    chat_p = sub.add_parser("chat", help="talk to the bot in the terminal (no token needed)")
    _common(chat_p)
    chat_p.add_argument("--files-dir", help="save exports and charts here")
    chat_p.add_argument("--member", help="the first member's name (CONSOLE_MEMBER)")
    chat_p.set_defaults(func=_cmd_chat)
