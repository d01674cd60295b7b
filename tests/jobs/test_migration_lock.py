"""``emotion-bot db upgrade`` started three times at once on one empty database (real processes:
Alembic is not thread-safe): every one succeeds and the schema is migrated once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage import current, head
from tests.multiprocess.pgdb import new_pg_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
        return
    with new_pg_database("eb_jobs") as url:
        yield url


def _upgrade_together(url: str, n: int, cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "bot", "db", "upgrade", "--url", url]
    procs = [
        subprocess.Popen(
            cmd, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results


@pytest.mark.parametrize("attempt", range(4))
def test_concurrent_upgrades_of_an_empty_database_all_succeed(
    empty_url: str, attempt: int, tmp_path: Path
) -> None:
    results = _upgrade_together(empty_url, 3, tmp_path)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr[-600:] for r in results]
    assert current(empty_url) == head()
