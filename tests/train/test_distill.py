"""A smaller student: layers kept, the distillation loss, and a student trained on a teacher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from transformers import (
    AutoModelForSequenceClassification,
    BertConfig,
    BertForSequenceClassification,
    DistilBertConfig,
    DistilBertForSequenceClassification,
)

from train.distill import distillation_loss, keep_layers, parse_layers


def test_parse_layers_reads_sorted_distinct_numbers() -> None:
    assert parse_layers("5,0,3") == [0, 3, 5]
    assert parse_layers("") == []
    for bad in ("1,1", "a,b", "-1"):
        with pytest.raises(ValueError, match="keep-layers"):
            parse_layers(bad)


def _ids() -> dict[str, torch.Tensor]:
    ids = torch.tensor([[101, 2023, 2003, 6429, 102, 0], [101, 7592, 2088, 2651, 999, 102]])
    return {"input_ids": ids, "attention_mask": (ids != 0).long()}


@pytest.mark.parametrize("kind", ["bert", "distilbert"])
def test_kept_layers_are_the_chosen_ones_and_survive_a_save(kind: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model: Any
    if kind == "bert":
        model = BertForSequenceClassification(
            BertConfig(
                vocab_size=30522,
                hidden_size=32,
                num_hidden_layers=3,
                num_attention_heads=2,
                intermediate_size=64,
                num_labels=4,
            )
        )
        layers = model.bert.encoder.layer
    else:
        model = DistilBertForSequenceClassification(
            DistilBertConfig(vocab_size=30522, dim=32, n_layers=3, n_heads=2, hidden_dim=64)
        )
        layers = model.distilbert.transformer.layer
    first, last = layers[0], layers[2]
    model.eval()
    with torch.no_grad():
        full = model(**_ids()).logits

    keep_layers(model, [0, 2])

    kept = model.bert.encoder.layer if kind == "bert" else model.distilbert.transformer.layer
    assert list(kept) == [first, last]
    with torch.no_grad():
        cut = model(**_ids()).logits
    assert not torch.allclose(cut, full)  # the middle layer is really gone
    model.save_pretrained(tmp_path)
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    count = "num_hidden_layers" if kind == "bert" else "n_layers"
    assert getattr(reloaded.config, count) == 2
    with torch.no_grad():
        assert torch.allclose(reloaded(**_ids()).logits, cut, atol=1e-6)
    with pytest.raises(ValueError, match="cannot keep layer 2"):
        keep_layers(model, [2])


def test_distillation_loss_is_lowest_at_the_teachers_scores() -> None:
    teacher_logits = torch.tensor([[2.0, -1.0, 0.5], [-0.5, 1.5, -2.0]])
    for multi in (True, False):
        probs = torch.sigmoid(teacher_logits) if multi else torch.softmax(teacher_logits, -1)
        student = teacher_logits.clone().requires_grad_(True)
        at_teacher = distillation_loss(student, probs, multi)
        at_teacher.backward()
        assert student.grad is not None
        assert torch.allclose(student.grad, torch.zeros_like(student.grad), atol=1e-6)
        for shift in (torch.tensor([[0.3, 0.0, 0.0], [0.0, 0.0, -0.4]]), torch.randn(2, 3)):
            assert distillation_loss(teacher_logits + shift, probs, multi) > at_teacher


@pytest.mark.slow
def test_a_student_with_all_weight_on_the_teacher_ignores_the_labels(
    tiny_root: Path, goemotions_run: Path, goemotions_data: Path
) -> None:
    """With distill_weight 1 the labels drop out of the loss: scrambled training labels give the
    same student, bit for bit; with weight 0 they do not."""
    from train.config import TrainConfig
    from train.data import Split, load_split
    from train.finetune import fine_tune

    train = load_split(goemotions_data, "train")
    validation = load_split(goemotions_data, "validation")
    shuffled = train.targets[np.random.default_rng(0).permutation(len(train))]
    scrambled = Split(train.texts, shuffled, train.scheme, train.source)
    teacher = goemotions_run / "checkpoint"

    def student(name: str, data: object, weight: float) -> dict[str, torch.Tensor]:
        config = TrainConfig(
            data=str(goemotions_data),
            out=str(tiny_root / name),
            base=str(teacher),
            keep_layers="1",
            teacher=str(teacher),
            distill_weight=weight,
            epochs=1,
            lr=3e-3,
            batch_size=16,
            threads=1,
            max_length=32,
            max_train_examples=160,
            prior_bias_init=False,
        )
        fine_tune(config, data, validation)  # type: ignore[arg-type]
        saved = AutoModelForSequenceClassification.from_pretrained(tiny_root / name / "checkpoint")
        assert saved.config.n_layers == 1
        return saved.state_dict()

    labels = student("student-labels", train, 1.0)
    scrambled_labels = student("student-scrambled", scrambled, 1.0)
    assert all(torch.equal(labels[k], scrambled_labels[k]) for k in labels)
    no_teacher = student("student-no-teacher", scrambled, 0.0)
    assert not all(torch.equal(labels[k], no_teacher[k]) for k in labels)
    saved_config = tiny_root / "student-labels" / "checkpoint" / "training_config.json"
    recorded = json.loads(saved_config.read_text())
    assert (recorded["keep_layers"], recorded["teacher"]) == ("1", str(teacher))
