"""The multi-task student: BERT -> DistilBERT conversion, three outputs from one ONNX pass,
and a tiny end-to-end fit + package with the real distress data (when ../shared has it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch

DISTRESS = Path(__file__).resolve().parents[3] / "shared" / "data" / "distress"


def _tiny_bert(num_labels: int = 5):
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=num_labels,
        problem_type="multi_label_classification",
    )
    return BertForSequenceClassification(config).eval()


def test_conversion_keeps_the_encoder_function_for_the_chosen_layers() -> None:
    from train.distilbert import bert_to_distilbert
    from train.distill import keep_layers

    bert = _tiny_bert()
    distil = bert_to_distilbert(bert, [0, 2, 3]).eval()
    assert type(distil).__name__ == "DistilBertForSequenceClassification"
    assert distil.config.n_layers == 3
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 2054, 2003, 2023, 102]])
    mask = (ids != 0).long()
    cut = keep_layers(copy.deepcopy(bert), [0, 2, 3]).eval()
    with torch.no_grad():
        expected = cut.bert(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        ).last_hidden_state
        got = distil.distilbert(input_ids=ids, attention_mask=mask).last_hidden_state
    # Token type 0 folded into the positions: the same hidden states on real tokens.
    real = mask.bool()
    assert torch.allclose(expected[real], got[real], atol=1e-5)
    # The head starts from the pooler, but DistilBERT's pre_classifier is its own layer.
    assert torch.equal(distil.pre_classifier.weight, bert.bert.pooler.dense.weight)


def test_conversion_refuses_other_architectures() -> None:
    from transformers import GPT2Config, GPT2ForSequenceClassification

    from train.distilbert import bert_to_distilbert

    gpt = GPT2ForSequenceClassification(GPT2Config(n_layer=1, n_embd=16, n_head=2))
    with pytest.raises(ValueError, match="BERT"):
        bert_to_distilbert(gpt)


def test_one_onnx_pass_gives_logits_distress_and_embedding(tmp_path: Path) -> None:
    import onnxruntime as ort

    from train.distilbert import bert_to_distilbert
    from train.export import MULTI_OUTPUTS, export_onnx
    from train.heads import MultiHead

    model = bert_to_distilbert(_tiny_bert()).eval()
    net = MultiHead(model).eval()
    path = export_onnx(model, tmp_path / "m.onnx", head=net.head)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == list(MULTI_OUTPUTS)
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2054, 2003, 2023, 2518, 102]])
    mask = (ids != 0).long()
    logits, risk, embedding = session.run(
        None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()}
    )
    with torch.no_grad():
        t_logits, t_risk, t_embedding = net(ids, mask)
    np.testing.assert_allclose(logits, t_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(risk, t_risk.numpy(), atol=1e-5)
    np.testing.assert_allclose(embedding, t_embedding.numpy(), atol=1e-5)
    # Mean over real tokens only, normalised: padding does not change a text's embedding.
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)
    short = session.run(
        None, {"input_ids": ids[:1, :4].numpy(), "attention_mask": mask[:1, :4].numpy()}
    )
    np.testing.assert_allclose(short[2][0], embedding[0], atol=1e-5)


@pytest.mark.slow
@pytest.mark.skipif(not DISTRESS.exists(), reason="needs ../shared/data/distress")
def test_a_tiny_multitask_run_packages_a_model_that_travels_whole(
    tmp_path: Path, goemotions_data: Path
) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    import classifier
    from classifier.exemplars import ExemplarMatcher
    from train.base import resolve_base
    from train.cli import main

    base = tmp_path / "bert"
    _tiny_bert(2).save_pretrained(base)
    AutoTokenizer.from_pretrained(resolve_base("minilm")).save_pretrained(base)
    out = tmp_path / "run"
    code = main(
        [
            "fit",
            "--data",
            str(goemotions_data),
            "--base",
            str(base),
            "--out",
            str(out),
            "--epochs",
            "1",
            "--lr",
            "3e-3",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--max-length",
            "32",
            "--keep-layers",
            "0,3",
            "--architecture",
            "distilbert",
            "--distress-data",
            str(DISTRESS),
            "--embed-teacher",
            str(base),
            "--max-train-examples",
            "200",
        ]
    )
    assert code == 0
    model_dir = out / "model"
    clf = classifier.load(model_dir)
    assert clf.has_distress
    [pred, empty] = clf.predict(["what a lovely day", "   "])
    assert pred.distress is not None and 0.0 <= pred.distress <= 1.0
    assert pred.embedding is not None and pred.embedding.shape == (32,)
    assert empty.distress is None and empty.embedding is None
    meta = json.loads((model_dir / "meta.json").read_text())
    points = meta["distress"]["operating_points"]
    assert set(points) == {"low", "default", "high"}
    # A higher sensitivity spends a bigger budget: its thresholds are no higher.
    high, default, low = (points[k]["head_high"] for k in ("high", "default", "low"))
    assert high <= default <= low
    assert (model_dir / "eval" / "distress-curve.png").stat().st_size > 1000
    matcher = ExemplarMatcher.load(model_dir)
    assert matcher is not None and len(matcher) == meta["distress"]["matcher"]["exemplars"]
    # The PyTorch checkpoint ships beside the int8 model, in float16, loadable as any checkpoint.
    ckpt = model_dir / "checkpoint"
    reloaded = AutoModelForSequenceClassification.from_pretrained(ckpt)
    assert type(reloaded).__name__ == "DistilBertForSequenceClassification"
    assert next(reloaded.parameters()).dtype == torch.float32
    assert meta["checkpoint"]["bytes"] < (out / "checkpoint" / "model.safetensors").stat().st_size
    # bench model on a fresh clone: the fp32 twin is exported from the shipped checkpoint alone.
    assert main(["export-fp32", "--model", str(model_dir), "--out", str(tmp_path / "fp32")]) == 0
    fp32 = classifier.load(tmp_path / "fp32")
    texts = ["what a lovely day", "I am so tired of all this"]
    np.testing.assert_allclose(fp32.scores(texts), clf.scores(texts), atol=0.05)
    assert fp32.has_distress


@pytest.mark.slow
def test_emotion_head_only_training_keeps_the_risk_signal_exactly(
    tmp_path: Path, goemotions_data: Path
) -> None:
    """Retraining on a community's labels (``--train-layers emotion-head``) changes how emotions
    are read and nothing else: the encoder (so the embedding the matcher uses) and the distress
    head come out bit for bit as they went in."""
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from train.base import resolve_base
    from train.cli import main
    from train.heads import HEAD_FILE, MultiHead

    base = tmp_path / "base"
    model = _tiny_bert(28)
    model.save_pretrained(base)
    AutoTokenizer.from_pretrained(resolve_base("minilm")).save_pretrained(base)
    MultiHead(model).save_head(base)  # a base with a distress head: the multi-task path
    out = tmp_path / "run"
    args = ["fit", "--data", str(goemotions_data), "--base", str(base), "--out", str(out)]
    args += ["--epochs", "1", "--lr", "1e-2", "--batch-size", "16", "--threads", "1"]
    args += ["--max-length", "32", "--max-train-examples", "120", "--no-prior-bias-init"]
    assert main([*args, "--train-layers", "emotion-head", "--no-package"]) == 0
    after = AutoModelForSequenceClassification.from_pretrained(out / "checkpoint")
    before = dict(model.named_parameters())
    changed = {n for n, p in after.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.startswith("classifier.") for n in changed), changed
    head_in, head_out = (
        load_file(str(base / HEAD_FILE)),
        load_file(str(out / "checkpoint" / HEAD_FILE)),
    )
    assert all(torch.equal(head_in[k], head_out[k]) for k in head_in)
