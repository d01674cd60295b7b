"""One student, three jobs: emotions, distress risk and a sentence embedding (``--distress-data``).

Losses, summed per batch:

- emotions, as :mod:`train.finetune` does it: the labels and the teacher's scores
  (``distill_weight``) on GoEmotions rows; on the distress rows, which have no emotion labels,
  the teacher's scores alone;
- distress: binary cross-entropy of the at-risk logit (:mod:`train.distress_data` says what is
  positive and negative), times ``distress_weight``;
- embedding: ``1 - cosine`` between the student's mean-pooled output and the pretrained
  all-MiniLM-L6-v2 sentence embedding of the same text (``embed_teacher``), times
  ``embed_weight``; so the exemplar matcher can use the student's own embedding.

Why one model: the risk signal comes out of the forward pass the bot already runs for emotions,
at no measurable cost; a head frozen on the emotion student lost most of the risk information
(AUC 0.90 against 0.96 for a head on the general MiniLM embedding, as measured for the issue).

Selection stays on the emotion validation score (the GoEmotions dev split); the distress figures
on the Patil dev rows (never the held-out ones) are logged per epoch next to it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm
from transformers import AutoModel, AutoTokenizer

from train import distill
from train.base import resolve_base
from train.batches import bucketed_batches, collate, encode
from train.config import TrainConfig
from train.data import Split
from train.distilbert import bert_to_distilbert
from train.distress_data import (
    DistressExamples,
    mentions_risk,
    patil_parts,
    roc_auc,
    training_examples,
)
from train.ema import WeightEMA
from train.exemplars import load_exemplars
from train.finetune import (
    freeze_encoder,
    load_base,
    optimizer_and_schedule,
    optimizer_step,
    seed_everything,
)
from train.heads import MultiHead, has_heads, hidden_size, load_head, mean_pool
from train.metrics import headline, metrics_for, tune_thresholds

logger = logging.getLogger(__name__)

DISTRESS_MAX_LENGTH = 128


@torch.no_grad()
def sentence_embeddings(
    encoder_name: str, ids: list[list[int]], pad_id: int, batch_size: int = 128
) -> np.ndarray:
    """The pretrained encoder's normalised mean-pooled embeddings (the cosine targets)."""
    encoder = AutoModel.from_pretrained(resolve_base(encoder_name))
    encoder.eval()
    out = np.zeros((len(ids), encoder.config.hidden_size), dtype=np.float32)
    order = np.argsort([len(x) for x in ids])
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        feed = collate(ids, batch, pad_id)
        hidden = encoder(**feed).last_hidden_state
        out[batch] = F.normalize(mean_pool(hidden, feed["attention_mask"]), dim=-1).numpy()
    return out


@torch.no_grad()
def multi_scores(
    net: MultiHead, ids: list[list[int]], pad_id: int, batch_size: int = 128
) -> tuple[np.ndarray, np.ndarray]:
    """Emotion probabilities and distress probabilities for every text."""
    net.eval()
    k = int(net.model.config.num_labels)
    emotions = np.zeros((len(ids), k), dtype=np.float32)
    distress = np.zeros(len(ids), dtype=np.float32)
    order = np.argsort([len(x) for x in ids])
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        logits, risk, _ = net(**collate(ids, batch, pad_id))
        emotions[batch] = torch.sigmoid(logits).numpy()
        distress[batch] = torch.sigmoid(risk).numpy()
    return emotions, distress


def recall_at_budget(risk_pos: np.ndarray, chat: np.ndarray, budget: float) -> float:
    """Share of positives over the threshold that flags ``budget`` of ordinary chat."""
    threshold = float(np.quantile(chat, 1.0 - budget))
    return float((risk_pos > threshold).mean())


def build_student(config: TrainConfig, train: Split) -> tuple[Any, Any]:
    tokenizer, model = load_base(config.base, train)
    layers = distill.parse_layers(config.keep_layers)
    if config.architecture == "distilbert":
        model = bert_to_distilbert(model, layers or None)
    else:
        distill.keep_layers(model, layers)
    return tokenizer, model


