"""``emotion-bot bench summary``: the weekly summary, ``/emotion channel`` and ``/emotion me``
over a large seeded database, with live messages flowing meanwhile.

A child process seeds ``--rows`` classified messages over a few channels and members, spread over
the last ``--weeks`` weeks (2 by default: every row is in the summary's week or the one before),
through the real store (migrations, then bulk inserts of 10,000 rows a transaction). This process
then builds the real :class:`~bot.core.service.EmotionService` on that database (a fast stand-in
classifier, no chart) and times the weekly summary and ``/emotion channel`` through the real code,
while live messages go through ``on_message`` every ``--live-interval-ms``; their latencies give
``live_p99_ms``. ``peak_rss_mb`` is this process's peak resident memory (the seeding ran in the
child). It ends with one JSON line: ``rows``, ``summary_s``, ``channel_s``, ``peak_rss_mb``,
``live_p99_ms`` and more. A temporary SQLite file by default; ``--database-url`` for PostgreSQL
(an empty database: the bench adds its rows to it and leaves them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.bench.core import corpus_text, percentile
from bot.core.events import ChannelRef, ChatMessage, CommandRequest, CommunityRef, UserRef
from bot.core.records import CommunitySettings, StoredMessage
from bot.core.service import EmotionService
from bot.storage import SqlStore, make_engine, open_store_engine
from classifier.prediction import Prediction
from classifier.scheme import LabelScheme, goemotions_scheme

logger = logging.getLogger(__name__)

PLATFORM = "bench"
COMMUNITY = CommunityRef(PLATFORM, "bench-community", "bench")
MODEL_VERSION = "bench-quick"


class QuickClassifier:
    """A stand-in model: the label follows from the text's words, in microseconds."""

    def __init__(self, scheme: LabelScheme) -> None:
        self._scheme = scheme

    @property
    def scheme(self) -> LabelScheme:
        return self._scheme

    @property
    def version(self) -> str:
        return MODEL_VERSION

    @property
    def thresholds(self) -> dict[str, float]:
        return {label: 0.5 for label in self._scheme.labels}

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        labels = self._scheme.labels
        out = []
        for text in texts:
            label = labels[sum(map(ord, text)) % len(labels)]
            out.append(
                Prediction(
                    label=label,
                    scores={label: 0.9},
                    labels=(label,),
                    model_version=MODEL_VERSION,
                    distress=0.0,
                )
            )
        return out


def _places(channels: int, members: int) -> tuple[list[ChannelRef], list[UserRef]]:
    chans = [ChannelRef(COMMUNITY, f"ch{i}", f"channel-{i}") for i in range(channels)]
    users = [UserRef(PLATFORM, f"u{i}", f"member{i}") for i in range(members)]
    return chans, users


def _rows(
    n: int,
    *,
    start: datetime,
    span: timedelta,
    chans: list[ChannelRef],
    users: list[UserRef],
    seed: int,
) -> Iterator[StoredMessage]:
    rng = random.Random(seed)
    labels = list(goemotions_scheme().labels)
    weights = [8.0 if label == "neutral" else 1.0 for label in labels]
    step = span / max(1, n)
    for i in range(n):
        label = rng.choices(labels, weights)[0]
        channel = chans[i % len(chans)]
        yield StoredMessage(
            platform=PLATFORM,
            message_id=f"s{i}",
            community_id=COMMUNITY.id,
            channel_id=channel.id,
            user_id=rng.choice(users).id,
            sent_at=start + step * i + timedelta(microseconds=rng.randrange(1000)),
            label=label,
            labels=(label,),
            scores={label: 0.9, "neutral": 0.05},
            model_version=MODEL_VERSION,
        )


def seed_database(
    url: str, *, rows: int, weeks: int, channels: int, members: int, timezone: str, seed: int
) -> float:
    """Migrate ``url`` and seed it (run in a child process); returns the seconds it took."""
    t0 = time.perf_counter()
    engine = open_store_engine(url)
    try:
        store = SqlStore(engine)
        chans, users = _places(channels, members)
        store.save_community_settings(COMMUNITY, CommunitySettings(timezone=timezone))
        for ch in chans:  # channel and member rows, as the bot makes them
            store.save_channel_settings(ch, store.channel_settings(ch))
        for user in users:
            store.set_opted_out(user, False)
        end = datetime.now(UTC) - timedelta(minutes=1)
        span = timedelta(weeks=weeks) - timedelta(hours=1)
        store.insert_messages(
            _rows(rows, start=end - span, span=span, chans=chans, users=users, seed=seed)
        )
        if engine.dialect.name == "postgresql":  # the statistics autovacuum would have gathered
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE messages")
    finally:
        engine.dispose()
    return time.perf_counter() - t0


