"""Exact shortcut for the position and token-type embeddings of an unfused embedding block.

The block-wise int8 variant keeps the word-embedding ``Gather`` out of ORT's fused
``EmbedLayerNormalization`` (see :mod:`train.blockwise`). Left alone, the exported graph then
computes position ids and token-type ids at run time from the input's shape: about 16 small
nodes (Shape, Slice, Expand, Where, GatherElements, ...) for two tensors that only depend on the
sequence length. On a 20-token chat message each node costs a few microseconds of dispatch, and
together they measured 0.1-0.2 ms a message (p50 2.62 against 2.42 ms, alternating processes).

:func:`simplify_positions` replaces each such addend with what it always equals:

- position embeddings: the first ``S`` rows of the position table, one ``Slice``;
- token-type embeddings (BERT, no ``token_type_ids`` input): row 0 of their table, a constant
  broadcast over the batch and sequence.

The additions stay in their original order, so the result is the same to the last bit. Both
facts are checked, not assumed: the addends are computed on probe inputs (several lengths and
batch sizes, padding and random ids) and compared with the shortcut, and the rewritten model's
logits are compared with the original's; anything else leaves the model untouched (RoBERTa-style
position ids, which depend on padding, would fail the probe).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

_PROBES = ((1, 1), (1, 20), (3, 37), (2, 128))


def _feeds(model: Any, batch: int, length: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    ids = rng.integers(0, 1000, size=(batch, length), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[-1, length // 2 + 1 :] = 0  # the last row padded
    ids[mask == 0] = 0
    feeds = {"input_ids": ids, "attention_mask": mask}
    return {i.name: feeds.get(i.name, np.zeros_like(ids)) for i in model.graph.input}


def _run(
    model: Any, outputs: list[str], probes: list[dict[str, np.ndarray]]
) -> list[list[np.ndarray]]:
    """``outputs`` (graph outputs or intermediate tensors) for each probe, from one session."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    for name in outputs:
        if name not in known:
            probe.graph.output.append(
                onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
            )
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        probe.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return [session.run(outputs, feeds) for feeds in probes]


def _addends(model: Any) -> list[tuple[int, int, str]]:
    """(Add node index, input slot, tensor) for each table lookup added to the word embeddings."""
    graph = model.graph
    initializers = {i.name for i in graph.initializer}
    consumers: dict[str, list[int]] = {}
    for index, node in enumerate(graph.node):
        for name in node.input:
            consumers.setdefault(name, []).append(index)
    producer = {out: n for n in graph.node for out in n.output}
    word = next(
        (
            n
            for n in graph.node
            if n.op_type in ("Gather", "GatherBlockQuantized")
            and "input_ids" in n.input[1:2]
            and n.input[0] in initializers
        ),
        None,
    )
    found = []
    current = word.output[0] if word is not None else None
    while current is not None:
        adds = [i for i in consumers.get(current, []) if graph.node[i].op_type == "Add"]
        if len(adds) != 1:
            break
        index = adds[0]
        node = graph.node[index]
        slot = 1 if node.input[0] == current else 0
        other = producer.get(node.input[slot])
        if other is not None and other.op_type == "Gather" and other.input[0] in initializers:
            found.append((index, slot, node.input[slot]))
        current = node.output[0]
    return found


def _prune(model: Any) -> None:
    """Drop the nodes and initializers no graph output depends on any more."""
    graph = model.graph
    needed = {o.name for o in graph.output}
    alive = []
    for node in reversed(graph.node):
        if any(out in needed for out in node.output):
            alive.append(node)
            needed.update(node.input)
    alive.reverse()
    initializers = [i for i in graph.initializer if i.name in needed]
    del graph.node[:]
    graph.node.extend(alive)
    del graph.initializer[:]
    graph.initializer.extend(initializers)


def simplify_positions(model: Any) -> Any:
    """``model`` with its position/token-type lookups replaced by constants (or unchanged)."""
    import onnx
    from onnx import helper, numpy_helper

    addends = _addends(model)
    if not addends:
        return model
    graph = model.graph
    tables = {i.name: i for i in graph.initializer}
    producer = {out: n for n in graph.node for out in n.output}
    # Probe lengths up to the shortest table that could hold positions (the type table has 2 rows).
    longest = min([128] + [int(tables[producer[n].input[0]].dims[0]) for _, _, n in addends])
    longest = longest if longest > 2 else 128
    rng = np.random.default_rng(0)
    probes = [_feeds(model, b, min(s, longest), rng) for b, s in _PROBES]
    names = [name for _, _, name in addends]
    try:
        observed = _run(model, [*names, graph.output[0].name], probes)
    except Exception as exc:  # onnxruntime's own error types; a graph it cannot probe stays as is
        logger.info("embeddings not simplified: probing failed (%s)", exc)
        return model

    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(model)
    new_graph = rewritten.graph
    new_nodes = []
    replaced = 0
    for k, (index, slot, name) in enumerate(addends):
        table = numpy_helper.to_array(tables[producer[name].input[0]])
        values = [probe[k] for probe in observed]
        lengths = [feeds["input_ids"].shape[1] for feeds in probes]
        if all(np.array_equal(v, np.broadcast_to(table[0], v.shape)) for v in values):
            constant = f"{name}_row0"
            new_graph.initializer.append(numpy_helper.from_array(table[0].copy(), constant))
            new_graph.node[index].input[slot] = constant
            replaced += 1
        elif all(
            np.array_equal(v, np.broadcast_to(table[:n], v.shape))
            for v, n in zip(values, lengths, strict=True)
        ):
            prefix = f"{name}_prefix"
            new_graph.initializer.extend(
                [
                    numpy_helper.from_array(table, f"{prefix}_table"),
                    numpy_helper.from_array(np.array([0], np.int64), f"{prefix}_zero"),
                ]
            )
            new_nodes += [
                helper.make_node(
                    "Shape", ["input_ids"], [f"{prefix}_len"], name=f"{prefix}_len", start=1, end=2
                ),
                helper.make_node(
                    "Slice",
                    [f"{prefix}_table", f"{prefix}_zero", f"{prefix}_len", f"{prefix}_zero"],
                    [prefix],
                    name=prefix,
                ),
            ]
            new_graph.node[index].input[slot] = prefix
            replaced += 1
        else:
            logger.info("embedding addend %s depends on more than the length; kept", name)
    if not replaced:
        return model
    for node in reversed(new_nodes):
        new_graph.node.insert(0, node)
    _prune(rewritten)
    after = _run(rewritten, [new_graph.output[0].name], probes)
    if not all(np.array_equal(a[-1], b[0]) for a, b in zip(observed, after, strict=True)):
        logger.warning("simplified embeddings change the logits; keeping the original graph")
        return model
    logger.info(
        "embeddings: %d lookups replaced by constants, %d fewer nodes",
        replaced,
        len(graph.node) - len(new_graph.node),
    )
    return rewritten
