"""The console adapter, driven by transcripts on a pipe, over the real service and SQLite."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.adapters.console import ConsoleAdapter, render_card
from bot.core.events import Card
from bot.storage import SqlStore, make_engine

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "goemotions-minilm-int8"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


async def run_transcript(service, transcript: str, tmp_path: Path) -> str:
    out = io.StringIO()
    console = ConsoleAdapter(
        service,
        community="demo",
        channel="general",
        member="you",
        out=out,
        files_dir=tmp_path / "files",
    )
    assert await console.run(io.StringIO(transcript)) == 0
    return out.getvalue()


def rows(service, user: str | None = None):
    return service.store.messages(
        platform="console", community_id="demo", since=EPOCH, user_id=user
    )


async def test_a_transcript_end_to_end(service, tmp_path, clock):
    transcript = (
        "\n".join(
            [
                "I love this community, thanks all",
                "/as Sam",
                "I feel so sad and lonely",
                "/as Mia mod",
                "/emotion settings mod-channel here",
                "/as Sam",
                "I want to kill myself",
                "/as Mia mod",
                "/review 1 resolved",
                "/emotion nonsense",
                "/emotion export",
                "/quit",
                "this line is never read",
            ]
        )
        + "\n"
    )
    out = await run_transcript(service, transcript, tmp_path)
    # the classification of each message
    assert "[c1] gratitude 0.90 · love 0.85" in out
    assert "[c2] sadness 0.85" in out
    # the empathy prompt, privately to Sam (the author), not to the first member
    prompt = out.split("💬 privately to Sam (dm):\n", 1)[1].splitlines()[0]
    assert "Sam" in prompt
    # the distress flag, as the moderators' channel shows it, with its buttons
    assert "🚩 to #general (never shown in #general):" in out
    assert "Possible distress: please review (#1)" in out
    assert "[Acknowledge]  [Resolved]  [False alarm]" in out
    # the review by the moderator
    assert "🔁 flag #1 updated" in out and "Resolved by Mia (mia)" in out
    assert "I don't know `/emotion nonsense`" in out
    assert "📎 file for Mia" in out
    export = json.loads((tmp_path / "files" / "emotion-bot-export-mia.json").read_text())
    assert export["user_id"] == "mia"
    assert "never read" not in out
    assert [r.user_id for r in rows(service)] == ["you", "sam", "sam"]


async def test_opt_out_forget_and_small_groups_in_the_console(service, tmp_path):
    transcript = (
        "\n".join(
            [
                "/as ann",
                "hello everyone",
                "/as ben",
                "hi ann",
                "/emotion channel",
                "/as ann",
                "/emotion optout",
                "I am so happy today",
                "/as ben",
                "/emotion forget",
                "/emotion forget confirm",
                "/emotion me",
            ]
        )
        + "\n"
    )
    out = await run_transcript(service, transcript, tmp_path)
    assert "Too few people wrote here" in out
    assert "not read (opted out)" in out
    assert "This deletes everything" in out and "Done: I deleted" in out
    assert "nothing stored for you" in out
    assert rows(service, "ben") == []
    assert [r.user_id for r in rows(service)] == ["ann"]  # only the message before the opt-out


async def test_the_console_survives_odd_input(service, tmp_path, fake_classifier):
    fake_classifier.fail_on = "BROKEN"
    long = "word " * 2000
    transcript = (
        "\n".join(
            [
                "😂😂😂",
                long,
                "BROKEN text",
                "/emotion check 'unbalanced",
                "/unknown",
                "/as",
                "/review x y",
                "",
                "   ",
                "/dm I want to kill myself",
                "still here",
            ]
        )
        + "\n"
    )
    out = await run_transcript(service, transcript, tmp_path)
    assert "[c1] amusement 0.80" in out
    assert "[c2] neutral" in out and "[long]" in out
    assert "Console commands" in out  # the help for unknown console commands
    assert "findahelpline.com" in out  # the DM got resources privately
    assert "[c3] not read (classifier failed, kept for a retry)" in out
    assert "[c5] neutral" in out  # "still here": the session went on
    assert service.pending == 1  # retried after "still here", failed again, still kept
    assert [r.message_id for r in rows(service)] == ["c1", "c2", "c5"]


def test_render_card_shows_fields_buttons_and_how_to_press_them():
    card = Card(
        title="T",
        body="b",
        fields=(("F", "one\ntwo"), ("G", "single")),
        link="http://x",
        buttons=(("flag:3:acknowledged", "Ack"),),
        footer="foot",
    )
    text = render_card(card, indent="")
    assert text.splitlines() == [
        "┌─ T",
        "│ b",
        "│ F:",
        "│   one",
        "│   two",
        "│ G: single",
        "│ link: http://x",
        "│ [Ack]",
        "│   (/review 3 acknowledged|resolved|false_alarm)",
        "└─ foot",
    ]


def _cli(args: list[str], *, stdin: str = "", cwd: Path, timeout: int = 300):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for name in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
    )


def test_chat_without_a_model_says_what_to_do(tmp_path):
    result = _cli(
        [
            "chat",
            "--database-url",
            f"sqlite:///{tmp_path}/b.db",
            "--model-dir",
            str(tmp_path / "nope"),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "model folder" in result.stderr and "MODEL_DIR" in result.stderr


def test_placeholder_token_stops_run_with_a_clear_error(tmp_path):
    (tmp_path / ".env").write_text("DISCORD_TOKEN=changeme\n")
    result = _cli(["run"], cwd=tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is a placeholder" in result.stderr


needs_model = pytest.mark.skipif(
    not (MODEL / "model.onnx").is_file(), reason="the real model is not in models/ yet"
)


@needs_model
@pytest.mark.slow
def test_chat_with_the_real_model_on_a_pipe(tmp_path):
    transcript = (
        "I am so happy for you, congratulations!\n/as sam\nthis is awful, I hate it\n"
        "/emotion check I'm scared of the exam tomorrow\n/emotion me\n"
    )
    result = _cli(
        ["chat", "--database-url", f"sqlite:///{tmp_path}/bot.db"], stdin=transcript, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[c1] " in out and "[c2] " in out
    assert "How I read it" in out and "Your mood over the last 30 days" in out
    assert (tmp_path / "bot.db").is_file()


@needs_model
@pytest.mark.slow
def test_run_without_tokens_starts_the_console(tmp_path):
    result = _cli(
        ["run", "--database-url", f"sqlite:///{tmp_path}/bot.db"],
        stdin="hello there\n",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "emotion-bot console" in result.stdout and "[c1] " in result.stdout


@needs_model
@pytest.mark.slow
def test_bench_core_counts_every_message(tmp_path):
    result = _cli(["bench", "core", "--messages", "300", "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.strip().splitlines()[-1])
    assert data["messages"] == data["rows"] == 300
    assert data["msgs_per_s"] > 0 and data["p99_ms"] >= data["p50_ms"] > 0
    assert data["backlog"] == 0


@needs_model
@pytest.mark.slow
def test_a_second_console_session_replaces_nothing(tmp_path):
    # Issue 16, item 5: ids restarted at c1, so the second session overwrote the first one's rows.
    db = tmp_path / "bot.db"
    url = f"sqlite:///{db}"
    first = _cli(
        ["chat", "--database-url", url], stdin="I love this\nthis is awful\n", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    second = _cli(["run", "--database-url", url], stdin="what a day\nso happy\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "[c1] " in first.stdout and "[c2] " in first.stdout
    assert "[c3] " in second.stdout and "[c4] " in second.stdout and "[c1] " not in second.stdout
    store = SqlStore(make_engine(url))
    try:
        stored = store.messages(platform="console", community_id="console", since=EPOCH)
    finally:
        store.engine.dispose()
    assert sorted(r.message_id for r in stored) == ["c1", "c2", "c3", "c4"]


def test_the_console_numbers_on_from_the_highest_stored_id(store):
    # labels and flags keep ids of messages since deleted: those numbers are not reused either
    from bot.core.records import HumanLabel

    assert store.highest_numbered_id("console", "c") == 0
    store.add_label(
        HumanLabel(
            platform="console",
            community_id="demo",
            text="t",
            emotion="joy",
            labelled_by="you",
            labelled_at=EPOCH,
            message_id="c41",
        )
    )
    store.add_label(
        HumanLabel(
            platform="slack",
            community_id="T1",
            text="t",
            emotion="joy",
            labelled_by="U1",
            labelled_at=EPOCH,
            message_id="c99",
        )
    )
    assert store.highest_numbered_id("console", "c") == 41