async def _live(service: EmotionService, interval_s: float, stop: asyncio.Event) -> list[float]:
    """Live messages through the real service until ``stop``; their latencies in ms."""
    rng = random.Random(11)
    chans, users = _places(4, 50)
    latencies: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def one(i: int) -> None:
        msg = ChatMessage(
            id=f"live{i}",
            channel=rng.choice(chans),
            author=rng.choice(users),
            text=corpus_text(rng, i + 1),
            sent_at=datetime.now(UTC),
        )
        t0 = time.perf_counter()
        await service.on_message(msg)
        latencies.append((time.perf_counter() - t0) * 1000)

    i = 0
    while not stop.is_set():
        task = asyncio.create_task(one(i))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
        await asyncio.sleep(interval_s)
    await asyncio.gather(*pending)
    return latencies


async def _timed(service: EmotionService, interval_s: float) -> dict[str, Any]:
    chans, users = _places(1, 1)
    for i in range(20):  # warm up the message path
        await service.on_message(
            ChatMessage(
                id=f"warm{i}",
                channel=chans[0],
                author=users[0],
                text=f"hello {i}",
                sent_at=datetime.now(UTC),
            )
        )
    stop = asyncio.Event()
    live = asyncio.create_task(_live(service, interval_s, stop))
    await asyncio.sleep(0.2)
    try:
        t0 = time.perf_counter()
        summary, _ = await service.weekly_summary(COMMUNITY)
        t1 = time.perf_counter()
        await service.handle_command(_request("channel", chans[0], users[0]))
        t2 = time.perf_counter()
        await service.handle_command(_request("me", chans[0], users[0]))
        t3 = time.perf_counter()
    finally:
        stop.set()
        latencies = await live
    return {
        "summary_s": round(t1 - t0, 3),
        "channel_s": round(t2 - t1, 3),
        "me_s": round(t3 - t2, 3),
        "live_p50_ms": round(percentile(latencies, 50), 2),
        "live_p99_ms": round(percentile(latencies, 99), 2),
        "live_max_ms": round(max(latencies, default=0.0), 2),
        "live_messages": len(latencies),
        "summary_messages": summary.messages + summary.prev_messages,
    }


def _request(name: str, channel: ChannelRef, user: UserRef) -> CommandRequest:
    return CommandRequest(name=name, args=(), user=user, channel=channel)


async def _measure(url: str, interval_s: float) -> dict[str, Any]:
    engine = make_engine(url)
    service = EmotionService(
        store=SqlStore(engine), classifier=QuickClassifier(goemotions_scheme())
    )
    try:
        return await _timed(service, interval_s)
    finally:
        await service.aclose()
        engine.dispose()


def run_summary_bench(args: argparse.Namespace) -> int:
    """Seed (in a child process), then measure; prints the result, the JSON line last."""
    tmp = None
    url = args.database_url
    if url is None:
        tmp = tempfile.mkdtemp(prefix="emotion-bench-summary-")
        url = f"sqlite:///{tmp}/bench.db"
    try:
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            seed_s = pool.submit(
                seed_database,
                url,
                rows=args.rows,
                weeks=args.weeks,
                channels=args.channels,
                members=args.members,
                timezone=args.timezone,
                seed=args.seed,
            ).result()
        measured = asyncio.run(_measure(url, args.live_interval_ms / 1000))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "rows": args.rows,
        **measured,
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "seed_s": round(seed_s, 2),
        "weeks": args.weeks,
        "channels": args.channels,
        "members": args.members,
        "timezone": args.timezone,
        "database": url.split(":", 1)[0],
    }
    if not args.json:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    print(json.dumps(result))
    sys.stdout.flush()
    return 0
