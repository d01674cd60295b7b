"""The whole bot with a real (tiny) model: the real classifier behind the core, the real SQLite
store, through the command line. The tiny model is the dair-ai six-class scheme, which also shows
that the core reads emotion families from the scheme instead of hard-coding GoEmotions labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.storage import SqlStore, make_engine
from classifier.scheme import EMOTION_LABELS
from tests.console.test_console import EPOCH, _cli

pytestmark = pytest.mark.slow


def test_chat_with_a_tiny_real_model(emotion_run: Path, tmp_path: Path) -> None:
    # The tiny model's answers vary from one training run to the next, so this checks the
    # plumbing (what was shown and stored), not which emotion the model picked.
    transcript = (
        "i feel happy and glad today\n"
        "/as sam\n"
        "i feel sad and lonely again\n"
        "/emotion check i feel furious right now\n"
        "/emotion me\n"
    )
    db = tmp_path / "bot.db"
    result = _cli(
        ["chat", "--database-url", f"sqlite:///{db}", "--model-dir", str(emotion_run / "model")],
        stdin=transcript,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for message_id in ("c1", "c2"):
        shown = out.split(f"[{message_id}] ", 1)[1].split()[0]
        assert shown in EMOTION_LABELS
    assert "How I read it" in out and "Your mood over the last 30 days" in out
    store = SqlStore(make_engine(f"sqlite:///{db}"))
    rows = store.messages(platform="console", community_id="console", since=EPOCH)
    assert [(r.message_id, r.user_id) for r in rows] == [("c1", "alex"), ("c2", "sam")]
    for row in rows:
        assert set(row.scores) == set(EMOTION_LABELS)
        assert abs(sum(row.scores.values()) - 1.0) < 1e-3  # softmax scheme


def test_bench_core_with_a_tiny_real_model(emotion_run: Path, tmp_path: Path) -> None:
    result = _cli(
        ["bench", "core", "--messages", "400", "--json", "--model-dir", str(emotion_run / "model")],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["messages"] == data["rows"] == 400
    assert data["backlog"] == 0 and data["mean_batch"] > 1
    assert data["p99_ms"] >= data["p50_ms"] > 0
