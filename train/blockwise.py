"""Block-wise int8 for the two places where one scale per tensor costs the most agreement.

Dynamic quantisation (``quantize_dynamic``) gives every activation tensor a single uint8 scale and
the embedding table a single scale too. Quantising one node at a time on the GoEmotions model
(int8 vs fp32 top-label agreement on dev, after smoothing) showed where that hurts:

- the word-embedding table: 99.21% (its rows differ in range; one scale for 30,522 rows);
- the FFN output projections, fed by GELU: layer 0 98.62%, 1 99.19%, 2 99.23%, 3 99.52%, 4 99.83%,
  5 99.89%; every other MatMul or Attention node alone stays at 99.5-99.9%.

Both get scales per block of 32 values instead:

- the word embeddings become a ``GatherBlockQuantized`` (8-bit, one scale and zero point per 32
  values of a row), which needs the embedding not fused into ``EmbedLayerNormalization``;
- the FFN output projections become ``MatMulNBits`` (8-bit weights per 32-row block) with
  ``accuracy_level`` 4, where ONNX Runtime also quantises the activations per block of 32 and
  multiplies in int8. With accuracy level 1 (fp32 compute) the agreement is the same and the
  model twice as slow.

Measured (top-label agreement with PyTorch, GoEmotions dev): smoothed u8s8 97.9%; plus block-wise
embeddings 97.95%; plus block-wise FFN outputs in layers 0-2 99.06%, in all six 99.10% (in layers
0-1 with the others smoothed, 98.99%; in layers 0-2 with 3-5 smoothed, 99.01%). With layers 0-2,
ORT's profiler puts each MatMulNBits at 3.4 times the average int8 MatMul on this AVX2 CPU (182
against 54 us, under the profiler), so ``export.QUANT_VARIANTS`` tries layers 0-2 before all
six: p50 2.16 against 2.49 ms per dair-ai message (separate processes, alternating, five rounds
each). The file is 24.5 MB against plain u8s8's 21.9 MB.

Tried instead of ``MatMulNBits`` and dropped (2026-11-23): sorting the GELU channels by calibrated
range (exact in fp32: the FFN input columns and GELU bias permuted alike) and cutting each FFN
output MatMul into partial int8 MatMuls over channel groups of 8, 24, 96 and the rest, each with
its own dynamic scale, summed. It agreed with PyTorch on 98.93% of dev comments (tuned macro F1
0.523 against fp32's 0.527), and was only about 0.1 ms faster than this variant (p50 2.19 against
2.31 ms per dair-ai message, the two interleaved in one process). Other groupings: 98.8-99.1%
against the fp32 ONNX model; without smoothing elsewhere 98.2%; with the FFN outputs smoothed too,
98.0%; layer 0's FFN output kept in fp32, 99.2% but no faster than this variant.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

BLOCK = 32
GELU_OPS = ("Gelu", "BiasGelu", "FastGelu")


def _gelu_outputs(model: Any) -> set[str]:
    return {o for n in model.graph.node if n.op_type in GELU_OPS for o in n.output}


def ffn_outputs(model: Any) -> list[str]:
    """Names of the MatMuls fed by a GELU (through a smoothing ``Mul``, if there is one)."""
    nodes = model.graph.node
    produced_by_gelu = _gelu_outputs(model)
    smoothing = {n.output[0]: n.input[0] for n in nodes if n.op_type == "Mul" and n.input}
    return [
        n.name
        for n in nodes
        if n.op_type == "MatMul" and smoothing.get(n.input[0], n.input[0]) in produced_by_gelu
    ]


def without_ffn_output_inputs(model: Any, ranges: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``ranges`` less the GELU outputs: block-wise FFN outputs need no smoothing.

    Their activations get a scale per block of 32 already; leaving out those six ``Mul`` nodes
    kept the agreement (99.12% against 99.19%, within one comment of the 5,426 either way) and
    saved about 0.1 ms a message.
    """
    gelu_outputs = _gelu_outputs(model)
    return {name: peak for name, peak in ranges.items() if name not in gelu_outputs}


def _block_for(width: int) -> int | None:
    # GatherBlockQuantized wants a power of two of at least 16 that divides the row.
    for block in (BLOCK, 16):
        if width % block == 0:
            return block
    return None


def quantize_word_embeddings(model: Any) -> bool:
    """Replace the Gather of ``input_ids`` from the embedding table by an 8-bit block-wise one.

    Asymmetric uint8 per block (each block's range includes 0, so padding rows stay exact).
    Returns False, leaving the model as it was, when there is no such Gather or no usable block.
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    found = [
        i
        for i, n in enumerate(graph.node)
        if n.op_type == "Gather"
        and n.input[1] == "input_ids"
        and n.input[0] in initializers
        and len(initializers[n.input[0]].dims) == 2
    ]
    if not found:
        return False
    index = found[0]
    node = graph.node[index]
    table = numpy_helper.to_array(initializers[node.input[0]]).astype(np.float32)
    rows, width = table.shape
    block = _block_for(width)
    if block is None:
        return False
    blocks = table.reshape(rows, width // block, block)
    low = np.minimum(blocks.min(axis=-1), 0.0)
    high = np.maximum(blocks.max(axis=-1), 0.0)
    scale = np.maximum((high - low) / 255.0, 1e-12).astype(np.float32)
    zero = np.clip(np.round(-low / scale), 0, 255).astype(np.uint8)
    quantized = np.clip(np.round(blocks / scale[..., None]) + zero[..., None], 0, 255)

    name = node.input[0]
    graph.initializer.remove(initializers[name])
    graph.initializer.extend(
        [
            numpy_helper.from_array(quantized.astype(np.uint8).reshape(rows, width), f"{name}_q8"),
            numpy_helper.from_array(scale, f"{name}_scale"),
            numpy_helper.from_array(zero, f"{name}_zero_point"),
        ]
    )
    replacement = helper.make_node(
        "GatherBlockQuantized",
        [f"{name}_q8", node.input[1], f"{name}_scale", f"{name}_zero_point"],
        list(node.output),
        name=f"{node.name}_block_q8",
        domain="com.microsoft",
        gather_axis=0,
        quantize_axis=1,
        block_size=block,
        bits=8,
    )
    del graph.node[index]
    graph.node.insert(index, replacement)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return True


def quantize_matmuls_blockwise(model: Any, names: list[str]) -> Any:
    """``names`` (fp32 MatMuls) → MatMulNBits, 8-bit, block 32, int8 compute (accuracy level 4)."""
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    if not names:
        return model
    # nodes_to_include only adds to the op types it quantises anyway; exclusion is what restricts.
    others = [n.name for n in model.graph.node if n.name not in set(names)]
    quantizer = MatMulNBitsQuantizer(
        model, bits=8, block_size=BLOCK, accuracy_level=4, nodes_to_exclude=others
    )
    quantizer.process()
    return quantizer.model.model
