"""Issue 16, item 8, with real processes: a trainer dies with the bot (even ``kill -9``), one
trainer at a time across processes (the models store's file lock, released by the OS when its
holder dies), and the labelled texts an interrupted run left behind are deleted on the next start.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from bot.jobs.options import RetrainOptions
from bot.jobs.retrain import Retrainer
from bot.modelstore.registry import ModelRegistry

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")

# The "bot": takes the training lock as a run does and starts a long-lived Python trainer with
# run_logged, then waits; the trainer writes its pid and sleeps far longer than any test.
BOT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bot.jobs.process import run_logged
    from bot.modelstore.registry import ModelRegistry

    store, pidfile = Path(sys.argv[1]), sys.argv[2]
    trainer = [sys.executable, "-c",
               "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); "
               "time.sleep(3600)", pidfile]

    async def main():
        with ModelRegistry(store).training_lock() as got:
            assert got
            await run_logged(trainer, log=store / "train.log", timeout_s=3600, niceness=5)

    asyncio.run(main())
    """
)


def _wait_for(check, what: str, limit_s: float = 60.0) -> None:
    """Poll until ``check()`` holds (a generous limit only against a hang, not a timing claim)."""
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _retrainer(store, root: Path) -> Retrainer:
    return Retrainer(
        store=store,
        registry=ModelRegistry(root),
        options=RetrainOptions(),
        serving_dir=lambda: root / "nowhere",
    )


async def test_a_trainer_dies_with_a_killed_bot_and_one_runs_at_a_time(store, tmp_path) -> None:
    root, pidfile = tmp_path / "models-store", tmp_path / "trainer.pid"
    root.mkdir()
    bot = subprocess.Popen([sys.executable, "-c", BOT, str(root), str(pidfile)])
    try:
        _wait_for(lambda: pidfile.exists() and pidfile.read_text() != "", "the trainer to start")
        trainer = int(pidfile.read_text())
        assert psutil.pid_exists(trainer) and not _gone(trainer)

        # a second run, here in another process, is refused while the first one trains
        second = await _retrainer(store, root).run(trigger="test")
        assert second.status == "skipped" and "in progress" in second.reason

        os.kill(bot.pid, signal.SIGKILL)
        assert bot.wait() == -signal.SIGKILL
        _wait_for(lambda: _gone(trainer), "the orphaned trainer to die")
    finally:
        bot.kill()
        bot.wait()
        if pidfile.exists() and pidfile.read_text():
            with_pid = int(pidfile.read_text())
            if not _gone(with_pid):
                os.kill(with_pid, signal.SIGKILL)
    # the OS released the dead bot's lock: the next run may train
    with ModelRegistry(root).training_lock() as got:
        assert got


def test_texts_left_by_an_interrupted_run_are_deleted_on_the_next_start(store, tmp_path) -> None:
    root = tmp_path / "models-store"
    run = root / "runs" / "20261202-090000"
    (run / "train").mkdir(parents=True)
    for name in ("extra.tsv", "community-holdout.tsv", "extra.json"):
        (run / name).write_text("labelled words\tjoy\n", encoding="utf-8")
    (run / "train.log").write_text("log\n", encoding="utf-8")

    with ModelRegistry(root).training_lock() as got:  # a run in progress elsewhere owns them
        assert got
        _retrainer(store, root)
        assert (run / "extra.tsv").exists()

    _retrainer(store, root)  # the bot's next start
    assert sorted(p.name for p in run.iterdir()) == ["train.log"]
