"""/healthz and /metrics (bot.metrics) over the real service: the shipped model, a real SQLite
file, a real HTTP server on 127.0.0.1, read with urllib and prometheus_client's parser; the
scheduler's job runs from a real BotScheduler; `emotion-bot run` with METRICS_PORT in a process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import app
from bot.config import SettingsError, load_settings
from bot.core.events import ChannelRef, ChatMessage, CommunityRef, UserRef
from bot.jobs.options import JobOptions, RetrainOptions
from bot.jobs.runtime import JobRuntime
from bot.jobs.scheduler import RETENTION_JOB, BotScheduler, summary_job_id
from bot.metrics import Monitor
from bot.storage import make_engine
from tests.console.test_console import MODEL, REPO, _cli, needs_model
from tests.jobs.conftest import RecordingNotifier, wait_for

COMMUNITY = CommunityRef("test", "guild1", "Guild")
GENERAL = ChannelRef(COMMUNITY, "general", "general")
SAM = UserRef("test", "sam", "Sam")
BOT = UserRef("test", "otherbot", "Other bot", is_bot=True)


def message(n: int, text: str, author: UserRef = SAM) -> ChatMessage:
    return ChatMessage(
        id=f"m{n}", channel=GENERAL, author=author, text=text, sent_at=datetime.now(UTC)
    )


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


async def fetch(url: str) -> tuple[int, bytes]:
    return await asyncio.to_thread(get, url)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a /metrics page."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(page: dict, name: str, **labels: str) -> float:
    return page[(name, tuple(sorted(labels.items())))]


async def scrape(monitor: Monitor) -> dict:
    status, body = await fetch(f"http://127.0.0.1:{monitor.port}/metrics")
    assert status == 200
    return samples(body.decode())


async def health(monitor: Monitor) -> tuple[int, dict]:
    status, body = await fetch(f"http://127.0.0.1:{monitor.port}/healthz")
    return status, json.loads(body)


@pytest.fixture
async def real(sqlite_url) -> AsyncIterator[tuple[object, Monitor, Path]]:
    """The service as `emotion-bot run` builds it (shipped model) and its monitor on a free port."""
    settings = load_settings(database_url=sqlite_url, model_dir=MODEL)
    service = app.build_service(settings, chart=False)
    monitor = Monitor(service)
    await monitor.start("127.0.0.1", 0)
    try:
        yield service, monitor, Path(sqlite_url.removeprefix("sqlite:///"))
    finally:
        await app.close_service(service)
        await monitor.stop()


@needs_model
async def test_messages_latency_and_backlog_are_counted_and_health_follows_the_store(real):
    service, monitor, db_file = real
    status, body = await health(monitor)
    assert status == 200
    assert body["ok"] is True and body["backlog"] == 0
    assert body["model"] == service.classifier.version and body["uptime_s"] >= 0

    for n, text in enumerate(["I love this community", "thanks, that helped", "so sad"], 1):
        await service.on_message(message(n, text))
    await service.on_message(message(4, "beep, I am a bot", author=BOT))
    page = await scrape(monitor)
    assert value(page, "emotion_bot_messages_total", outcome="stored") == 3
    assert value(page, "emotion_bot_messages_total", outcome="skipped") == 1
    assert value(page, "emotion_bot_messages_total", outcome="failed") == 0
    assert value(page, "emotion_bot_messages_skipped_total", reason="bot") == 1
    assert value(page, "emotion_bot_classifier_latency_seconds_count") == 3
    assert value(page, "emotion_bot_classifier_latency_seconds_bucket", le="+Inf") == 3
    assert value(page, "emotion_bot_classifier_latency_seconds_sum") > 0
    assert value(page, "emotion_bot_classifier_texts_total") == 3
    assert value(page, "emotion_bot_backlog", queue="unsaved") == 0
    assert value(page, "emotion_bot_scheduler_leader") == 0  # no scheduler in this process
    assert value(page, "emotion_bot_model_info", version=service.classifier.version) == 1

    # The database file is replaced by something that is not SQLite (the pool closed first, so
    # the next connection opens the file as it is now): saves fail, the health check fails.
    service.store.engine.dispose()
    for leftover in (
        db_file.with_name(db_file.name + "-wal"),
        db_file.with_name(db_file.name + "-shm"),
    ):
        leftover.unlink(missing_ok=True)
    db_file.write_bytes(b"this is not SQLite at all\n" * 200)
    await service.on_message(message(5, "what a lovely day"))
    page = await scrape(monitor)
    assert value(page, "emotion_bot_messages_total", outcome="stored") == 3
    assert value(page, "emotion_bot_messages_total", outcome="failed") == 1
    assert value(page, "emotion_bot_classifier_latency_seconds_count") == 4
    assert value(page, "emotion_bot_backlog", queue="unsaved") == 1
    status, body = await health(monitor)
    assert status == 503
    assert body["ok"] is False and body["backlog"] == 1
    assert body["error"].startswith("store: ") and "not a database" in body["error"]

    monitor.closing = True
    status, body = await health(monitor)
    assert (status, body["error"]) == (503, "shutting down")


async def test_each_monitor_has_its_own_registry(service) -> None:
    first, second = Monitor(service), Monitor(service)
    await service.on_message(message(1, "hello there", author=BOT))
    for monitor in (first, second):
        await monitor.start("127.0.0.1", 0)
    try:
        pages = [await scrape(m) for m in (first, second)]
    finally:
        for monitor in (first, second):
            await monitor.stop()
    assert first.port != second.port
    for page in pages:
        assert value(page, "emotion_bot_messages_total", outcome="skipped") == 1


async def test_job_runs_are_counted_by_job_and_outcome(service, sqlite_url, tmp_path) -> None:
    notifier = RecordingNotifier()
    runtime = JobRuntime(
        service=service,
        options=JobOptions(models_store=tmp_path / "models-store", retrain=RetrainOptions()),
        default_model_dir=Path("."),
        notifiers={"test": notifier},
        communities=lambda: [COMMUNITY],
    )
    monitor = Monitor(service)
    await monitor.start("127.0.0.1", 0)
    scheduler = BotScheduler(runtime, engine=make_engine(sqlite_url))
    monitor.watch_scheduler(scheduler)
    await scheduler.start()
    try:
        assert value(await scrape(monitor), "emotion_bot_scheduler_leader") == 1
        now = datetime.now(UTC)
        scheduler.scheduler.modify_job(RETENTION_JOB, "default", next_run_time=now)
        scheduler.scheduler.modify_job(summary_job_id(COMMUNITY), "default", next_run_time=now)

        def ran(job: str) -> bool:
            return any(
                s.labels.get("job") == job
                for m in monitor.job_runs.collect()
                for s in m.samples
                if s.name.endswith("_total")
            )

        assert await wait_for(lambda: ran("retention") and ran("summary"))
        page = await scrape(monitor)
        assert value(page, "emotion_bot_job_runs_total", job="retention", outcome="ok") == 1
        assert value(page, "emotion_bot_job_runs_total", job="summary", outcome="posted") == 1
        assert len(notifier.posts) == 1
    finally:
        scheduler.shutdown()
        await asyncio.sleep(0.05)  # AsyncIOScheduler shuts down on the next loop iteration
    try:
        assert value(await scrape(monitor), "emotion_bot_scheduler_leader") == 0
    finally:
        await monitor.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@needs_model
def test_emotion_bot_run_serves_metrics_when_metrics_port_is_set(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "METRICS_PORT": str(port)}
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        env.pop(name, None)
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--database-url", url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert bot.stdin is not None
        bot.stdin.write("I love this community, thanks all\n")
        bot.stdin.flush()
        page: dict = {}
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and bot.poll() is None:
            try:
                status, body = get(f"http://127.0.0.1:{port}/metrics")
            except OSError:  # not listening yet (the model loads first)
                time.sleep(0.2)
                continue
            page = samples(body.decode())
            if value(page, "emotion_bot_messages_total", outcome="stored") == 1:
                break
            time.sleep(0.2)
        assert value(page, "emotion_bot_messages_total", outcome="stored") == 1
        assert value(page, "emotion_bot_scheduler_leader") == 1  # the console run starts the jobs
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and json.loads(body)["ok"] is True
        _, err = bot.communicate("", timeout=120)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.communicate()
    assert bot.returncode == 0, err
    assert "Traceback" not in err
    with pytest.raises(OSError):  # stopped with the bot
        get(f"http://127.0.0.1:{port}/healthz")


def test_metrics_are_off_by_default_and_the_port_is_checked(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    settings = load_settings()
    assert settings.metrics_port is None and settings.metrics_host == "127.0.0.1"
    monkeypatch.setenv("METRICS_PORT", "70000")
    with pytest.raises(SettingsError, match="METRICS_PORT"):
        load_settings()


@needs_model
def test_a_metrics_port_in_use_stops_the_start_with_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (tmp_path / ".env").write_text(f"METRICS_PORT={port}\n")
        result = _cli(["run", "--database-url", f"sqlite:///{tmp_path / 'bot.db'}"], cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    line = result.stderr.strip().splitlines()[-1]  # `run` logs at INFO before it
    assert line.startswith("emotion-bot: ")
    assert f"cannot serve metrics on 127.0.0.1:{port} (METRICS_HOST, METRICS_PORT)" in line
