"""Turn a BERT-architecture checkpoint into a ``DistilBertForSequenceClassification``.

Why: the bot is built for DistilBERT, and its tests cover the DistilBERT path with a tiny random
config; shipping a DistilBERT in architecture (not only in recipe) makes the served path the tested
one. The weights still descend from all-MiniLM-L6-v2 (a BERT): DistilBERT has the same blocks in
other names, except two things, handled here:

- DistilBERT has no token-type embeddings. The bot always feeds token type 0, so its row is added
  to every position embedding (exact for type 0).
- DistilBERT's head is ``pre_classifier`` (dim x dim, ReLU) then ``classifier``, where BERT has a
  pooler (tanh) then ``classifier``. ``pre_classifier`` starts from the pooler's weights and is
  trained with the rest; the activation differs, so the converted model is not the same function
  until it has been trained (``fit`` trains it).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from transformers import DistilBertConfig, DistilBertForSequenceClassification

logger = logging.getLogger(__name__)


def _config_from_bert(config: Any, layers: int) -> DistilBertConfig:
    return DistilBertConfig(  # type: ignore[call-arg]
        vocab_size=config.vocab_size,
        max_position_embeddings=config.max_position_embeddings,
        sinusoidal_pos_embds=False,
        n_layers=layers,
        n_heads=config.num_attention_heads,
        dim=config.hidden_size,
        hidden_dim=config.intermediate_size,
        dropout=config.hidden_dropout_prob,
        attention_dropout=config.attention_probs_dropout_prob,
        activation=config.hidden_act,
        pad_token_id=config.pad_token_id,
        num_labels=config.num_labels,
        id2label=config.id2label,
        label2id=config.label2id,
        problem_type=config.problem_type,
        # BERT's LayerNorm epsilon is 1e-12, DistilBERT hard-codes the same value.
    )


def bert_to_distilbert(model: Any, layers: list[int] | None = None) -> Any:
    """A DistilBERT with ``model``'s weights (a ``BertForSequenceClassification``).

    ``layers`` picks which encoder layers to carry over (default: all, in order).
    """
    if model.config.model_type == "distilbert":
        return model
    if model.config.model_type != "bert":
        raise ValueError(
            f"can convert a BERT checkpoint to DistilBERT, not {model.config.model_type}"
        )
    bert = model.bert
    picked = layers or list(range(len(bert.encoder.layer)))
    config = _config_from_bert(model.config, len(picked))
    target = DistilBertForSequenceClassification(config)
    sd: dict[str, torch.Tensor] = {}
    emb = bert.embeddings
    sd["distilbert.embeddings.word_embeddings.weight"] = emb.word_embeddings.weight
    # Token type 0 is the only one the bot feeds: fold its row into every position.
    sd["distilbert.embeddings.position_embeddings.weight"] = (
        emb.position_embeddings.weight + emb.token_type_embeddings.weight[0]
    )
    sd["distilbert.embeddings.LayerNorm.weight"] = emb.LayerNorm.weight
    sd["distilbert.embeddings.LayerNorm.bias"] = emb.LayerNorm.bias
    names = {
        "attention.q_lin": "attention.self.query",
        "attention.k_lin": "attention.self.key",
        "attention.v_lin": "attention.self.value",
        "attention.out_lin": "attention.output.dense",
        "sa_layer_norm": "attention.output.LayerNorm",
        "ffn.lin1": "intermediate.dense",
        "ffn.lin2": "output.dense",
        "output_layer_norm": "output.LayerNorm",
    }
    for new, old in enumerate(picked):
        source = bert.encoder.layer[old]
        for dst, src in names.items():
            module = source.get_submodule(src)
            for param in ("weight", "bias"):
                sd[f"distilbert.transformer.layer.{new}.{dst}.{param}"] = getattr(module, param)
    if bert.pooler is not None:
        sd["pre_classifier.weight"] = bert.pooler.dense.weight
        sd["pre_classifier.bias"] = bert.pooler.dense.bias
    sd["classifier.weight"] = model.classifier.weight
    sd["classifier.bias"] = model.classifier.bias
    missing, unexpected = target.load_state_dict(
        {k: v.detach().clone() for k, v in sd.items()}, strict=False
    )
    # Only buffers DistilBERT builds itself (position ids) may be missing.
    real_missing = [k for k in missing if not k.endswith("position_ids")]
    if real_missing or unexpected:
        raise ValueError(f"conversion left weights unset: {real_missing}, unexpected {unexpected}")
    logger.info("converted BERT (layers %s) to DistilBERT with %d layers", picked, len(picked))
    return target
