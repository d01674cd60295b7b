"""Turn a training run into a model folder ``classifier`` loads: export, optimise, quantise,
check parity, evaluate, and write metadata and the model card.

Steps (all outputs of a run stay under ``RUN/``; only the final int8 folder goes elsewhere):

1. export the best checkpoint to ONNX and fuse it with ORT's transformer optimiser (fp32);
2. smooth its activations (:mod:`train.smoothing`, calibrated on 512 training texts) and quantise
   it in the int8 variants of :data:`train.export.QUANT_VARIANTS`;
3. score the validation split with PyTorch, the fp32 ONNX model and each int8 model through
   ``classifier`` (the serving path), and keep the first variant in the order of
   :data:`~train.export.QUANT_VARIANTS` whose headline metric is within 0.5 points of fp32 and
   whose argmax agreement with PyTorch is at least 99%; when none agrees that well, the first
   that keeps the metric (the shortfall stays visible in ``eval/parity.json``);
4. tune multi-label thresholds on validation with the chosen model's own scores;
5. evaluate on validation and, when the data has one, on the test split; write everything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from classifier.artifact import (
    CARD_FILE,
    LABELS_FILE,
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    write_json,
)
from classifier.scheme import LabelScheme
from train import blockwise
from train.base import describe_base
from train.card import model_card
from train.config import TrainConfig
from train.data import DataError, Split, label_ids, load_split
from train.export import QUANT_VARIANTS, architecture, export_onnx, optimize_onnx, quantize_onnx
from train.heads import has_heads, hidden_size, load_head
from train.metrics import headline, metrics_for, tune_thresholds
from train.parity import compare, onnx_scores, torch_scores
from train.plots import confusion_png
from train.smoothing import activation_ranges, smooth

logger = logging.getLogger(__name__)

SERVING_MAX_LENGTH = 128
MIN_AGREEMENT = 0.99
MAX_METRIC_DROP = 0.005

DATA_PROVENANCE = {
    "goemotions": {
        "dataset": "GoEmotions (Demszky et al. 2020), rater-agreement train/dev split",
        "licence": "Apache-2.0 (dataset card), CC BY 4.0 (paper); redistributable with attribution",
    },
    "emotion": {
        "dataset": "dair-ai/emotion (Saravia et al. 2018, CARER)",
        "licence": "educational and research purposes only (no formal licence): not shipped",
    },
}


def _assemble(
    folder: Path, onnx_file: Path, ckpt: Path, scheme: LabelScheme, meta: dict[str, Any]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(onnx_file, folder / MODEL_FILE)
    shutil.copyfile(ckpt / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    write_json(folder / LABELS_FILE, scheme.to_json())
    write_json(folder / META_FILE, meta)
    return folder


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(
    scheme: LabelScheme, config: TrainConfig, base_model: dict[str, Any], onnx_file: Path, tag: str
) -> str:
    """``goemotions-minilm-int8-20261123-1a2b3c4d``; a student adds its layer count (``-l3``).

    ``base_model`` is ``describe_base(config.base)``, as recorded in the meta.
    """
    root = base_model
    while "fine_tuned_from" in root:  # a student or a retrained checkpoint: name the encoder
        root = root["fine_tuned_from"]
    name = str(root.get("name") or config.base)
    short = Path(name).name.lower().replace("_", "-") or "model"
    if "minilm" in short:
        short = "minilm"
    if config.keep_layers:
        short += f"-l{len(config.keep_layers.split(','))}"
    return f"{scheme.name}-{short}-{tag}-{datetime.now(UTC):%Y%m%d}-{_file_digest(onnx_file)[:8]}"


def _evaluate(scores: np.ndarray, split: Split, thresholds: np.ndarray | None) -> dict[str, Any]:
    return metrics_for(scores, split.targets, split.scheme, thresholds)


def _confusion(
    metrics: dict[str, Any], scores: np.ndarray, split: Split, path: Path, title: str
) -> None:
    names = list(split.scheme.labels)
    if "confusion_matrix" in metrics:
        matrix = np.asarray(metrics["confusion_matrix"])
    else:  # multi-label: top prediction against the gold label, rows with a single gold label
        single = split.targets.sum(axis=1) == 1
        gold = label_ids(split)[single]
        pred = scores[single].argmax(axis=1)
        matrix = np.zeros((len(names), len(names)), dtype=int)
        np.add.at(matrix, (gold, pred), 1)
    confusion_png(matrix, names, path, title)


def _calibration_ids(config: TrainConfig, tokenizer: Any, n: int = 512) -> list[list[int]]:
    """Token ids of up to ``n`` training texts (seeded sample) for activation smoothing."""
    train = load_split(config.data, "train")
    rng = np.random.default_rng(config.seed)
    picked = rng.permutation(len(train))[:n]
    texts = [train.texts[i] for i in picked]
    return [
        list(ids)
        for ids in tokenizer(texts, truncation=True, max_length=SERVING_MAX_LENGTH)["input_ids"]
    ]


def package_run(
    run: Path,
    *,
    model_out: Path | None = None,
    test_data: str | None = None,
    variant: str | None = None,
    only_variant: str | None = None,
) -> Path:
    """Package ``run`` (written by ``fit``) into ``model_out`` (default ``RUN/model``).

    ``variant`` overrides the automatic choice of int8 variant (all are still measured);
    ``only_variant`` quantises and measures that one alone (retraining keeps the serving model's
    variant: measuring all of them took ~12 of a run's 25 minutes on 2 cores).
    """
    if variant is not None and variant not in QUANT_VARIANTS:
        choices = ", ".join(QUANT_VARIANTS)
        raise ValueError(f"unknown int8 variant {variant!r}; choose from {choices}")
    if only_variant is not None and only_variant not in QUANT_VARIANTS:
        # A model packaged by an older release may name a variant this one no longer has.
        logger.warning("unknown int8 variant %r: measuring all of them", only_variant)
        only_variant = None
    variants = [only_variant] if only_variant else list(QUANT_VARIANTS)
    variant = variant or only_variant
    started = time.perf_counter()
    ckpt = run / "checkpoint"
    config = TrainConfig.from_json(json.loads((run / "training_config.json").read_text()))
    selection = json.loads((ckpt / "selection.json").read_text())
    scheme = LabelScheme.from_json(json.loads((ckpt / LABELS_FILE).read_text()))
    # Eager attention exports the plain MatMul/Softmax pattern that ORT fuses into its Attention op
    # (the SDPA export is left unfused and is slower on the CPU).
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    head = load_head(ckpt, hidden_size(model)) if has_heads(ckpt) else None
    onnx_dir = run / "onnx"

    fp32_raw = export_onnx(model, onnx_dir / "model-fp32-raw.onnx", head=head)
    fp32 = optimize_onnx(fp32_raw, onnx_dir / "model-fp32.onnx", **architecture(model))
    base_model = describe_base(config.base)
    base_meta = {
        "scheme": scheme.name,
        "base_model": base_model,
        "data": {"source": config.data, **DATA_PROVENANCE.get(scheme.name, {})},
        "max_length": SERVING_MAX_LENGTH,
        "training_config": config.to_json(),
        "selection": {"epoch": selection["epoch"], "validation_score": selection["score"]},
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }

    validation = load_split(config.data, "validation")
    texts = validation.texts
    reference = torch_scores(
        model, tokenizer, texts, multi_label=scheme.multi_label, max_length=SERVING_MAX_LENGTH
    )
    ref_metrics = _evaluate(
        reference,
        validation,
        tune_thresholds(reference, validation.targets) if scheme.multi_label else None,
    )

    calibration = _calibration_ids(config, tokenizer)
    smoothed = smooth(
        fp32, onnx_dir / "model-fp32-smoothed.onnx", activation_ranges(fp32, calibration)
    )
    unfused = optimize_onnx(
        fp32_raw,
        onnx_dir / "model-fp32-unfused-embeddings.onnx",
        **architecture(model),
        fuse_embeddings=False,
    )
    smoothed_unfused = smooth(
        unfused,
        onnx_dir / "model-fp32-unfused-embeddings-smoothed.onnx",
        blockwise.without_ffn_output_inputs(
            onnx.load(str(unfused)), activation_ranges(unfused, calibration)
        ),
    )
    candidates: dict[str, Path] = {"fp32": fp32}
    for name in variants:
        candidates[name] = quantize_onnx(
            fp32,
            onnx_dir / f"model-{name}.onnx",
            name,
            smoothed=smoothed,
            smoothed_unfused=smoothed_unfused,
        )

    report: dict[str, Any] = {"torch": {"validation_score": headline(ref_metrics)}}
    folders: dict[str, Path] = {}
    scores_of: dict[str, np.ndarray] = {}
    for name, onnx_file in candidates.items():
        meta = {
            **base_meta,
            "version": _version(scheme, config, base_model, onnx_file, name),
            "quantization": name,
        }
        folders[name] = _assemble(run / f"model-{name}", onnx_file, ckpt, scheme, meta)
        scores_of[name] = onnx_scores(folders[name], texts)
        tuned = tune_thresholds(scores_of[name], validation.targets) if scheme.multi_label else None
        metrics = _evaluate(scores_of[name], validation, tuned)
        report[name] = {
            **compare(reference, scores_of[name]),
            "validation_score": headline(metrics),
            "file_mb": round(onnx_file.stat().st_size / 2**20, 2),
        }
        logger.info("%s: %s", name, report[name])

    fp32_score = report["fp32"]["validation_score"]
    keeps_score = [
        v for v in variants if report[v]["validation_score"] >= fp32_score - MAX_METRIC_DROP
    ]
    agrees = [v for v in keeps_score if report[v]["argmax_agreement"] >= MIN_AGREEMENT]
    # The first (fastest) variant that keeps the score and agrees; else the first that keeps the
    # score (the agreement shortfall is then recorded in the parity report); else the most faithful.
    chosen = (
        variant
        or (agrees or keeps_score or [max(variants, key=lambda v: report[v]["argmax_agreement"])])[
            0
        ]
    )
    report["chosen"] = chosen
    report["int8_vs_fp32"] = compare(scores_of["fp32"], scores_of[chosen])
    logger.info("chosen int8 variant: %s", chosen)

    out = model_out or run / "model"
    if out.exists():
        shutil.rmtree(out)
    final_scores = scores_of[chosen]
    thresholds = tune_thresholds(final_scores, validation.targets) if scheme.multi_label else None
    evaluation: dict[str, Any] = {"validation": _evaluate(final_scores, validation, thresholds)}
    eval_dir = out / "eval"
    _confusion(
        evaluation["validation"],
        final_scores,
        validation,
        eval_dir / "confusion-validation.png",
        f"{scheme.name} validation (int8)",
    )
    test_source = test_data or config.data
    try:
        test = load_split(test_source, "test")
    except DataError:
        test = None  # GoEmotions' test split is deliberately not provided here
    if test is not None:
        test_scores = {name: onnx_scores(folders[name], test.texts) for name in ("fp32", chosen)}
        evaluation["test"] = _evaluate(test_scores[chosen], test, thresholds)
        evaluation["test_fp32"] = _evaluate(test_scores["fp32"], test, thresholds)
        _confusion(
            evaluation["test"],
            test_scores[chosen],
            test,
            eval_dir / "confusion-test.png",
            f"{scheme.name} test (int8)",
        )

    meta = {
        **base_meta,
        "version": _version(scheme, config, base_model, candidates[chosen], "int8"),
        "quantization": {"variant": chosen, **QUANT_VARIANTS[chosen], "method": "dynamic"},
        "thresholds": None
        if thresholds is None
        else dict(zip(scheme.labels, map(float, thresholds), strict=True)),
        "metrics": {
            split: {k: v for k, v in m.items() if not isinstance(v, (dict, list))}
            for split, m in evaluation.items()
        },
        "parity": report,
    }
    if head is not None:
        from train.distress_calibration import calibrate_distress

        meta["distress"] = calibrate_distress(
            folders[chosen], validation.texts, config, eval_dir, out
        )
    _assemble(out, candidates[chosen], ckpt, scheme, meta)
    if head is not None:
        from train.ship import write_checkpoint

        meta["checkpoint"] = write_checkpoint(ckpt, out / "checkpoint")
        write_json(out / META_FILE, meta)
    write_json(eval_dir / "metrics.json", evaluation)
    write_json(eval_dir / "parity.json", report)
    (out / CARD_FILE).write_text(model_card(meta), encoding="utf-8")
    # The fp32 folder, with the same thresholds, for benchmarks and comparisons.
    fp32_meta = {
        **json.loads((folders["fp32"] / META_FILE).read_text()),
        "thresholds": meta["thresholds"],
    }
    write_json(folders["fp32"] / META_FILE, fp32_meta)
    logger.info("packaged %s in %.0f s -> %s", meta["version"], time.perf_counter() - started, out)
    return out


def export_fp32_folder(model_dir: Path, out: Path) -> Path:
    """The fp32 ONNX twin of a shipped int8 model, from the checkpoint shipped beside it.

    Same export and graph optimisation as packaging; labels, thresholds and the rest of the meta
    are the shipped model's, with ``quantization`` set to ``fp32``. Used by ``bench model`` on a
    fresh clone (cached under ``runs/``).
    """
    ckpt = model_dir / "checkpoint"
    if not (ckpt / "config.json").exists():
        raise FileNotFoundError(f"{ckpt} not found: this model ships no PyTorch checkpoint")
    model = AutoModelForSequenceClassification.from_pretrained(ckpt, attn_implementation="eager")
    head = load_head(ckpt, hidden_size(model)) if has_heads(ckpt) else None
    work = out / "onnx"
    raw = export_onnx(model, work / "model-fp32-raw.onnx", head=head)
    fp32 = optimize_onnx(raw, work / "model-fp32.onnx", **architecture(model))
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    meta = {**meta, "quantization": "fp32", "exported_from": str(ckpt)}
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fp32, out / MODEL_FILE)
    shutil.copyfile(model_dir / TOKENIZER_FILE, out / TOKENIZER_FILE)
    shutil.copyfile(model_dir / LABELS_FILE, out / LABELS_FILE)
    write_json(out / META_FILE, meta)
    shutil.rmtree(work)
    return out
