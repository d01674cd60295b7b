"""``emotion-bot summary``: the weekly mood summary, rendered offline as text and PNG.

    emotion-bot summary --community 123456789 --week 2025-W14 --out summaries/
    emotion-bot summary --demo --out /tmp/demo-summary

The text and the chart are the very ones the weekly job posts and ``/emotion summary`` shows
(:meth:`bot.jobs.runtime.JobRuntime.build_summary`). ``--demo`` seeds a demonstration week and the
week before into a throwaway SQLite database (see :mod:`bot.jobs.demo`) and renders it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.events import CommunityRef
from bot.core.summary import WeeklySummary
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme

logger = logging.getLogger(__name__)


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


# --- store queries (candidates for SqlStore methods) ----------------------------------------


def known_communities(store: Any) -> list[CommunityRef]:
    """Every community in the database (``communities`` table)."""
    from sqlalchemy import select

    from bot.storage.models import Community

    with store.engine.connect() as conn:
        rows = conn.execute(select(Community.platform, Community.platform_id, Community.name))
        return [CommunityRef(p, i, n or "") for p, i, n in rows]


def channel_names(store: Any, community: CommunityRef) -> dict[str, str]:
    """Channel id -> name for one community (``channels`` table)."""
    from sqlalchemy import select

    from bot.storage.models import Channel

    query = select(Channel.platform_id, Channel.name).where(
        Channel.platform == community.platform, Channel.community_id == community.id
    )
    with store.engine.connect() as conn:
        return {cid: name for cid, name in conn.execute(query) if name}


# --- rendering -----------------------------------------------------------------------------------


async def render_week(
    store: Any,
    community: CommunityRef,
    week: str | None,
    scheme: LabelScheme,
    out: Path,
) -> tuple[str, WeeklySummary, Path, Path | None]:
    """Render one week to ``out``: (week label, summary, text file, PNG file or None)."""
    from bot.adapters.console import render_card
    from bot.charts import render_summary_png
    from bot.core.service import EmotionService
    from bot.jobs.options import JobOptions
    from bot.jobs.runtime import JobRuntime

    service = EmotionService(store=store, classifier=SchemeOnly(scheme), chart=render_summary_png)
    runtime = JobRuntime(
        service=service,
        options=JobOptions(),
        default_model_dir=Path("."),
        channel_names=lambda c: channel_names(store, c),
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


def _scheme(settings: Any) -> LabelScheme:
    """The serving model's scheme (labels.json only: the model is not loaded)."""
    from bot.cli_bot import resolve_model_dir
    from bot.jobs.options import job_options
    from bot.model_registry import ModelRegistry
    from classifier.artifact import ModelLoadError, read_artifact
    from classifier.scheme import goemotions_scheme

    options = job_options(settings)
    registry = ModelRegistry(options.models_store, keep=options.models_keep)
    folder = registry.current_dir(resolve_model_dir(settings.model_dir))
    try:
        return read_artifact(folder).scheme
    except ModelLoadError as exc:
        logger.warning("%s; using the GoEmotions labels", exc)
        return goemotions_scheme()


def _find_community(store: Any, community_id: str, platform: str | None) -> CommunityRef:
    known = known_communities(store)
    matches = [
        c for c in known if c.id == community_id and (platform is None or c.platform == platform)
    ]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{c.platform}:{c.id} ({c.name})" for c in known) or "none"
    if not matches:
        raise SystemExit(f"emotion-bot summary: no community {community_id!r}; known: {listed}")
    raise SystemExit(
        f"emotion-bot summary: {community_id!r} exists on several platforms; add --platform"
    )


def _print(label: str, text_file: Path, png_file: Path | None) -> None:
    print(text_file.read_text(encoding="utf-8"), end="")
    print(f"\nweek {label}: text {text_file}")
    print(f"chart {png_file}" if png_file else "no chart (an empty or hidden week)")


async def _demo(args: argparse.Namespace) -> int:
    from bot.jobs import demo
    from bot.jobs.weeks import parse_week, previous_week, week_bounds, zone
    from bot.storage import SqlStore, make_engine, upgrade
    from classifier.scheme import goemotions_scheme

    tz = zone(demo.TIMEZONE)
    if args.week:
        year, number = parse_week(args.week)
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
                store, demo.COMMUNITY, label, goemotions_scheme(), Path(args.out)
            )
        finally:
            engine.dispose()
    _print(label, text_file, png_file)
    return 0


async def _offline(args: argparse.Namespace) -> int:
    from bot.cli_bot import _settings
    from bot.jobs.weeks import parse_week
    from bot.storage import SqlStore, make_engine

    if args.week:
        parse_week(args.week)  # a clear error before touching the database
    settings = _settings(args)
    engine = make_engine(settings.database_url)
    try:
        store = SqlStore(engine)
        community = _find_community(store, args.community, args.platform)
        label, _, text_file, png_file = await render_week(
            store, community, args.week, _scheme(settings), Path(args.out)
        )
    finally:
        engine.dispose()
    _print(label, text_file, png_file)
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    if not args.demo and not args.community:
        print("emotion-bot summary: give --community ID (or --demo)", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_demo(args) if args.demo else _offline(args))
    except ValueError as exc:  # a bad --week
        print(f"emotion-bot summary: {exc}", file=sys.stderr)
        return 2


def register(sub: Any) -> None:
    """Add ``summary``."""
    p = sub.add_parser("summary", help="render a weekly mood summary (text + PNG) offline")
    p.add_argument("--community", help="community id (Discord guild id, Slack team id, ...)")
    p.add_argument("--platform", help="discord, slack or console (when the id is ambiguous)")
    p.add_argument("--week", help="ISO week, e.g. 2025-W14 (default: the last complete week)")
    p.add_argument("--out", required=True, help="folder for the .txt and .png")
    p.add_argument("--demo", action="store_true", help="seed a demonstration week and render it")
    p.add_argument("--database-url", help="override DATABASE_URL")
    p.add_argument("--model-dir", help="override MODEL_DIR (for the label scheme)")
    p.set_defaults(func=cmd_summary)
