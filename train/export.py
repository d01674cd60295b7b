"""PyTorch → ONNX → ONNX Runtime graph optimisation → dynamic int8 quantisation.

Quantisation on this project's CPUs (AVX2, no VNNI): ONNX Runtime's quantisation guide says that on
x86-64 with AVX2/AVX-512 the U8S8 kernels (uint8 activations × int8 weights, the default) use
VPMADDUBSW, which can saturate its 16-bit intermediate sums; if accuracy drops, use
``reduce_range`` (7-bit weights) or U8U8 (uint8 weights), which cannot saturate. VNNI machines do
not have the problem. ``QUANT_VARIANTS`` lists these with per-tensor and per-channel weight
scales; ``package`` measures them all and records the choice and the figures in the model's
metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)

OPSET = 17
_U8S8_PC: dict[str, Any] = {"weight_type": "QInt8", "reduce_range": False, "per_channel": True}
QUANT_VARIANTS: dict[str, dict[str, Any]] = {
    # In order of preference: fastest first, then fidelity ("smooth": activation smoothing first,
    # train.smoothing; "blockwise": word embeddings and FFN output projections with int8 scales
    # per block of 32 values, train.blockwise). ``package`` takes the first variant that keeps the
    # score and agrees with PyTorch on >= 99% of top labels, else the first that keeps the score.
    # Measured on the GoEmotions model (agreement with PyTorch on dev): u8s8 per-channel 96.9%;
    # smoothed 97.9%; block-wise FFN outputs in layers 0-2 99.06%, in all six 99.10% (each
    # MatMulNBits costs about 0.1 ms a message, see train.blockwise); per-tensor scales and
    # reduce_range lose the most (93.7% and 86.4%).
    "u8s8-per-channel": _U8S8_PC,
    "u8s8-per-channel-smooth": {**_U8S8_PC, "smooth": True},
    # Block-wise FFN outputs in the first layer only (enough for the 3-layer student: 99.1% against
    # 99.3% with all three, at 11% less time per message), then in the first three: there
    # quantising one alone cost the 6-layer model the most agreement (train.blockwise).
    "u8s8-per-channel-smooth-blockwise-first": {
        **_U8S8_PC,
        "smooth": True,
        "blockwise": True,
        "blockwise_layers": 1,
    },
    "u8s8-per-channel-smooth-blockwise-early": {
        **_U8S8_PC,
        "smooth": True,
        "blockwise": True,
        "blockwise_layers": 3,
    },
    "u8s8-per-channel-smooth-blockwise": {**_U8S8_PC, "smooth": True, "blockwise": True},
    "u8u8-per-channel": {"weight_type": "QUInt8", "reduce_range": False, "per_channel": True},
    "u8s8": {"weight_type": "QInt8", "reduce_range": False, "per_channel": False},
    "u8s8-reduce-range": {"weight_type": "QInt8", "reduce_range": True, "per_channel": False},
    "u8u8": {"weight_type": "QUInt8", "reduce_range": False, "per_channel": False},
}


MULTI_OUTPUTS = ("logits", "distress_logit", "embedding")


class _LogitsOnly(nn.Module):
    """Same inputs for every architecture (BERT and DistilBERT): ids and mask in, logits out."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export_onnx(model: nn.Module, path: Path, head: nn.Module | None = None) -> Path:
    """Export a sequence-classification model with dynamic batch and sequence axes.

    With a distress ``head`` (:class:`train.heads.DistressHead`) the graph has three outputs from
    one pass: ``logits``, ``distress_logit`` and ``embedding`` (:data:`MULTI_OUTPUTS`).
    """
    model.eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    path.parent.mkdir(parents=True, exist_ok=True)
    if head is not None:
        from train.heads import MultiHead

        wrapped: nn.Module = MultiHead(model, head).eval()
        outputs = list(MULTI_OUTPUTS)
    else:
        wrapped, outputs = _LogitsOnly(model), ["logits"]
    with torch.no_grad():
        torch.onnx.export(
            wrapped,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=outputs,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                **{name: {0: "batch"} for name in outputs},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            # The TorchScript exporter gives a graph ORT's transformer optimiser fuses.
            dynamo=False,
        )
    return path


