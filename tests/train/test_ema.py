"""Weight averaging: the arithmetic, the swap in and out, and its use in model selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from train.ema import WeightEMA


def test_average_follows_the_warmed_up_decay() -> None:
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    ema = WeightEMA(model, decay=0.9)
    expected = torch.zeros(1, 2)
    for step in range(1, 41):
        with torch.no_grad():
            model.weight.fill_(float(step))
        ema.update(model)
        decay = min(0.9, (1 + step) / (10 + step))
        expected = decay * expected + (1 - decay) * float(step)
    assert torch.allclose(ema.shadow["weight"], expected)
    # It weights recent steps most (above the plain mean, 20.5) but lags behind the last (40).
    assert 20.5 < float(ema.shadow["weight"][0, 0]) < 39.0


def test_applied_swaps_the_average_in_and_the_raw_weights_back() -> None:
    model = nn.Linear(3, 2)
    ema = WeightEMA(model, decay=0.5)
    raw = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update(model)
    trained = {k: v.clone() for k, v in model.state_dict().items()}
    with ema.applied(model) as averaged:
        assert torch.allclose(averaged.weight, ema.shadow["weight"])
        assert not torch.allclose(averaged.weight, trained["weight"])
        assert not torch.allclose(averaged.weight, raw["weight"])
    assert torch.equal(model.weight, trained["weight"])
    assert torch.equal(model.bias, trained["bias"])


def test_decay_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="decay"):
        WeightEMA(nn.Linear(1, 1), decay=1.0)


@pytest.mark.slow
def test_fine_tune_scores_both_and_saves_the_winner(
    tiny_root: Path, tiny_base: Path, emotion_data: Path
) -> None:
    from train.config import TrainConfig
    from train.data import load_split
    from train.finetune import fine_tune

    out = tiny_root / "ema-run"
    config = TrainConfig(
        data=str(emotion_data),
        out=str(out),
        base=str(tiny_base),
        epochs=2,
        lr=3e-3,
        batch_size=16,
        threads=1,
        max_length=32,
        max_train_examples=160,
        ema_decay=0.9,
    )
    best = fine_tune(
        config, load_split(emotion_data, "train"), load_split(emotion_data, "validation")
    )
    log = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert len(log) == 2
    for record in log:
        assert record["val_score"] == max(record["val_score_raw"], record["val_score_ema"])
        assert record["weights"] == (
            "ema" if record["val_score_ema"] > record["val_score_raw"] else "raw"
        )
    chosen = max(log, key=lambda r: r["val_score"])
    assert best["weights"] == chosen["weights"]
    assert json.loads((out / "checkpoint" / "selection.json").read_text())["epoch"] == best["epoch"]

    # The saved checkpoint holds the weights that earned the score (averaged or raw).
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from train.batches import encode, predict_scores
    from train.metrics import headline, metrics_for

    validation = load_split(emotion_data, "validation")
    saved = AutoModelForSequenceClassification.from_pretrained(out / "checkpoint")
    tokenizer = AutoTokenizer.from_pretrained(out / "checkpoint")
    scores = predict_scores(
        saved, encode(tokenizer, validation.texts, 32), tokenizer.pad_token_id or 0, False
    )
    rescored = headline(metrics_for(scores, validation.targets, validation.scheme, None))
    assert rescored == pytest.approx(best["score"], abs=1e-6)
