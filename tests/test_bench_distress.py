"""``emotion-bot bench distress`` with the shipped model: both detectors, one JSON line of rates
(no texts), the new detector ahead of the old on the at-risk sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

pytestmark = pytest.mark.slow
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.skipif(not (SHARED / "distress").exists(), reason="needs ../shared/data")
def test_bench_distress_prints_both_detectors_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "distress", "--chat-messages", "300", "--timing-messages", "30"]
    assert main([*args, "--cache", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1  # --json: the JSON line only, no texts anywhere
    report = json.loads(out[0])
    keys = (
        "chat_flag_rate",
        "patil_recall",
        "patil_recall_severe",
        "suite_recall",
        "suite_false_flag_rate",
        "xstest_false_flag_rate",
    )
    for key in keys:
        assert 0.0 <= report[key] <= 1.0 and 0.0 <= report["baseline"][key] <= 1.0
    assert report["patil_recall"] > report["baseline"]["patil_recall"]
    assert report["suite_recall"] > report["baseline"]["suite_recall"]
    assert isinstance(report["p50_ms_added"], float)
    assert report["n"]["chat"] == 300 and report["n"]["suite"] >= 340
    assert (tmp_path / "model-emotion-only" / "model.onnx").exists()


def test_bench_distress_without_its_data_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "distress", "--data", str(tmp_path), "--json"]) == 2
    err = capsys.readouterr().err
    assert "--data" in err and "Traceback" not in err
