"""How the golden outputs are produced: the installed ``emotion-bot`` command, in a clean
temporary working folder (no ``.env``), with a fresh SQLite database and an empty models store,
so that nothing on this machine but the code and the shipped model decides the output."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("emotion-bot")
CHAT_TRANSCRIPT = "I love this\n/as sam\nugh this is awful\n/emotion me\n/emotion help\n"
MODEL = REPO / "models" / "goemotions-minilm-int8"


def help_name(path: tuple[str, ...] | list[str]) -> str:
    return "-".join(["emotion-bot", *path]) + ".txt"


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MODEL"))}
    env.update(
        COLUMNS="100",  # argparse wraps help to the terminal's width
        LINES="40",
        PYTHONIOENCODING="utf-8",
        HF_HUB_OFFLINE="1",
        DATABASE_URL=f"sqlite:///{tmp / 'golden.db'}",
        MODELS_STORE=str(tmp / "models-store"),
        MODEL_DIR=str(MODEL),
        SCHEDULER_ENABLED="false",
    )
    for key in list(env):
        if key.startswith(("DISCORD_", "SLACK_")):
            del env[key]
    return env


def _run(args: list[str], stdin: str = "") -> tuple[str, Path]:
    tmp = Path(tempfile.mkdtemp(prefix="emotion-golden-"))
    done = subprocess.run(
        [str(EXE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp,
        env=_env(tmp),
        timeout=300,
        check=False,
    )
    return f"{done.stdout}[stderr]\n{done.stderr}[exit {done.returncode}]\n", tmp


def run_help(path: tuple[str, ...] | list[str]) -> str:
    out, _ = _run([*path, "--help"])
    return out


def run_chat() -> str:
    out, tmp = _run(["chat"], stdin=CHAT_TRANSCRIPT)
    return normalise(out, tmp)


SUMMARY_WEEK = "2026-W48"  # the week the golden file was recorded in


def run_summary_demo(week: str | None = SUMMARY_WEEK) -> str:
    """``summary --demo`` for a fixed week (so the file is the same any day), with the PNG's
    size; ``week=None`` renders the default (last complete) week."""
    args = ["summary", "--demo", "--out", "out"] + (["--week", week] if week else [])
    out, tmp = _run(args)
    pngs = sorted((tmp / "out").glob("*.png"))
    sizes = "".join(f"[png {p.name}: {p.stat().st_size} bytes]\n" for p in pngs)
    return normalise(drop_log_lines(out), tmp) + sizes


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: .*\n", re.M)
WEEK = re.compile(r"\b20\d\d-W\d\d\b")
HEADING = re.compile(r"Mood summary: .*")


def drop_log_lines(text: str) -> str:
    """Log records on stderr carry the time and the logging module's name: not the output."""
    return LOG_LINE.sub("", text)


def normalise(text: str, tmp: Path) -> str:
    """Only what is truly nondeterministic: the temporary folder's path."""
    return text.replace(str(tmp), "<tmp>")


def normalise_week(text: str) -> str:
    """The default week is the last complete one: its label and dates depend on today."""
    return HEADING.sub("Mood summary: <week>", WEEK.sub("<week>", text))
