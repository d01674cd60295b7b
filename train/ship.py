"""The PyTorch checkpoint that travels with a shipped model (``MODEL/checkpoint``).

Why: so that a fresh clone can measure the served model against PyTorch and export its fp32 ONNX
(``bench model``) and continue training from it (the weekly retraining), without the run folder
that produced it. The weights are stored as float16 safetensors (half the fp32 bytes; the config
stays float32, so ``from_pretrained`` loads them back as float32, and the fp16 rounding moves the
scores by far less than int8 quantisation does). Config, tokenizer, labels, the selection record,
the training config and the distress head travel too; ``from_pretrained(MODEL/checkpoint)`` loads
it as any checkpoint.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHECKPOINT_DIR = "checkpoint"
WEIGHTS_FILE = "model.safetensors"
# Everything of a run's checkpoint folder except the fp32 weights.
COPIED = (
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "labels.json",
    "selection.json",
    "training_config.json",
    "heads.json",
    "distress_head.safetensors",
)


def write_checkpoint(ckpt: Path, dst: Path) -> dict[str, Any]:
    """Write ``ckpt`` (a run's checkpoint) into ``dst`` with float16 weights; returns a record."""
    from safetensors.torch import load_file, save_file

    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for name in COPIED:
        if (ckpt / name).exists():
            shutil.copyfile(ckpt / name, dst / name)
    tensors = load_file(str(ckpt / WEIGHTS_FILE))
    half = {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in tensors.items()}
    save_file(half, str(dst / WEIGHTS_FILE), metadata={"format": "pt"})
    return {
        "folder": CHECKPOINT_DIR,
        "weights": "float16 safetensors, loaded as float32",
        "bytes": sum(p.stat().st_size for p in dst.iterdir()),
    }
