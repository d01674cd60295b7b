"""``emotion-bot bench core``: messages through the whole core with the real model and a real
SQLite store (migrated), as on a busy server: ``--concurrency`` messages in flight at once, so
the batching worker groups them. Not a test; it ends with one JSON line (``--json``) holding
``messages``, ``rows`` (must equal ``messages``), ``msgs_per_s``, ``p50_ms``, ``p99_ms`` and more.

By default the database is a throw-away file in a temporary folder; ``--database-url`` keeps it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.app import build_service, close_service
from bot.config import Settings
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef

logger = logging.getLogger(__name__)

PLATFORM = "bench"
OPENERS = ("", "honestly ", "ok so ", "lol ", "tbh ", "ngl ", "well, ", "hey all, ", "", "")
CORES = (
    "I just shipped the release and it went perfectly",
    "thank you so much for the help yesterday",
    "this build keeps failing and I'm so annoyed",
    "I'm really worried about the deadline next week",
    "that talk was amazing, I learned a lot",
    "I feel kind of lonely in this new city",
    "why does the API return a 500 here?",
    "can someone review my pull request",
    "I'm so proud of what this team did",
    "my cat knocked my coffee over again 😂",
    "I am furious that they cancelled the event",
    "what a disappointing end to the season",
    "I love how welcoming everyone is here",
    "the meeting is moved to 3pm",
    "I'm scared I'll fail the exam",
    "congrats on the new job!",
    "I miss my grandmother so much",
    "wow, I did not expect that result",
    "sorry, my mistake, I broke the staging server",
    "the docs are confusing about the config format",
)
CLOSERS = ("", ".", "!", "...", " 🙂", " :(", "!!", " 🎉", "", "")


def corpus_text(rng: random.Random, index: int) -> str:
    """A varied, realistic chat line (a few share a distress phrase, as real traffic may)."""
    if index % 997 == 0:
        return "some days I want to die, honestly"
    return f"{rng.choice(OPENERS)}{rng.choice(CORES)}{rng.choice(CLOSERS)}".strip()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def _feed(service: Any, count: int, concurrency: int, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    community = CommunityRef(PLATFORM, "bench-community", "bench")
    channels = [ChannelRef(community, f"ch{i}", f"channel-{i}") for i in range(8)]
    members = [UserRef(PLATFORM, f"u{i}", f"member{i}") for i in range(200)]
    start = datetime.now(UTC) - timedelta(days=6)
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(i: int) -> None:
        msg = ChatMessage(
            id=f"m{i}",
            channel=rng.choice(channels),
            author=rng.choice(members),
            text=corpus_text(rng, i),
            sent_at=start + timedelta(seconds=25 * i),
        )
        async with semaphore:
            t0 = time.perf_counter()
            await service.on_message(msg)
            latencies.append((time.perf_counter() - t0) * 1000)

    await asyncio.gather(*(one(i) for i in range(count)))
    return latencies


async def run_bench(
    settings: Settings, *, messages: int, concurrency: int, as_json: bool, keep_db: bool
) -> int:
    tmp = None
    if not keep_db:
        tmp = tempfile.mkdtemp(prefix="emotion-bench-")
        settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp}/bench.db"})
    service = build_service(settings, chart=False)
    try:
        t0 = time.perf_counter()
        latencies = await _feed(service, messages, concurrency)
        seconds = time.perf_counter() - t0
        rows = len(
            await service.db(
                service.store.messages,
                platform=PLATFORM,
                community_id="bench-community",
                since=datetime(2000, 1, 1, tzinfo=UTC),
            )
        )
        batches = service.batcher.batches
        result = {
            "messages": messages,
            "rows": rows,
            "msgs_per_s": round(messages / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "max_ms": round(max(latencies, default=0.0), 2),
            "seconds": round(seconds, 2),
            "concurrency": concurrency,
            "mean_batch": round(service.batcher.texts / batches, 1) if batches else 0.0,
            "backlog": service.pending,
            "flags": service.stats.get("distress_flagged", 0),
            "empathy_prompts": service.stats.get("empathy_strong_negative", 0),
            "model_version": service.classifier.version,
            "database": settings.database_url.split(":", 1)[0],
        }
    finally:
        await close_service(service)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if not as_json:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    print(json.dumps(result))
    return 0 if result["rows"] == messages else 1