def fine_tune_multitask(
    config: TrainConfig, train: Split, validation: Split, distress_folder: Path | None
) -> dict[str, Any]:
    out = Path(config.out)
    ckpt = out / "checkpoint"
    out.mkdir(parents=True, exist_ok=True)
    if config.threads:
        torch.set_num_threads(config.threads)
    seed_everything(config.seed)
    rng = np.random.default_rng(config.seed)
    if not train.scheme.multi_label:
        raise ValueError("the distress head is trained with the multi-label GoEmotions data")
    if config.max_train_examples and len(train) > config.max_train_examples:
        train = train.subset(rng.permutation(len(train))[: config.max_train_examples])
    if config.max_eval_examples and len(validation) > config.max_eval_examples:
        validation = validation.subset(np.arange(config.max_eval_examples))

    tokenizer, model = build_student(config, train)
    # Retraining from a shipped or trained multi-task checkpoint keeps its distress head.
    base = Path(config.base)
    net = MultiHead(model, load_head(base, hidden_size(model)) if has_heads(base) else None)
    pad_id = tokenizer.pad_token_id or 0
    k = len(train.scheme.labels)
    head_only = config.train_layers == "emotion-head"
    if head_only:  # the risk signal and the embedding stay exactly as they were
        learning = freeze_encoder(net.model)
        net.head.requires_grad_(False)
        logger.info("training the emotion head only: %d parameters", learning)

    exemplars = [(e.text, e.kind == "risk") for e in load_exemplars()]
    extra = training_examples(
        distress_folder, exemplars, max_research=config.distress_rows, seed=config.seed
    )
    if config.extra_exemplars:
        community = [
            (e.text, e.kind == "risk") for e in load_exemplars(Path(config.extra_exemplars))
        ]
        extra_c = DistressExamples([], [], [])
        extra_c.add([t for t, r in community if r], 1.0, weight=3.0)
        extra_c.add([t for t, r in community if not r], 0.0, weight=3.0)
        extra = DistressExamples(
            extra.texts + extra_c.texts,
            extra.targets + extra_c.targets,
            extra.weights + extra_c.weights,
        )
    if head_only:  # the frozen distress head learns nothing from them
        extra = DistressExamples([], [], [])
    if config.max_train_examples:  # quick runs and tests: a proportionate slice
        keep = rng.permutation(len(extra.texts))[: max(8, config.max_train_examples // 4)]
        extra = DistressExamples(
            [extra.texts[i] for i in keep],
            [extra.targets[i] for i in keep],
            [extra.weights[i] for i in keep],
        )
    n_go = len(train)
    ids = encode(tokenizer, train.texts, config.max_length) + encode(
        tokenizer, extra.texts, DISTRESS_MAX_LENGTH
    )
    n = len(ids)
    is_go = torch.zeros(n, dtype=torch.bool)
    is_go[:n_go] = True
    labels = torch.zeros((n, k), dtype=torch.float32)
    labels[:n_go] = torch.tensor(train.targets, dtype=torch.float32)
    risk_target = torch.zeros(n, dtype=torch.float32)
    risk_target[n_go:] = torch.tensor(extra.targets)
    risk_weight = torch.ones(n, dtype=torch.float32)
    risk_weight[n_go:] = torch.tensor(extra.weights)
    risk_weight *= 1.0 + 2.0 * risk_target  # the few positives count three times
    masked = [i for i, t in enumerate(train.texts) if mentions_risk(t)]
    risk_weight[masked] = 0.0
    logger.info(
        "distress rows: %d (%d at risk), ordinary chat %d (%d masked as mentioning risk)",
        len(extra.texts),
        int(sum(extra.targets)),
        n_go,
        len(masked),
    )

    soft: torch.Tensor | None = None
    if config.teacher:
        distill.check_same_vocabulary(tokenizer, AutoTokenizer.from_pretrained(config.teacher))
        soft = torch.from_numpy(distill.teacher_probabilities(config.teacher, ids, pad_id, True, k))
    embed_targets: torch.Tensor | None = None
    if config.embed_teacher and config.embed_weight > 0 and not head_only:
        logger.info("embedding %d texts with %s", n, config.embed_teacher)
        embed_targets = torch.from_numpy(sentence_embeddings(config.embed_teacher, ids, pad_id))

    val_ids = encode(tokenizer, validation.texts, config.max_length)
    # Without the research data (a community's machine retraining its served model), the head
    # keeps learning from the exemplars and ordinary chat; the Patil dev figures are then absent.
    dev_posts = patil_parts(distress_folder)["dev"] if distress_folder is not None else []
    dev_ids = encode(tokenizer, [p.text for p in dev_posts], DISTRESS_MAX_LENGTH)
    dev_targets = np.array([1.0 if p.at_risk else 0.0 for p in dev_posts])

    lengths = [len(x) for x in ids]
    steps_per_epoch = math.ceil(n / config.batch_size)
    total = steps_per_epoch * config.epochs
    optimizer, schedule = optimizer_and_schedule(net, config, total)
    ema = WeightEMA(net, config.ema_decay) if config.ema_decay else None
    log_path = out / "train_log.jsonl"
    best: dict[str, Any] = {"score": -1.0}
    w = config.distill_weight
    for epoch in range(1, config.epochs + 1):
        net.train()
        started = time.perf_counter()
        seen, running = 0, 0.0
        parts = np.zeros(3)
        bar = tqdm(
            bucketed_batches(lengths, config.batch_size, rng),
            desc=f"epoch {epoch}/{config.epochs}",
            mininterval=1.0 if sys.stderr.isatty() else 60.0,
        )
        for step, batch in enumerate(bar, 1):
            rows = torch.as_tensor(batch)
            logits, risk, embedding = net(**collate(ids, batch, pad_id))
            go = is_go[rows].float()
            per_row = F.binary_cross_entropy_with_logits(
                logits, labels[rows], reduction="none"
            ).mean(-1)
            if soft is not None:
                taught = F.binary_cross_entropy_with_logits(
                    logits, soft[rows], reduction="none"
                ).mean(-1)
                per_row = go * ((1 - w) * per_row + w * taught) + (1 - go) * taught
            else:
                per_row = per_row * go
            emotion_loss = per_row.mean()
            weights = risk_weight[rows]
            distress_loss = (
                F.binary_cross_entropy_with_logits(risk, risk_target[rows], reduction="none")
                * weights
            ).sum() / weights.sum().clamp(min=1.0)
            loss = emotion_loss + config.distress_weight * distress_loss
            embed_loss = torch.zeros(())
            if embed_targets is not None:
                embed_loss = (1 - (embedding * embed_targets[rows]).sum(-1)).mean()
                loss = loss + config.embed_weight * embed_loss
            optimizer_step(net, loss, optimizer, schedule, ema)
            seen += len(batch)
            running += float(loss.detach())
            parts += [float(x.detach()) for x in (emotion_loss, distress_loss, embed_loss)]
            if step % 20 == 0:
                bar.set_postfix(
                    loss=f"{running / step:.4f}",
                    ex_s=f"{seen / (time.perf_counter() - started):.1f}",
                )
        train_seconds = time.perf_counter() - started

        def evaluate() -> tuple[float, dict[str, Any], np.ndarray, dict[str, float]]:
            scores, chat_risk = multi_scores(net, val_ids, pad_id)
            thresholds = tune_thresholds(scores, validation.targets)
            metrics = metrics_for(scores, validation.targets, validation.scheme, thresholds)
            risk: dict[str, float] = {}
            if dev_ids:
                _, dev_risk = multi_scores(net, dev_ids, pad_id)
                risk = {
                    "patil_dev_auc": roc_auc(dev_risk, dev_targets),
                    "patil_dev_recall_at_0.5pct_chat": recall_at_budget(
                        dev_risk[dev_targets > 0.5], chat_risk, 0.005
                    ),
                }
            return headline(metrics), metrics, thresholds, risk

        candidates = {"raw": evaluate()}
        if ema is not None:
            with ema.applied(net):
                candidates["ema"] = evaluate()
        weights_name = max(candidates, key=lambda name: candidates[name][0])
        score, metrics, thresholds, risk = candidates[weights_name]
        record: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": running / max(1, steps_per_epoch),
            "loss_parts": dict(
                zip(
                    ("emotion", "distress", "embedding"),
                    (parts / steps_per_epoch).round(4).tolist(),
                    strict=True,
                )
            ),
            "train_seconds": round(train_seconds, 1),
            "examples_per_s": round(seen / train_seconds, 1),
            "val_score": score,
            "weights": weights_name,
            **{k_: metrics[k_] for k_ in ("macro_f1", "macro_f1_tuned", "ekman_macro_f1")},
            **risk,
        }
        with log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
        logger.info("epoch %d: %s", epoch, record)
        if score > best["score"]:
            best = {
                "score": score,
                "epoch": epoch,
                "weights": weights_name,
                "metrics": metrics,
                "distress": risk,
                "thresholds": thresholds.tolist(),
            }
            applied = (
                ema.applied(net) if weights_name == "ema" and ema else contextlib.nullcontext()
            )
            with applied:
                net.model.save_pretrained(ckpt)
                net.save_head(ckpt)
            tokenizer.save_pretrained(ckpt)
            (ckpt / "selection.json").write_text(json.dumps(best, indent=2), encoding="utf-8")
            (ckpt / "labels.json").write_text(
                json.dumps(train.scheme.to_json(), indent=2), encoding="utf-8"
            )
            config.save(ckpt / "training_config.json")
            logger.info("new best (%.4f, %s weights) saved to %s", score, weights_name, ckpt)
    return best
