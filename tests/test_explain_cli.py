"""``emotion-bot explain`` and ``bench explain`` end to end on a tiny real model, and the chart."""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import pytest

import classifier
from bot.bench import explain as bench_explain
from bot.charts.explanation import printable, render_explanation_png
from bot.cli import bench as bench_cli
from bot.cli import explain as explain_cli
from classifier.explain import Explanation, Word, explain

pytestmark = pytest.mark.slow

TEXT = "i feel furious and glad today!! 😭 thanks"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="emotion-bot")
    sub = parser.add_subparsers(dest="command")
    explain_cli.register(sub)
    bench = sub.add_parser("bench").add_subparsers(dest="bench")
    bench_cli._explain(bench)
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args) or 0)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def model_dir(goemotions_run: Path) -> Path:
    return goemotions_run / "model"


def test_json_output_shape(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["explain", "--model", str(model_dir), "--threads", "1", "--json", TEXT]) == 0
    data = json.loads(capsys.readouterr().out)
    keys = "text emotion base_score label model_version method note words_total words"
    assert set(data) == set(keys.split())
    assert data["text"] == TEXT and data["emotion"] == data["label"] and data["note"] is None
    assert data["words_total"] == len(data["words"]) == 9
    strengths = [abs(w["contribution"]) for w in data["words"]]
    assert strengths == sorted(strengths, reverse=True)
    for w in data["words"]:
        assert set(w) == {"word", "start", "end", "contribution"}
        assert TEXT[w["start"] : w["end"]] == w["word"]
    expected = classifier.load(model_dir, threads=1).predict([TEXT])[0]
    assert data["label"] == expected.label
    # int8: scored inside a batch vs alone (see test_explain.TOLERANCE)
    assert data["base_score"] == pytest.approx(expected.scores[expected.label], abs=0.05)


def test_text_output_and_png(
    model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "why.png"
    argv = f"explain --model {model_dir} --threads 1 --emotion Anger --png {png} --top 4"
    code = _run([*argv.split(), *TEXT.split()])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("anger ")
    assert len([line for line in lines if line.startswith("  +") or line.startswith("  -")]) == 4
    assert "… 5 weaker words" in out and f"chart written to {png}" in out
    width, height = _png_size(png.read_bytes())
    assert width == 880 and 250 < height < 1200


def test_unknown_emotion_is_an_error(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["explain", "--model", str(model_dir), "--emotion", "bliss", "hi"]) == 2
    assert "unknown emotion 'bliss'" in capsys.readouterr().err


def test_empty_text(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["explain", "--model", str(model_dir), "--threads", "1", "--json", ""]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["note"] == "empty" and data["words"] == [] and data["emotion"] == "neutral"


def test_chart_sizes_grow_with_words_and_survive_odd_input(goemotions_run: Path) -> None:
    model = classifier.load(goemotions_run / "model", threads=1)
    empty = _png_size(render_explanation_png(explain(model, "")))
    few = _png_size(render_explanation_png(explain(model, "so glad")))
    many = _png_size(render_explanation_png(explain(model, "glad " * 100)))  # cut, 15 shown
    odd = _png_size(render_explanation_png(explain(model, "今日は悲しい 👨\u200d👩\u200d👧 ❤️")))
    assert empty[1] < few[1] < many[1] < 1200 and odd[0] == 880
    only_down = Explanation("meh", "joy", 0.1, [Word("meh", 0, 3, -0.2)], model_version="v")
    assert _png_size(render_explanation_png(only_down))[0] == 880


def test_printable_names_what_the_font_cannot_draw() -> None:
    assert printable("ok 🥳🥳") == "ok [face with party horn and party hat]×2"
    assert printable("日本") == "□□"
    assert printable("plain text") == "plain text"


def test_bench_explain_ends_with_a_json_line(
    goemotions_run: Path, emotion_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = (
        f"bench explain --model {goemotions_run / 'model'} --threads 1 --data {emotion_data} "
        "--n 8 --k 2 --draws 2 --samples 4 --runs 3"
    )
    code = _run(argv.split())
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("model ") and "random" in lines[2]
    summary = json.loads(lines[-1])
    assert summary["bench"] == "explain" and summary["sentences"] == 8 and summary["k"] == [1, 2]
    for method in ("occlusion", "sampled"):
        r = summary[method]
        assert len(r["top"]) == len(r["reverse"]) == 2
        assert r["area_top"] == pytest.approx(sum(r["top"]) - sum(summary["random"]), abs=1e-3)
        assert r["area_top_ci95"][0] <= r["area_top"] <= r["area_top_ci95"][1]
    assert summary["latency_20_words"]["p50_ms"] > 0
    assert summary["latency_20_words"]["words"] == 20  # the built-in 20-word message


def test_commands_are_wired_into_the_cli() -> None:
    """The real ``emotion-bot`` parser has both commands (bot/cli/explain.py, bot/cli/bench.py)."""
    from bot.cli import build_parser

    args = build_parser().parse_args(["explain", "hello"])
    assert args.func is explain_cli.cmd_explain
    args = build_parser().parse_args(["bench", "explain", "--n", "3"])
    assert args.func is bench_explain.cmd_bench_explain


SHIPPED = Path(__file__).resolve().parents[1] / "models" / "goemotions-minilm-int8"


@pytest.mark.skipif(not (SHIPPED / "model.onnx").is_file(), reason="no shipped model")
def test_png_into_a_missing_folder_makes_it_and_an_unwritable_one_is_one_line(
    tmp_path: Path,
) -> None:
    # Issue 16, item 15: `explain --png new/dir/why.png` ended in a traceback.
    from tests.console.test_console import _cli

    png = tmp_path / "new" / "dir" / "why.png"
    made = _cli(["explain", "--threads", "1", "--png", str(png), "so happy today"], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert f"chart written to {png}" in made.stdout
    assert _png_size(png.read_bytes())[0] == 880
    (tmp_path / "a-file").write_text("not a folder")
    bad = tmp_path / "a-file" / "why.png"
    failed = _cli(["explain", "--threads", "1", "--png", str(bad), "so happy today"], cwd=tmp_path)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert f"error: cannot write --png {bad}" in failed.stderr
