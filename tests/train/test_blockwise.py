"""Block-wise int8 (train.blockwise) on the tiny DistilBERT export: the 8-bit embedding table and
the MatMulNBits FFN outputs run in ONNX Runtime and stay close to the fp32 logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from train import blockwise

pytestmark = pytest.mark.slow

TEXTS = ([101, 1050, 1077, 102], [101, *range(1000, 1030), 102], [101, 0, 102])


def _logits(model: onnx.ModelProto | Path, ids: list[int]) -> np.ndarray:
    data = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    input_ids = np.asarray([ids], dtype=np.int64)
    feeds = {"input_ids": input_ids, "attention_mask": np.ones_like(input_ids)}
    return session.run(["logits"], feeds)[0]


def test_block_wise_embeddings_and_ffn_outputs_stay_close_to_fp32(emotion_run: Path) -> None:
    unfused = emotion_run / "onnx" / "model-fp32-unfused-embeddings.onnx"
    model = onnx.load(str(unfused))
    names = blockwise.ffn_outputs(model)
    assert len(names) == 2
    assert blockwise.quantize_word_embeddings(model)
    model = blockwise.quantize_matmuls_blockwise(model, names)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("GatherBlockQuantized") == 1 and ops.count("MatMulNBits") == 2
    table = next(i for i in model.graph.initializer if i.name.endswith("_q8"))
    assert table.data_type == onnx.TensorProto.UINT8
    for ids in TEXTS:
        reference = _logits(unfused, ids)
        quantized = _logits(model, ids)
        assert not np.allclose(quantized, reference, rtol=0, atol=1e-7)  # it did change
        np.testing.assert_allclose(quantized, reference, atol=0.02 * np.abs(reference).max())


def test_a_model_without_an_input_ids_gather_is_left_alone(emotion_run: Path) -> None:
    model = onnx.load(str(emotion_run / "onnx" / "model-fp32-unfused-embeddings.onnx"))
    assert blockwise.quantize_word_embeddings(model)
    before = model.SerializeToString()
    assert not blockwise.quantize_word_embeddings(model)  # already replaced: nothing to do
    assert model.SerializeToString() == before


def test_blockwise_layers_limits_the_block_wise_ffn_outputs_to_the_first_layers(
    emotion_run: Path, tmp_path: Path
) -> None:
    from train.export import QUANT_VARIANTS, quantize_onnx

    onnx_dir = emotion_run / "onnx"
    variant = "u8s8-per-channel-smooth-blockwise-first"
    assert QUANT_VARIANTS[variant]["blockwise_layers"] == 1
    out = quantize_onnx(
        onnx_dir / "model-fp32.onnx",
        tmp_path / "model.onnx",
        variant,
        smoothed=onnx_dir / "model-fp32-smoothed.onnx",
        smoothed_unfused=onnx_dir / "model-fp32-unfused-embeddings-smoothed.onnx",
    )
    nodes = onnx.load(str(out)).graph.node
    block_wise = [n.name for n in nodes if n.op_type == "MatMulNBits"]
    assert len(block_wise) == 1 and "layer.0" in block_wise[0]
    assert sum(n.op_type == "MatMulInteger" and "lin2" in n.name for n in nodes) == 1  # layer 1
    for ids in TEXTS:
        reference = _logits(onnx_dir / "model-fp32.onnx", ids)
        np.testing.assert_allclose(
            _logits(out, ids), reference, atol=0.05 * np.abs(reference).max()
        )
