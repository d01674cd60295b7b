"""Quantisation-aware fine-tuning: the rounding matches int8's arithmetic, gradients pass straight
through, and a tiny DistilBERT fine-tuned that way from a trained checkpoint is a plain model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForSequenceClassification

from train.qat import attach_fake_quant, fake_quant_activation, fake_quant_weight


def test_activation_rounding_is_uint8_per_sequence() -> None:
    x = torch.stack([torch.linspace(-1.0, 3.0, 1000), torch.linspace(0.5, 0.6, 1000)])
    x = x.reshape(2, 10, 100).requires_grad_()
    y = fake_quant_activation(x)
    for row, (low, high) in zip(y, ((-1.0, 3.0), (0.0, 0.6)), strict=True):  # 0 always in range
        step = (high - low) / 255
        assert len(torch.unique(row.detach())) <= 256
        assert (row - x[0 if low < 0 else 1]).abs().max() <= step / 2 + 1e-6
    assert fake_quant_activation(torch.tensor([[0.0, 1.0, -1.0]]))[0, 0] == 0.0
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))  # straight-through estimator


def test_weight_rounding_is_int8_per_output_unit() -> None:
    w = torch.tensor([[0.5, -0.25, 0.1], [100.0, 1.0, -3.0]])
    q = fake_quant_weight(w)
    scales = torch.tensor([[0.5 / 127], [100.0 / 127]])
    assert torch.allclose(q / scales, torch.round(q / scales), atol=1e-4)  # on the int8 grid
    assert ((q - w).abs() <= scales / 2 + 1e-6).all()
    assert q[1, 0] == 100.0 and q[0, 0] == 0.5  # each row's largest value is exact


@pytest.mark.slow
def test_quant_aware_run_from_a_checkpoint(
    emotion_run: Path, emotion_data: Path, tmp_path: Path
) -> None:
    from train.cli import main

    out = tmp_path / "qat"
    args = ["fit", "--data", str(emotion_data), "--base", str(emotion_run / "checkpoint")]
    args += ["--out", str(out), "--epochs", "1", "--lr", "1e-4", "--batch-size", "16"]
    args += ["--threads", "1", "--max-length", "32", "--quant-aware", "--no-package"]
    assert main(args) == 0
    (epoch,) = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    # Starts from the trained checkpoint: one epoch through int8 rounding stays close to the best
    # epoch of the original run (whose own first epoch, from the base, was near chance).
    original = [json.loads(x) for x in (emotion_run / "train_log.jsonl").read_text().splitlines()]
    assert epoch["accuracy"] >= max(r["accuracy"] for r in original) - 0.1
    assert epoch["accuracy"] > original[0]["accuracy"] + 0.2
    assert json.loads((out / "training_config.json").read_text())["quant_aware"] is True
    # The saved checkpoint is an ordinary model: same parameter names, plain forward.
    before = AutoModelForSequenceClassification.from_pretrained(emotion_run / "checkpoint")
    after = AutoModelForSequenceClassification.from_pretrained(out / "checkpoint")
    assert before.state_dict().keys() == after.state_dict().keys()
    assert any(
        not torch.equal(before.state_dict()[k], after.state_dict()[k]) for k in before.state_dict()
    )
    assert attach_fake_quant(after) == sum(isinstance(m, torch.nn.Linear) for m in after.modules())
