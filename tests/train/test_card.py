"""The model card: every parity row is readable, including the int8-vs-fp32 one without a score."""

from __future__ import annotations

from train.card import model_card


def test_parity_rows_print_numbers_or_n_a_never_nan() -> None:
    meta = {
        "version": "goemotions-minilm-int8-20261123-abcdef12",
        "scheme": "goemotions",
        "base_model": {"name": "all-MiniLM-L6-v2", "source": "local"},
        "data": {"dataset": "GoEmotions", "licence": "Apache-2.0"},
        "selection": {"epoch": 3},
        "quantization": {"variant": "u8s8-per-channel"},
        "metrics": {"validation": {"n": 10, "macro_f1": 0.5}},
        "parity": {
            "fp32": {"argmax_agreement": 1.0, "max_abs_diff": 0.0, "validation_score": 0.5},
            "int8_vs_fp32": {"argmax_agreement": 0.99, "max_abs_diff": 0.08},
        },
    }
    card = model_card(meta)
    assert "| nan |" not in card
    assert "| fp32 | 1.0000 | 0.0000 | 0.5000 |" in card
    assert "| shipped int8 vs fp32 ONNX | 0.9900 | 0.0800 | n/a |" in card


def test_a_distilled_student_names_its_lineage_and_teacher(tmp_path) -> None:
    """The base chain comes from the checkpoints' own training_config.json files."""
    import json

    from train.base import describe_base

    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "training_config.json").write_text(json.dumps({"base": "minilm"}))
    base = describe_base(str(teacher))
    assert base["source"] == "local folder"
    assert base["fine_tuned_from"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    meta = {
        "version": "goemotions-checkpoint-int8-20261123-abcdef12",
        "scheme": "goemotions",
        "base_model": base,
        "data": {"dataset": "GoEmotions", "licence": "Apache-2.0"},
        "selection": {"epoch": 2},
        "quantization": {"variant": "u8s8-per-channel"},
        "training_config": {"keep_layers": "0,3,5", "teacher": str(teacher), "distill_weight": 0.5},
        "metrics": {},
        "parity": {},
    }
    card = model_card(meta)
    assert (
        f"{teacher} (local folder), itself fine-tuned from sentence-transformers/all-MiniLM-L6-v2"
        in card
    )
    assert f"encoder layers 0,3,5 of the base kept; teacher {teacher}" in card
