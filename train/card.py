"""The short model card written next to every packaged model."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _lineage(base: dict[str, Any]) -> str:
    text = f"{base.get('name')} ({base.get('source', '')})"
    parent = base.get("fine_tuned_from")
    return f"{text}, itself fine-tuned from {_lineage(parent)}" if parent else text


def _student(config: dict[str, Any]) -> list[str]:
    """A line for a distilled student (``fit --keep-layers/--teacher``); none otherwise."""
    if not config.get("keep_layers") and not config.get("teacher"):
        return []
    layers = config.get("keep_layers") or "all"
    teacher = config.get("teacher") or "none"
    return [
        f"- Student: encoder layers {layers} of the base kept; teacher {teacher} "
        f"(distillation weight {config.get('distill_weight')})."
    ]


def model_card(meta: dict[str, Any]) -> str:
    base = meta["base_model"]
    data = meta["data"]
    lines = [
        f"# {meta['version']}",
        "",
        f"Emotion classifier ({meta['scheme']} label scheme), fine-tuned by emotion-bot's `train` "
        "package and served with ONNX Runtime (dynamic int8, variant "
        f"`{meta['quantization']['variant']}`).",
        "",
        "## Provenance",
        f"- Base model: {_lineage(base)}",
        *_student(meta.get("training_config") or {}),
        f"- Data: {data.get('dataset', data.get('source'))}; "
        f"licence: {data.get('licence', 'see source')}",
        f"- Selected epoch {meta['selection']['epoch']} on the validation split "
        "(the test split is never used for selection).",
        "",
        "## Metrics",
        "",
        "| split | metric | value |",
        "|---|---|---|",
    ]
    for split, metrics in meta["metrics"].items():
        for key, value in metrics.items():
            lines.append(f"| {split} | {key} | {_fmt(value)} |")
    parity = meta["parity"]
    lines += [
        "",
        "## Parity with PyTorch (validation split)",
        "",
        "| model | argmax agreement | max abs diff | validation score |",
        "|---|---|---|---|",
    ]
    for name, row in parity.items():
        if isinstance(row, dict) and "argmax_agreement" in row:
            # The int8-vs-fp32 row compares two ONNX models with each other: it has no score.
            label = "shipped int8 vs fp32 ONNX" if name == "int8_vs_fp32" else name
            score = row.get("validation_score")
            lines.append(
                f"| {label} | {row['argmax_agreement']:.4f} | {row['max_abs_diff']:.4f} | "
                f"{'n/a' if score is None else format(score, '.4f')} |"
            )
    lines += [
        "",
        "## Intended use and limits",
        "Classifies the emotions expressed in short chat messages (English). It is not a "
        "diagnostic tool: the bot uses it for gentle prompts and for aggregate mood, and a "
        "moderator reviews every distress flag. Reddit-trained models reflect Reddit's language "
        "and its biases.",
        "",
        "Training configuration and all figures: `meta.json`, `eval/`.",
        "",
    ]
    return "\n".join(lines)