def optimize_onnx(
    src: Path,
    dst: Path,
    *,
    model_type: str,
    num_heads: int,
    hidden_size: int,
    fuse_embeddings: bool = True,
) -> Path:
    """Fuse attention, LayerNorm, GELU and skip connections with ORT's transformer optimiser.

    ``fuse_embeddings=False`` leaves the word-embedding Gather on its own, for the block-wise
    variant (a fused EmbedLayerNormalization can only be quantised with one scale for the table),
    with the position and token-type lookups reduced to constants (:mod:`train.embeddings`).
    """
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    kind = "bert" if model_type in ("bert", "distilbert", "roberta") else model_type
    options = FusionOptions(kind)
    options.enable_embed_layer_norm = fuse_embeddings
    optimized = optimize_model(
        str(src),
        model_type=kind,
        num_heads=num_heads,
        hidden_size=hidden_size,
        opt_level=1,
        use_gpu=False,
        optimization_options=options,
    )
    logger.info("ORT fusions: %s", optimized.get_fused_operator_statistics())
    optimized.save_model_to_file(str(dst))
    if not fuse_embeddings:
        import onnx

        from train.embeddings import simplify_positions

        onnx.save(simplify_positions(onnx.load(str(dst))), str(dst))
    return dst


def quantize_onnx(
    src: Path,
    dst: Path,
    variant: str = "u8s8",
    *,
    smoothed: Path | None = None,
    smoothed_unfused: Path | None = None,
) -> Path:
    """Dynamic int8 quantisation of the MatMul/Attention weights.

    Smoothed variants quantise ``smoothed`` (``src`` after :func:`train.smoothing.smooth`); the
    block-wise one quantises ``smoothed_unfused`` (the same, optimised without the embedding
    fusion) and then makes its word embeddings and FFN outputs block-wise (:mod:`train.blockwise`).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from train import blockwise

    spec = QUANT_VARIANTS[variant]
    if spec.get("blockwise"):
        if smoothed_unfused is None:
            raise ValueError(f"variant {variant} needs the smoothed, unfused-embedding model")
        src = smoothed_unfused
    elif spec.get("smooth"):
        if smoothed is None:
            raise ValueError(f"variant {variant} needs the smoothed fp32 model")
        src = smoothed
    # The FFN outputs in graph order, i.e. by layer; "blockwise_layers" keeps the first ones.
    keep = (
        blockwise.ffn_outputs(onnx.load(str(src)))[: spec.get("blockwise_layers")]
        if spec.get("blockwise")
        else []
    )
    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=getattr(QuantType, spec["weight_type"]),
        reduce_range=spec["reduce_range"],
        per_channel=spec["per_channel"],
        nodes_to_exclude=keep,
        # The block-wise variant leaves its word-embedding Gather to train.blockwise.
        op_types_to_quantize=["MatMul", "Attention"] if spec.get("blockwise") else None,
        # Fused ops (Attention, SkipLayerNorm) hide some output types from shape inference.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    if spec.get("blockwise"):
        model = blockwise.quantize_matmuls_blockwise(onnx.load(str(dst)), keep)
        if not blockwise.quantize_word_embeddings(model):
            logger.warning("%s: no word-embedding Gather to quantise block-wise", variant)
        onnx.save(model, str(dst))
    return dst


def architecture(model: nn.Module) -> dict[str, Any]:
    """model_type, heads and hidden size for the optimiser (BERT and DistilBERT configs differ)."""
    config: Any = model.config
    return {
        "model_type": config.model_type,
        "num_heads": getattr(config, "num_attention_heads", None) or config.n_heads,
        "hidden_size": getattr(config, "hidden_size", None) or config.dim,
    }
