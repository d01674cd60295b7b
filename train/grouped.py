"""FFN output projections with their input channels in groups, each group with its own int8 scale.

Why: the FFN output projections are where one activation scale per tensor costs the most
agreement (see :mod:`train.blockwise`): their inputs are GELU outputs with a few channels up to
12x the median. ``MatMulNBits`` fixes that with scales per block of 32, but on an AVX2 CPU without
VNNI its six nodes take about as long as the other 18 int8 MatMuls together.

How: channels are sorted by their calibrated range, so the few large ones sit together, and the
MatMul is cut along its inner dimension into a few MatMuls whose partial products are summed.
Each part is then quantised dynamically on its own (one scale for the large channels, one for the
rest), which keeps the small channels' resolution at the cost of a ``Split`` and a ``Sum``. The
sort is exact in fp32: the FFN input projection's columns and the GELU bias are permuted the
same way as the output projection's rows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from train.blockwise import GELU_OPS, ffn_outputs

logger = logging.getLogger(__name__)

# Channels in each group, largest ranges first; the last group takes the rest.
DEFAULT_GROUPS = (32,)


def _initializer(graph: Any, name: str) -> Any | None:
    return next((i for i in graph.initializer if i.name == name), None)


def _replace(graph: Any, name: str, array: np.ndarray) -> None:
    from onnx import numpy_helper

    _initializer(graph, name).CopyFrom(numpy_helper.from_array(array.astype(np.float32), name))


def group_ffn_outputs(
    model: Any, ranges: dict[str, np.ndarray], groups: Sequence[int] = DEFAULT_GROUPS
) -> list[list[str]]:
    """Rewrite every FFN output MatMul of ``model`` (in place) as grouped partial MatMuls.

    ``ranges`` maps each GELU output to its per-channel max |x| on calibration data
    (:func:`train.smoothing.activation_ranges`). Returns, per rewritten MatMul, the names of its
    parts in group order (the first part holds the largest channels). A MatMul whose producers do
    not have the expected MatMul → GELU shape is left as it is.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    producers = {out: node for node in graph.node for out in node.output}
    parts_by_node: list[list[str]] = []
    for name in ffn_outputs(model):
        index = next(i for i, n in enumerate(graph.node) if n.name == name)
        node = graph.node[index]
        gelu = producers.get(node.input[0])
        ffn_in = gelu is not None and producers.get(gelu.input[0])
        w_out_init = _initializer(graph, node.input[1])
        if (
            not ffn_in
            or gelu is None
            or gelu.op_type not in GELU_OPS
            or ffn_in.op_type != "MatMul"
            or node.input[0] not in ranges
            or w_out_init is None
            or _initializer(graph, ffn_in.input[1]) is None
        ):
            logger.warning("%s: not a MatMul -> GELU -> MatMul chain; left as it is", name)
            continue
        w_out = numpy_helper.to_array(w_out_init)
        width = w_out.shape[0]
        sizes = [g for g in groups if g > 0]
        if sum(sizes) >= width:
            raise ValueError(
                f"groups {list(groups)} leave nothing for the rest of {width} channels"
            )
        sizes.append(width - sum(sizes))

        # Largest ranges first; permute the producer side identically so the product is unchanged.
        order = np.argsort(-ranges[node.input[0]], kind="stable")
        _replace(
            graph,
            ffn_in.input[1],
            numpy_helper.to_array(_initializer(graph, ffn_in.input[1]))[:, order],
        )
        if len(gelu.input) > 1 and gelu.input[1]:  # BiasGelu / FastGelu carry the FFN bias
            bias = numpy_helper.to_array(_initializer(graph, gelu.input[1]))
            _replace(graph, gelu.input[1], bias[order])
        w_out = w_out[order]

        split_sizes = f"{name}_group_sizes"
        graph.initializer.append(numpy_helper.from_array(np.array(sizes, np.int64), split_sizes))
        pieces = [f"{name}_group{g}_input" for g in range(len(sizes))]
        new_nodes = [
            helper.make_node(
                "Split", [node.input[0], split_sizes], pieces, name=f"{name}_split", axis=-1
            )
        ]
        partials, names = [], []
        start = 0
        for g, size in enumerate(sizes):
            weight = f"{node.input[1]}_group{g}"
            graph.initializer.append(numpy_helper.from_array(w_out[start : start + size], weight))
            start += size
            partials.append(f"{name}_group{g}_output")
            names.append(f"{name}_group{g}")
            new_nodes.append(
                helper.make_node("MatMul", [pieces[g], weight], [partials[-1]], name=names[-1])
            )
        new_nodes.append(helper.make_node("Sum", partials, list(node.output), name=f"{name}_sum"))
        graph.initializer.remove(w_out_init)
        del graph.node[index]
        for offset, new in enumerate(new_nodes):
            graph.node.insert(index + offset, new)
        parts_by_node.append(names)
    return parts_by_node
