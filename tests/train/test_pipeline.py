"""The DistilBERT code path end to end: train step, export, quantise, parity, load, evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.scheme import EMOTION_LABELS
from train.export import QUANT_VARIANTS

pytestmark = pytest.mark.slow


def test_single_label_run_learns_and_is_packaged(emotion_run: Path) -> None:
    log = [json.loads(line) for line in (emotion_run / "train_log.jsonl").read_text().splitlines()]
    assert len(log) == 6
    model_dir = emotion_run / "model"
    meta = json.loads((model_dir / "meta.json").read_text())
    # The tiny model learns the keyword task far above chance (1/6) on the held-out test split.
    assert meta["metrics"]["test"]["accuracy"] >= 0.6
    assert meta["selection"]["epoch"] == max(log, key=lambda r: r["val_score"])["epoch"]
    assert meta["quantization"]["variant"] in QUANT_VARIANTS
    for name in (
        "model.onnx",
        "tokenizer.json",
        "labels.json",
        "README.md",
        "eval/metrics.json",
        "eval/parity.json",
        "eval/confusion-test.png",
        "eval/confusion-validation.png",
    ):
        assert (model_dir / name).is_file(), name
    assert (model_dir / "eval" / "confusion-test.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta["training_config"]["seed"] == 13


def test_int8_and_fp32_match_pytorch(emotion_run: Path) -> None:
    parity = json.loads((emotion_run / "model" / "eval" / "parity.json").read_text())
    assert parity["fp32"]["argmax_agreement"] == 1.0
    assert parity["fp32"]["max_abs_diff"] < 1e-4
    chosen = parity["chosen"]
    assert parity[chosen]["argmax_agreement"] >= 0.95
    assert parity["int8_vs_fp32"]["mean_abs_diff"] < 0.05


def test_packaged_model_loads_through_classifier(emotion_run: Path) -> None:
    model = classifier.load(emotion_run / "model")
    assert model.scheme.labels == EMOTION_LABELS
    preds = model.predict(["i feel furious right now", "i feel terrified again"])
    assert [p.label for p in preds] == ["anger", "fear"]
    for p in preds:
        assert abs(sum(p.scores.values()) - 1.0) < 1e-4  # softmax
        assert p.labels == (p.label,)
        assert p.model_version == model.version


def test_multi_label_run_stores_tuned_thresholds(goemotions_run: Path) -> None:
    model_dir = goemotions_run / "model"
    meta = json.loads((model_dir / "meta.json").read_text())
    thresholds = meta["thresholds"]
    assert len(thresholds) == 28 and all(0 < t < 1 for t in thresholds.values())
    validation = meta["metrics"]["validation"]
    for key in ("macro_f1", "macro_f1_tuned", "ekman_macro_f1", "sentiment_macro_f1"):
        assert key in validation
    model = classifier.load(model_dir)
    clear, mixed = model.predict(["furious today", "furious today and terrified again"])
    assert clear.label == "anger"
    # Labels over threshold: exactly those whose score reaches the label's own threshold,
    # strongest first (the top label alone when none does).
    over = [k for k in model.scheme.labels if mixed.scores[k] >= model.thresholds[k]]
    assert set(mixed.labels) == (set(over) or {mixed.label})
    assert [mixed.scores[k] for k in mixed.labels] == sorted(
        (mixed.scores[k] for k in mixed.labels), reverse=True
    )


def test_training_is_reproducible(tiny_root: Path, tiny_base: Path, emotion_data: Path) -> None:
    """Same seed, same data: the same selected validation scores."""
    from train.config import TrainConfig
    from train.data import load_split
    from train.finetune import fine_tune

    runs = []
    for i in range(2):
        config = TrainConfig(
            data=str(emotion_data),
            out=str(tiny_root / f"repro{i}"),
            base=str(tiny_base),
            epochs=1,
            lr=3e-3,
            batch_size=16,
            threads=1,
            max_length=32,
            max_train_examples=160,
        )
        runs.append(
            fine_tune(
                config, load_split(emotion_data, "train"), load_split(emotion_data, "validation")
            )
        )
    assert runs[0]["score"] == runs[1]["score"]
    assert np.allclose(
        runs[0]["metrics"]["confusion_matrix"], runs[1]["metrics"]["confusion_matrix"]
    )


def test_package_ships_the_variant_asked_for(emotion_run: Path, tmp_path: Path) -> None:
    from train.package import package_run

    out = package_run(emotion_run, model_out=tmp_path / "fast", variant="u8s8-per-channel")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["quantization"]["variant"] == "u8s8-per-channel"
    assert meta["parity"]["chosen"] == "u8s8-per-channel"
    assert classifier.load(out).predict(["i feel so happy today"])[0].label in EMOTION_LABELS
    with pytest.raises(ValueError, match="unknown int8 variant 'u9'"):
        package_run(emotion_run, model_out=tmp_path / "bad", variant="u9")


def test_package_can_build_one_variant_alone(emotion_run: Path, tmp_path: Path) -> None:
    """Retraining packages the serving model's variant only (measuring all is most of a run)."""
    from train.package import package_run

    out = package_run(emotion_run, model_out=tmp_path / "one", only_variant="u8s8-per-channel")
    parity = json.loads((out / "meta.json").read_text())["parity"]
    assert parity["chosen"] == "u8s8-per-channel"
    measured = {k for k, v in parity.items() if isinstance(v, dict) and "validation_score" in v}
    assert measured == {"torch", "fp32", "u8s8-per-channel"}
    # A variant an older release named, unknown here: all are measured rather than failing.
    out = package_run(emotion_run, model_out=tmp_path / "old", only_variant="u9")
    assert json.loads((out / "meta.json").read_text())["parity"]["chosen"]
