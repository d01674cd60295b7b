"""Grouped FFN outputs (train.grouped) on the tiny DistilBERT export: the fp32 rewrite computes the
same logits, the first group holds the largest channels, and the int8 version runs close to fp32."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from train import grouped
from train.blockwise import ffn_outputs
from train.smoothing import activation_ranges

pytestmark = pytest.mark.slow

TEXTS = ([101, 1050, 1077, 102], [101, *range(1000, 1030), 102], [101, 0, 102])


def _logits(model: onnx.ModelProto | Path, ids: list[int]) -> np.ndarray:
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    input_ids = np.asarray([ids], dtype=np.int64)
    feeds = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
    return session.run(["logits"], feeds)[0]


@pytest.fixture()
def calibrated(emotion_run: Path) -> tuple[Path, list[list[int]], dict[str, np.ndarray]]:
    unfused = emotion_run / "onnx" / "model-fp32-unfused-embeddings.onnx"
    rng = np.random.default_rng(0)
    calibration = [[101, *rng.integers(1000, 1100, size=n).tolist(), 102] for n in (3, 9, 17)]
    return unfused, calibration, activation_ranges(unfused, calibration)


def test_grouping_is_exact_in_fp32_and_sorts_the_channels(
    calibrated: tuple[Path, list[list[int]], dict[str, np.ndarray]], tmp_path: Path
) -> None:
    unfused, calibration, ranges = calibrated
    model = onnx.load(str(unfused))
    assert len(ffn_outputs(model)) == 2
    parts = grouped.group_ffn_outputs(model, ranges, groups=(8,))
    assert [len(p) for p in parts] == [2, 2]  # two layers, two groups each
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Split") == 2 and ops.count("Sum") == 2
    for ids in TEXTS:
        np.testing.assert_allclose(_logits(model, ids), _logits(unfused, ids), rtol=1e-4, atol=1e-5)

    # The calibration data's largest channels all land in the first (8-channel) group.
    path = tmp_path / "grouped.onnx"
    onnx.save(model, str(path))
    after = activation_ranges(path, calibration)
    inputs = {n.name: n.input[0] for n in model.graph.node}
    for first, rest in parts:
        big, small = after[inputs[first]], after[inputs[rest]]
        assert big.shape == (8,) and small.shape == (64 - 8,)
        assert big.min() >= small.max()


def test_grouped_int8_runs_close_to_fp32(
    calibrated: tuple[Path, list[list[int]], dict[str, np.ndarray]], tmp_path: Path
) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    unfused, _, ranges = calibrated
    model = onnx.load(str(unfused))
    grouped.group_ffn_outputs(model, ranges, groups=(8,))
    src, dst = tmp_path / "grouped.onnx", tmp_path / "grouped-int8.onnx"
    onnx.save(model, str(src))
    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Attention"],
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    ops = [n.op_type for n in onnx.load(str(dst)).graph.node]
    assert "MatMul" not in ops  # every part was quantised, each with its own input scale
    assert ops.count("DynamicQuantizeLinear") >= 4
    for ids in TEXTS:
        reference = _logits(unfused, ids)
        np.testing.assert_allclose(
            _logits(dst, ids), reference, atol=0.05 * np.abs(reference).max()
        )


def test_groups_that_leave_no_rest_are_refused(
    calibrated: tuple[Path, list[list[int]], dict[str, np.ndarray]],
) -> None:
    unfused, _, ranges = calibrated
    with pytest.raises(ValueError, match="leave nothing"):
        grouped.group_ffn_outputs(onnx.load(str(unfused)), ranges, groups=(64,))
