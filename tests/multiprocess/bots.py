"""Real bot processes for the multiprocess tests: ``python -m bot run`` (the console when no token
is set, the Slack adapter in HTTP mode against the fake Slack otherwise), each with its own
folder, log files and metrics port; read through ``/healthz`` and ``/metrics``, never a fixed
sleep. Everything here is async-friendly (the fake Slack runs in the test's event loop)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "goemotions-minilm-int8"
CONSOLE_POST = "📊 to the moderators' channel:"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

# Short enough for tests of a minute; the defaults are minutes (see .env.example).
FAST = {
    "SCHEDULER_POLL_S": "0.5",
    "SCHEDULER_LEADER_RETRY_S": "0.5",
    "SCHEDULER_LEASE_S": "4",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Bot:
    """One ``emotion-bot run`` process."""

    def __init__(
        self, name: str, url: str, root: Path, *, slack_api: str | None = None, **env: str
    ) -> None:
        self.name = name
        self.url = url
        self.folder = root / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.metrics_port = free_port()
        full = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "HF_HUB_OFFLINE": "1",
            "METRICS_PORT": str(self.metrics_port),
            "CLASSIFIER_THREADS": "1",
            "RETRAIN_ENABLED": "false",
            "LOG_LEVEL": "INFO",
            **FAST,
            **env,
        }
        for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
            full.pop(var, None)
        for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"):
            full.pop(var, None)  # slack-sdk honours them, not NO_PROXY
        if slack_api is not None:
            full.update(
                SLACK_BOT_TOKEN="xoxb-test-bot-token",
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_PORT=str(free_port()),
                SLACK_API_URL=slack_api,
            )
        self.env = full
        self.proc: subprocess.Popen[str] | None = None
        self._out: IO[str] | None = None
        self._err: IO[str] | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Bot:
        self._out = open(self.folder / "stdout.log", "w", encoding="utf-8")  # noqa: SIM115
        self._err = open(self.folder / "stderr.log", "w", encoding="utf-8")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--database-url", self.url],
            stdin=subprocess.PIPE,  # the console reads it; kept open, it runs until closed
            stdout=self._out,
            stderr=self._err,
            text=True,
            cwd=self.folder,
            env=self.env,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind (the lease and the lock die with it)."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    async def stop(self) -> int:
        """End the process the way an operator would: EOF for the console, SIGTERM otherwise."""
        assert self.proc is not None
        if self.alive():
            if "SLACK_BOT_TOKEN" in self.env:
                self.proc.send_signal(signal.SIGTERM)
            elif self.proc.stdin is not None:
                self.proc.stdin.close()
        for _ in range(600):
            if self.proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        else:
            self.proc.kill()
        self.proc.wait(timeout=30)
        return int(self.proc.returncode)

    def close(self) -> None:
        """Reap the process whatever happened (a test's ``finally``)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for f in (self._out, self._err):
            if f is not None:
                f.close()

    # --- what it shows ---------------------------------------------------------------------------

    def stdout(self) -> str:
        return (self.folder / "stdout.log").read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return (self.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")

    def console_posts(self) -> int:
        return self.stdout().count(CONSOLE_POST)

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        """The /metrics samples, None while it does not answer."""
        try:
            status, body = await asyncio.to_thread(
                _get, f"http://127.0.0.1:{self.metrics_port}/metrics"
            )
        except OSError:
            return None
        if status != 200:
            return None
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples
        }

    async def value(self, name: str, **labels: str) -> float | None:
        page = await self.metrics()
        if page is None:
            return None
        return page.get((name, tuple(sorted(labels.items()))), 0.0)

    async def leader(self) -> bool:
        return await self.value("emotion_bot_scheduler_leader") == 1

    async def healthy(self) -> bool:
        try:
            status, _ = await asyncio.to_thread(
                _get, f"http://127.0.0.1:{self.metrics_port}/healthz"
            )
        except OSError:
            return False
        return status == 200

    def describe(self) -> str:
        code = None if self.proc is None else self.proc.poll()
        return f"--- {self.name} (exit {code}) stderr:\n{self.stderr()[-3000:]}"


async def until(predicate: Callable[[], Any], timeout: float, what: str, *bots: Bot) -> None:
    """Wait until ``await predicate()`` (or a plain value) is true; fail saying ``what`` and with
    the bots' logs when ``timeout`` seconds pass or a bot died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        dead = [b for b in bots if b.proc is not None and b.proc.poll() is not None]
        if dead or loop.time() > deadline:
            logs = "\n".join(b.describe() for b in bots)
            why = f"{', '.join(b.name for b in dead)} exited" if dead else f"{timeout:g} s passed"
            raise AssertionError(f"waiting for {what}: {why}\n{logs}")
        await asyncio.sleep(0.2)


def force_due(url: str, *job_ids: str) -> None:
    """Make persisted jobs fall due now, through APScheduler's own job store: its column and its
    pickled state both, as ``modify_job`` writes them (a running scheduler attached to the store
    would process the jobs itself; the scheduler here only lends the store its time zone). The
    leader sees the change when it next reads the store."""
    store = SQLAlchemyJobStore(url=url)
    store.start(BackgroundScheduler(timezone="UTC"), "default")  # never started
    try:
        now = datetime.now(UTC)
        for job_id in job_ids:
            job = store.lookup_job(job_id)
            assert job is not None, f"no persisted job {job_id}"
            job._modify(next_run_time=now)  # what BaseScheduler.modify_job does
            store.update_job(job)
    finally:
        store.shutdown()


def persisted_jobs(url: str) -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT id FROM apscheduler_jobs")).scalars())
    finally:
        engine.dispose()
