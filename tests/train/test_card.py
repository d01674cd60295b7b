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
