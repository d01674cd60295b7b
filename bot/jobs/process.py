"""Run the trainer as a niced child process without blocking the event loop.

Output goes to a log file (the tail is kept for the report); the peak resident memory of the
child and its children is sampled every half second; a timeout or a cancellation (the bot shuts
down) kills the whole process group, and so does the child's end (helpers it left behind). On
Linux the child also dies with the bot: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` before it starts, so
a bot killed with ``kill -9`` leaves no trainer running as an orphan beside the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from bot.config import REPO_ROOT

logger = logging.getLogger(__name__)

TAIL_LINES = 15


@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    seconds: float
    peak_rss_mb: float
    timed_out: bool
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = TAIL_LINES) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def niced(command: Sequence[str], niceness: int) -> list[str]:
    """``nice -n N command...`` where ``nice`` exists (Linux, macOS), else the command."""
    nice = shutil.which("nice")
    if niceness and nice:
        return [nice, "-n", str(niceness), *command]
    return list(command)


def child_env(threads: int) -> dict[str, str]:
    """The bot's environment, with the checkout importable and thread pools sized."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(REPO_ROOT) + (os.pathsep + path if path else "")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    if threads > 0:
        env["OMP_NUM_THREADS"] = str(threads)
    return env


def _rss_mb(pid: int) -> float:
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total / 2**20


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child get SIGKILL when the bot dies (Linux), else None.

    Resolved here, before the fork, so the child only calls ``prctl``; should the bot already
    have died between the fork and the call, the child exits at once instead of running on.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


async def run_logged(
    command: Sequence[str],
    *,
    log: Path,
    timeout_s: float,
    niceness: int = 0,
    threads: int = 0,
) -> ProcessResult:
    """Run ``command`` (niced), appending its output to ``log``; never raises for a failing
    command (see :attr:`ProcessResult.returncode`), re-raises a cancellation after the kill."""
    full = niced(command, niceness)
    logger.info("starting: %s", " ".join(full))
    started = time.perf_counter()
    peak = 0.0
    with log.open("ab") as out:
        out.write(f"$ {' '.join(full)}\n".encode())
        out.flush()
        proc = await asyncio.create_subprocess_exec(
            *full,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
            cwd=str(REPO_ROOT),
            env=child_env(threads),
            start_new_session=True,  # its own process group: killed as a whole
            preexec_fn=_death_signal(),  # and it dies with the bot
        )
        waiter = asyncio.ensure_future(proc.wait())
        timed_out = False
        try:
            deadline = started + timeout_s
            while not waiter.done():
                peak = max(peak, _rss_mb(proc.pid))
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    timed_out = True
                    logger.error("training process %d ran past %.0f s: killed", proc.pid, timeout_s)
                    _kill_group(proc)
                    break
                await asyncio.wait({waiter}, timeout=min(0.5, remaining))
            returncode = await waiter
            _kill_group(proc)  # helpers it started and left behind (the group outlives its leader)
        except asyncio.CancelledError:
            logger.warning("training process %d cancelled: killing it", proc.pid)
            _kill_group(proc)
            with contextlib.suppress(Exception):
                await asyncio.shield(waiter)
            raise
    seconds = time.perf_counter() - started
    result = ProcessResult(
        returncode=-9 if timed_out else int(returncode),
        seconds=round(seconds, 1),
        peak_rss_mb=round(peak, 1),
        timed_out=timed_out,
        log=log,
    )
    logger.info(
        "finished with status %d in %.0f s (peak %.0f MB)", result.returncode, seconds, peak
    )
    return result
