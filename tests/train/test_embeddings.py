"""The position/token-type shortcut (train.embeddings): identical logits on the tiny DistilBERT
export, fewer nodes, and no rewrite where the lookups depend on more than the length."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from train.embeddings import simplify_positions


def _run(model: onnx.ModelProto, ids: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    mask = np.ones_like(ids)
    mask[-1, ids.shape[1] // 2 + 1 :] = 0
    names = {i.name for i in model.graph.input}
    feeds = {"input_ids": ids, "attention_mask": mask}
    return session.run(None, {n: feeds[n] for n in names})[0]


@pytest.mark.slow
def test_the_tiny_export_keeps_its_logits_with_fewer_nodes(emotion_run: Path) -> None:
    raw = onnx.load(str(emotion_run / "onnx" / "model-fp32-raw.onnx"))
    simplified = simplify_positions(raw)
    assert simplified is not raw
    ops = [n.op_type for n in simplified.graph.node]
    assert len(ops) < len(raw.graph.node) and "GatherElements" not in ops
    assert ops.count("Gather") < [n.op_type for n in raw.graph.node].count("Gather")
    rng = np.random.default_rng(1)
    for batch, length in ((1, 4), (2, 31), (4, 100)):
        ids = rng.integers(100, 1000, size=(batch, length), dtype=np.int64)
        np.testing.assert_array_equal(_run(simplified, ids), _run(raw, ids))

    # The exported unfused graph the block-wise variant starts from has had it applied already.
    unfused = onnx.load(str(emotion_run / "onnx" / "model-fp32-unfused-embeddings.onnx"))
    reads = {n.input[0]: n.op_type for n in unfused.graph.node if n.input}
    table = next(name for name in reads if "position_embeddings" in name)
    assert reads[table] == "Slice"


def _toy(position_indices: str) -> onnx.ModelProto:
    """word + type + position lookups, with the position indices taken from ``position_indices``."""
    rng = np.random.default_rng(0)
    tables = {
        "word": rng.normal(size=(1000, 8)),
        "type": rng.normal(size=(2, 8)),
        "pos": rng.normal(size=(256, 8)),
    }
    nodes = [
        helper.make_node("Gather", ["word", "input_ids"], ["w"]),
        helper.make_node("Mul", ["input_ids", "zero"], ["type_ids"]),
        helper.make_node("Gather", ["type", "type_ids"], ["t"]),
        helper.make_node("Add", ["w", "t"], ["wt"]),
    ]
    if position_indices == "length":  # arange(S), as BERT's position_ids buffer
        nodes += [
            helper.make_node("Shape", ["input_ids"], ["len"], start=1, end=2),
            helper.make_node("Squeeze", ["len"], ["len0"]),
            helper.make_node("Range", ["zero_scalar", "len0", "one_scalar"], ["pos_ids"]),
        ]
    else:  # depends on the ids themselves (RoBERTa counts non-padding tokens)
        nodes.append(helper.make_node("Mod", ["input_ids", "max_pos"], ["pos_ids"]))
    nodes += [
        helper.make_node("Gather", ["pos", "pos_ids"], ["p"]),
        helper.make_node("Add", ["wt", "p"], ["logits"]),
    ]
    initializers = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in tables.items()]
    initializers += [
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
        numpy_helper.from_array(np.array(0, np.int64), "zero_scalar"),
        numpy_helper.from_array(np.array(1, np.int64), "one_scalar"),
        numpy_helper.from_array(np.array(256, np.int64), "max_pos"),
    ]
    graph = helper.make_graph(
        nodes,
        "toy",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_length_only_lookups_become_constants() -> None:
    model = _toy("length")
    simplified = simplify_positions(model)
    ops = [n.op_type for n in simplified.graph.node]
    assert "Range" not in ops and "Mul" not in ops and ops.count("Gather") == 1  # the word lookup
    ids = np.random.default_rng(2).integers(0, 1000, size=(3, 40), dtype=np.int64)
    np.testing.assert_array_equal(_run(simplified, ids), _run(model, ids))


def test_lookups_that_depend_on_the_ids_are_left_alone() -> None:
    model = _toy("ids")
    simplified = simplify_positions(model)
    # The type lookup (always row 0) is still shortened; the id-dependent positions are not.
    ops = [n.op_type for n in simplified.graph.node]
    assert "Mod" in ops and ops.count("Gather") == 2
    ids = np.random.default_rng(3).integers(0, 1000, size=(2, 12), dtype=np.int64)
    np.testing.assert_array_equal(_run(simplified, ids), _run(model, ids))
