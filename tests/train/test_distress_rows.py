"""Retraining caps the distress research rows: the draw keeps the at-risk share."""

from __future__ import annotations

from train.distress_data import stratified_sample


def _rows(positives: int, negatives: int) -> list[tuple[str, float]]:
    return [(f"p{i}", 1.0) for i in range(positives)] + [(f"n{i}", 0.0) for i in range(negatives)]


def test_the_cap_keeps_the_share_of_at_risk_rows() -> None:
    rows = _rows(300, 2700)
    kept = stratified_sample(rows, 1000, seed=5)
    assert len(kept) == 1000
    assert sum(target for _, target in kept) == 100  # 10% at risk, as in the whole
    assert set(kept) <= set(rows) and len(set(kept)) == len(kept)
    assert kept == stratified_sample(rows, 1000, seed=5)  # the seed decides the draw
    assert kept != stratified_sample(rows, 1000, seed=6)


def test_no_cap_or_a_cap_above_the_size_keeps_everything_in_order() -> None:
    rows = _rows(3, 7)
    assert stratified_sample(rows, 0) == rows
    assert stratified_sample(rows, 50) == rows
