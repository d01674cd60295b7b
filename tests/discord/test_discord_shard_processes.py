"""Two real bot processes on one token split the servers (issue 18, item 5).

Before: both processes received every event. Now, with ``DISCORD_SHARD_COUNT=2`` and
``DISCORD_SHARD_IDS=0`` / ``=1``, each IDENTIFYs for its own shard only, so the fake gateway
(which routes like Discord, by ``(guild_id >> 22) % 2``) sends each process only its servers'
events; only the shard-0 process registers the slash commands. Each process has its own SQLite
file, so what a process stored is what it handled.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage import SqlStore, make_engine, upgrade
from tests.discord import payloads as p
from tests.discord.conftest import ALICE
from tests.discord.fake_shards import ShardedFakeDiscord, guild_copy, shard_of

REPO = Path(__file__).resolve().parents[2]
GUILD_B = str(int(p.GUILD_ID) + (1 << 22))
GENERAL_B = str(int(p.GENERAL_ID) + 1000)
READY_LINE = "Discord: logged in as"


@pytest.fixture
async def gateway() -> AsyncIterator[ShardedFakeDiscord]:
    assert (shard_of(p.GUILD_ID, 2), shard_of(GUILD_B, 2)) == (0, 1)
    guild_b = guild_copy(GUILD_B, "Guild B", id_offset=1000, owner_id="920000000000000002")
    server = ShardedFakeDiscord([p.guild(), guild_b])
    await server.start()
    yield server
    await server.stop()
    assert not server.errors, server.errors


class Worker:
    """One ``python -m tests.discord.shard_worker`` process with its own database and log."""

    def __init__(self, tmp: Path, name: str, port: int, **env: str) -> None:
        self.db = tmp / f"{name}.db"
        self.log = tmp / f"{name}.log"
        self.url = f"sqlite:///{self.db}"
        upgrade(self.url)
        self.engine = make_engine(self.url)
        self.store = SqlStore(self.engine)
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
        environ.update(
            PYTHONPATH=str(REPO),
            HF_HUB_OFFLINE="1",
            FAKE_DISCORD_PORT=str(port),
            DATABASE_URL=self.url,
            DISCORD_TOKEN="fake-token",
            **env,
        )
        self._log_file = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.discord.shard_worker"],
            cwd=tmp,  # no .env of the developer's
            env=environ,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    async def ready(self, timeout: float = 60.0) -> None:
        """Wait for the adapter's ready line (fail fast if the process died)."""
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.text():
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited {self.proc.returncode}:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready:\n{self.text()}")
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._log_file.close()
        self.engine.dispose()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


async def eventually(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
    return result


async def test_two_processes_split_the_shards_and_only_shard_0_syncs(
    gateway: ShardedFakeDiscord, workers: list[Worker], tmp_path: Path
) -> None:
    shard1 = Worker(
        tmp_path, "shard1", gateway.port, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1"
    )
    workers.append(shard1)
    await shard1.ready()
    assert gateway.identified_shards() == [(1, 2)]  # its own shard only
    assert not gateway.sent("PUT", r"/commands$")  # ready, and the commands left alone
    assert "holds shard 0 syncs the slash commands" in shard1.text()

    shard0 = Worker(
        tmp_path, "shard0", gateway.port, DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0"
    )
    workers.append(shard0)
    await shard0.ready()
    assert gateway.identified_shards() == [(1, 2), (0, 2)]  # one IDENTIFY per process
    (sync,) = gateway.sent("PUT", r"/commands$")  # registered once, by the shard-0 process
    assert sync.path == f"/applications/{p.APP_ID}/commands"
    assert "in 1 server(s) on shard(s) 0 of 2. Slash commands synced globally" in shard0.text()
    assert not gateway.sent("GET", r"^/gateway/bot$")  # the count is given: nothing to ask

    on_b = p.message(content="so happy today", author=ALICE, guild_id=GUILD_B, channel_id=GENERAL_B)
    on_a = p.message(content="thanks everyone", author=ALICE)
    await gateway.dispatch("MESSAGE_CREATE", on_b)  # a server on shard 1
    await gateway.dispatch("MESSAGE_CREATE", on_a)  # a server on shard 0
    stored_b = await eventually(lambda: shard1.store.get_message("discord", on_b["id"]))
    stored_a = await eventually(lambda: shard0.store.get_message("discord", on_a["id"]))
    assert (stored_b.label, stored_a.label) == ("joy", "gratitude")
    # Each event reached one process: the other never had it (it was sent before the event the
    # other process did store, on its one connection, so it would have arrived first).
    assert shard0.store.get_message("discord", on_b["id"]) is None
    assert shard1.store.get_message("discord", on_a["id"]) is None
    delivered = [
        (shard, mid) for shard, event, mid in gateway.deliveries if event == "MESSAGE_CREATE"
    ]
    assert delivered == [((1, 2), on_b["id"]), ((0, 2), on_a["id"])]
    assert shard0.proc.poll() is None and shard1.proc.poll() is None


def test_a_bad_shard_setting_stops_the_bot_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(
        PYTHONPATH=str(REPO),
        HF_HUB_OFFLINE="1",
        DISCORD_TOKEN="fake-token",
        DISCORD_SHARD_COUNT="2",
        DISCORD_SHARD_IDS="0,2",
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "emotion-bot: invalid configuration: DISCORD_SHARD_IDS has shard 2, but shards are "
        "numbered 0 to 1 with DISCORD_SHARD_COUNT=2"
    ]
