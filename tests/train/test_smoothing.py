"""Activation smoothing on the tiny DistilBERT export: the smoothed fp32 graph computes the same
logits, its quantisation inputs get flatter, and the packaged run measured the smoothed variants."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from train.blockwise import ffn_outputs
from train.export import QUANT_VARIANTS
from train.smoothing import activation_ranges, smooth

pytestmark = pytest.mark.slow


def _logits(path: Path, ids: list[int]) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_ids = np.asarray([ids], dtype=np.int64)
    feeds = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
    return session.run(["logits"], feeds)[0]


def test_smoothing_keeps_the_fp32_function_and_flattens_ranges(
    emotion_run: Path, tmp_path: Path
) -> None:
    fp32 = emotion_run / "onnx" / "model-fp32.onnx"
    rng = np.random.default_rng(0)
    calibration = [[101, *rng.integers(1000, 1100, size=n).tolist(), 102] for n in (3, 9, 17)]
    ranges = activation_ranges(fp32, calibration)
    assert ranges and all(r.ndim == 1 and (r >= 0).all() for r in ranges.values())

    out = smooth(fp32, tmp_path / "smoothed.onnx", ranges, alpha=1.0)
    graph = onnx.load(str(out)).graph
    muls = [n for n in graph.node if n.name.endswith("_smooth")]
    assert len(muls) == len({n.input[0] for n in muls}) and len(muls) >= 2 * 2  # 2 layers
    # The attention-output projection's smoothing is folded into the value columns: the fused
    # Attention feeds its MatMul directly, and the logits below stay the same.
    attention_outputs = {n.output[0] for n in graph.node if n.op_type == "Attention"}
    readers = [n for n in graph.node if set(n.input) & attention_outputs]
    assert len(attention_outputs) == 2 and [n.op_type for n in readers] == ["MatMul", "MatMul"]
    for ids in ([101, 1050, 1077, 102], [101, *range(1000, 1030), 102]):
        np.testing.assert_allclose(_logits(out, ids), _logits(fp32, ids), rtol=1e-4, atol=1e-4)

    # alpha 1 divides each channel by its own calibration maximum: every channel now peaks at
    # the same value (up to the common normalisation), where before the peaks differed.
    after = activation_ranges(out, calibration)
    for node in muls:
        before_peak = ranges[node.input[0]]
        after_peak = after[node.output[0]]
        assert after_peak.max() / after_peak.min() < 1.0001 < before_peak.max() / before_peak.min()


def test_the_ffn_outputs_are_found_through_the_smoothing_mul(emotion_run: Path) -> None:
    onnx_dir = emotion_run / "onnx"
    plain = ffn_outputs(onnx.load(str(onnx_dir / "model-fp32.onnx")))
    smoothed = ffn_outputs(onnx.load(str(onnx_dir / "model-fp32-smoothed.onnx")))
    assert plain == smoothed and len(plain) == 2  # one per layer
    assert all("lin2" in name for name in plain)  # DistilBERT's FFN output projection


def test_the_run_measured_every_variant(emotion_run: Path) -> None:
    parity = json.loads((emotion_run / "model" / "eval" / "parity.json").read_text())
    assert set(QUANT_VARIANTS) <= set(parity)
    for variant in QUANT_VARIANTS:
        assert 0.0 <= parity[variant]["argmax_agreement"] <= 1.0
    blockwise = emotion_run / "onnx" / "model-u8s8-per-channel-smooth-blockwise.onnx"
    ops = [n.op_type for n in onnx.load(str(blockwise)).graph.node]
    assert ops.count("MatMulNBits") == 2 and ops.count("GatherBlockQuantized") == 1
    assert "MatMul" not in ops and "EmbedLayerNormalization" not in ops
    graph = onnx.load(str(blockwise)).graph
    smoothed = {n.output[0] for n in graph.node if n.name.endswith("_smooth")}
    assert smoothed  # the int8 nodes are smoothed, the block-wise FFN outputs are not
    assert not any(n.input[0] in smoothed for n in graph.node if n.op_type == "MatMulNBits")
    full = onnx.load(str(emotion_run / "onnx" / "model-u8s8-per-channel-smooth.onnx"))
    assert not any(n.op_type == "MatMul" for n in full.graph.node)


def test_bench_variants_compares_the_run_folders(
    emotion_run: Path, emotion_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from bot.cli.bench import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    folders = [emotion_run / f"model-{v}" for v in ("fp32", "u8s8-per-channel-smooth")]
    options = ["--data", str(emotion_data), "--messages", "20", "--rounds", "1", "--json"]
    args = parser.parse_args(["bench", "variants", *map(str, folders), *options])
    assert args.func(args) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    reference, smoothed = report["variants"]
    assert reference["agreement"] == 1.0 and 0.5 <= smoothed["agreement"] <= 1.0
    assert report["timed"] == 20 and smoothed["model_mb"] < reference["model_mb"]
    assert all(row["p99_ms"] >= row["p50_ms"] > 0 for row in report["variants"])
    assert reference["time_vs_first"] == 1.0 and smoothed["time_vs_first"] > 0

    # Message by message on one thread: every model timed every message once per round.
    args = parser.parse_args(
        ["bench", "variants", *map(str, folders), *options, "--turns", "message", "--threads", "1"]
    )
    assert args.func(args) == 0
    paired = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert paired["timed"] == 20 and paired["variants"][0]["time_vs_first"] == 1.0
    assert [row["agreement"] for row in paired["variants"]] == [1.0, smoothed["agreement"]]
