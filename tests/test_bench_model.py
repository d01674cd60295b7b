"""``emotion-bot bench model`` on the tiny real models: three engines in fresh processes, several
rounds in alternating order, medians and per-round speed-ups in the JSON line."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from bot.cli import main

pytestmark = pytest.mark.slow


def test_bench_model_reports_medians_over_rounds(
    emotion_run: Path, emotion_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "bench", "model", "--model", str(emotion_run / "model"),
            "--fp32", str(emotion_run / "model-fp32"), "--torch", str(emotion_run / "checkpoint"),
            "--data", str(emotion_data), "--messages", "30", "--threads", "1",
            "--rounds", "2", "--json",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["rounds"] == 2 and summary["messages"] == 30
    ratios = summary["int8_vs_torch_speedup_by_round"]
    assert len(ratios) == 2 and all(r > 0 for r in ratios)
    assert summary["int8_vs_torch_speedup"] == pytest.approx(statistics.median(ratios))
    for key in ("int8_p50_ms", "int8_p99_ms", "fp32_p50_ms", "torch_p50_ms", "peak_rss_mb"):
        assert summary[key] > 0
    assert summary["int8_p99_ms"] >= summary["int8_p50_ms"]
    assert "median of 2 round(s)" in out and "per round:" in out


def test_bench_model_names_a_missing_training_run(
    emotion_run: Path, emotion_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "bench", "model", "--model", str(emotion_run / "model"),
            "--fp32", str(tmp_path / "nowhere"), "--torch", str(emotion_run / "checkpoint"),
            "--data", str(emotion_data), "--messages", "10", "--threads", "1", "--rounds", "1",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert f"{tmp_path / 'nowhere'} not found" in out


def test_bench_model_finds_the_run_that_made_the_model(
    emotion_run: Path, emotion_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --fp32 and --torch, the fp32 model and checkpoint come from the int8 model's run."""
    from bot.bench.model import DEFAULT_RUN, _run_of

    assert _run_of(emotion_run / "model") == emotion_run
    assert _run_of(tmp_path) == DEFAULT_RUN  # no meta.json: the documented default
    code = main(
        [
            "bench", "model", "--model", str(emotion_run / "model"), "--data", str(emotion_data),
            "--messages", "10", "--threads", "1", "--rounds", "1", "--json",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["torch_p50_ms"] > 0 and summary["fp32_p50_ms"] > 0


def test_bench_model_on_a_fresh_clone_uses_the_weights_shipped_with_the_model(
    emotion_run: Path,
    emotion_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No run folder: PyTorch loads MODEL/checkpoint, the fp32 twin is exported from it once."""
    import shutil

    from bot.bench import model as bench_model
    from train.ship import write_checkpoint

    shipped = tmp_path / "models" / "tiny"
    shutil.copytree(emotion_run / "model", shipped)
    write_checkpoint(emotion_run / "checkpoint", shipped / "checkpoint")
    meta = json.loads((shipped / "meta.json").read_text())
    meta["training_config"]["out"] = str(tmp_path / "no-such-run")
    (shipped / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setattr(bench_model, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(bench_model, "DEFAULT_RUN", tmp_path / "no-such-run")
    args = ["bench", "model", "--model", str(shipped), "--data", str(emotion_data)]
    args += ["--messages", "10", "--threads", "1", "--rounds", "1", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["torch_p50_ms"] > 0 and summary["fp32_p50_ms"] > 0
    twin = tmp_path / "runs" / "bench-model" / meta["version"] / "model-fp32" / "model.onnx"
    assert twin.exists()


def test_bench_model_without_its_data_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "model", "--data", str(tmp_path / "nowhere"), "--json"]) == 2
    err = capsys.readouterr().err
    assert "--data" in err and "Traceback" not in err
