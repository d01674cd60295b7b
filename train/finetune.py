"""Fine-tune a Hugging Face encoder on an emotion dataset, selecting the best epoch on validation.

The best checkpoint (Hugging Face format, plus ``selection.json`` with its validation metrics
and, for multi-label data, the per-label thresholds tuned on validation) is written to
``OUT/checkpoint``.
The test split is never looked at here.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    get_linear_schedule_with_warmup,
)

from train import distill
from train.batches import bucketed_batches, collate, encode, predict_scores
from train.config import TrainConfig
from train.data import Split
from train.ema import WeightEMA
from train.metrics import headline, metrics_for, tune_thresholds

logger = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_base(base: str, split: Split) -> tuple[Any, Any]:
    """Tokenizer and a fresh classification head on ``base`` (hub name or local folder)."""
    scheme = split.scheme
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        num_labels=len(scheme.labels),
        id2label=dict(enumerate(scheme.labels)),
        label2id={label: i for i, label in enumerate(scheme.labels)},
        problem_type=(
            "multi_label_classification" if scheme.multi_label else "single_label_classification"
        ),
        ignore_mismatched_sizes=True,  # retraining from a checkpoint with another head is fine
    )
    return tokenizer, model


def init_prior_bias(model: nn.Module, targets: np.ndarray) -> None:
    """Set the output layer's bias to each label's log-odds in the training data."""
    head = getattr(model, "classifier", None)
    if not isinstance(head, nn.Linear) or head.bias is None:
        logger.warning("no linear classifier head found; prior bias init skipped")
        return
    prior = np.clip(targets.mean(axis=0), 1e-4, 1 - 1e-4)
    with torch.no_grad():
        head.bias.copy_(torch.as_tensor(np.log(prior / (1 - prior)), dtype=head.bias.dtype))


def freeze_encoder(model: Any) -> int:
    """Leave only the classification head of a ``*ForSequenceClassification`` model trainable
    (``train_layers="emotion-head"``); returns how many parameters still learn."""
    prefix = f"{model.base_model_prefix}."
    for name, p in model.named_parameters():
        p.requires_grad_(not name.startswith(prefix))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def optimizer_and_schedule(model: nn.Module, config: TrainConfig, total_steps: int) -> Any:
    """AdamW (no weight decay on biases and LayerNorm weights) with linear warm-up and decay,
    over the parameters that learn."""
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    params = [
        {
            "params": [p for n, p in named if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for n, p in named if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(params, lr=config.lr)
    warmup = int(config.warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def optimizer_step(
    model: nn.Module, loss: torch.Tensor, optimizer: Any, schedule: Any, ema: WeightEMA | None
) -> None:
    """Backward, clip the gradient norm at 1, step, and update the moving average if any."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
    optimizer.zero_grad(set_to_none=True)
    if ema is not None:
        ema.update(model)


def class_weights(targets: np.ndarray, k: int, how: str) -> torch.Tensor | None:
    """Per-class loss weights for single-label training (see ``TrainConfig.class_weighting``)."""
    if how == "none":
        return None
    if how != "sqrt":
        raise ValueError(f"unknown class weighting {how!r}: use 'none' or 'sqrt'")
    counts = np.bincount(targets, minlength=k).astype(np.float64)
    weights = 1.0 / np.sqrt(np.maximum(counts, 1.0) / counts.sum())
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)


def _loss_fn(config: TrainConfig, train: Split) -> nn.Module:
    if train.scheme.multi_label:
        return nn.BCEWithLogitsLoss()
    weights = class_weights(train.targets, len(train.scheme.labels), config.class_weighting)
    return nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing)


