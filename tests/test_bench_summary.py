"""``emotion-bot bench summary`` seeds a database, times the summary and /emotion channel with live
messages flowing, and prints one JSON line with the numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.config import REPO_ROOT


def test_bench_summary_runs_and_prints_the_keys() -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "bench", "summary", "--rows", "2000", "--json"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("rows", "summary_s", "channel_s", "peak_rss_mb", "live_p99_ms"):
        assert key in result
    assert result["rows"] == 2000
    # every seeded row is in the summary's two weeks, and so are the live messages sent before it
    assert result["summary_messages"] >= 2000
    assert result["live_messages"] > 0 and result["peak_rss_mb"] > 0