def fine_tune(config: TrainConfig, train: Split, validation: Split) -> dict[str, Any]:
    """Train for ``config.epochs``; keep the epoch with the best validation score.

    With ``config.ema_decay`` set, the moving average of the weights is scored as well at each
    epoch, and whichever of the two scores better on validation is the candidate.

    Returns the selection record (epoch, validation metrics, thresholds) also saved as
    ``OUT/checkpoint/selection.json``.
    """
    out = Path(config.out)
    ckpt = out / "checkpoint"
    out.mkdir(parents=True, exist_ok=True)
    if config.threads:
        torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    rng = np.random.default_rng(config.seed)
    multi = train.scheme.multi_label

    if config.max_train_examples and len(train) > config.max_train_examples:
        train = train.subset(rng.permutation(len(train))[: config.max_train_examples])
    if config.max_eval_examples and len(validation) > config.max_eval_examples:
        validation = validation.subset(np.arange(config.max_eval_examples))

    tokenizer, model = load_base(config.base, train)
    distill.keep_layers(model, distill.parse_layers(config.keep_layers))
    if multi and config.prior_bias_init:
        init_prior_bias(model, train.targets)
    pad_id = tokenizer.pad_token_id or 0
    train_ids = encode(tokenizer, train.texts, config.max_length)
    soft: torch.Tensor | None = None
    if config.teacher:
        distill.check_same_vocabulary(tokenizer, AutoTokenizer.from_pretrained(config.teacher))
        soft = torch.from_numpy(
            distill.teacher_probabilities(
                config.teacher, train_ids, pad_id, multi, len(train.scheme.labels)
            )
        )
    val_ids = encode(tokenizer, validation.texts, config.max_length)
    lengths = [len(x) for x in train_ids]
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total = steps_per_epoch * config.epochs

    if config.train_layers == "emotion-head":
        logger.info("training the classification head only: %d parameters", freeze_encoder(model))
    optimizer, schedule = optimizer_and_schedule(model, config, total)
    loss_fn = _loss_fn(config, train)
    targets = torch.tensor(train.targets, dtype=torch.float32 if multi else torch.long)

    ema = WeightEMA(model, config.ema_decay) if config.ema_decay else None
    log_path = out / "train_log.jsonl"
    best: dict[str, Any] = {"score": -1.0}
    logger.info(
        "training %s on %d examples (%d validation), %d epochs x %d steps",
        config.base,
        len(train_ids),
        len(val_ids),
        config.epochs,
        steps_per_epoch,
    )
    for epoch in range(1, config.epochs + 1):
        model.train()
        started = time.perf_counter()
        seen = 0
        running = 0.0
        bar = tqdm(
            bucketed_batches(lengths, config.batch_size, rng),
            desc=f"epoch {epoch}/{config.epochs}",
            mininterval=1.0 if sys.stderr.isatty() else 60.0,
        )
        for step, batch in enumerate(bar, 1):
            logits = model(**collate(train_ids, batch, pad_id)).logits
            rows = torch.as_tensor(batch)
            loss = loss_fn(logits, targets[rows])
            if soft is not None:
                loss = (1 - config.distill_weight) * loss + config.distill_weight * (
                    distill.distillation_loss(logits, soft[rows], multi)
                )
            optimizer_step(model, loss, optimizer, schedule, ema)
            seen += len(batch)
            running += float(loss.detach())
            if step % 20 == 0:
                bar.set_postfix(
                    loss=f"{running / step:.4f}",
                    ex_s=f"{seen / (time.perf_counter() - started):.1f}",
                )
        train_seconds = time.perf_counter() - started

        def evaluate() -> tuple[float, dict[str, Any], np.ndarray | None]:
            scores = predict_scores(model, val_ids, pad_id, multi)
            thresholds = tune_thresholds(scores, validation.targets) if multi else None
            metrics = metrics_for(scores, validation.targets, validation.scheme, thresholds)
            return headline(metrics), metrics, thresholds

        candidates = {"raw": evaluate()}
        if ema is not None:
            with ema.applied(model):
                candidates["ema"] = evaluate()
        weights = max(candidates, key=lambda name: candidates[name][0])
        score, metrics, thresholds = candidates[weights]
        record: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": running / max(1, steps_per_epoch),
            "train_seconds": round(train_seconds, 1),
            "examples_per_s": round(seen / train_seconds, 1),
            "val_score": score,
            **{
                k: metrics[k]
                for k in ("accuracy", "macro_f1", "macro_f1_tuned", "ekman_macro_f1")
                if k in metrics
            },
        }
        if ema is not None:
            record["weights"] = weights
            record["val_score_raw"] = candidates["raw"][0]
            record["val_score_ema"] = candidates["ema"][0]
        with log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        logger.info("epoch %d: %s", epoch, record)
        if score > best["score"]:
            best = {
                "score": score,
                "epoch": epoch,
                "weights": weights,
                "metrics": metrics,
                "thresholds": None if thresholds is None else thresholds.tolist(),
            }
            with ema.applied(model) if weights == "ema" and ema else contextlib.nullcontext():
                model.save_pretrained(ckpt)
            tokenizer.save_pretrained(ckpt)
            (ckpt / "selection.json").write_text(json.dumps(best, indent=2), encoding="utf-8")
            (ckpt / "labels.json").write_text(
                json.dumps(train.scheme.to_json(), indent=2), encoding="utf-8"
            )
            config.save(ckpt / "training_config.json")
            logger.info("new best (%.4f, %s weights) saved to %s", score, weights, ckpt)
    return best
