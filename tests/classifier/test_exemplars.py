"""The exemplar matcher: best risk similarity minus a share of the best hard-negative one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifier.exemplars import NEGATIVE_SHARE, ExemplarMatcher


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def matcher() -> ExemplarMatcher:
    return ExemplarMatcher(
        np.stack([_unit(1, 0, 0), _unit(0, 1, 0), _unit(0, 0, 1)]),
        ["risk", "risk", "safe"],
        ["preparatory", "wish_dead", "hyperbole"],
    )


def test_score_is_best_risk_minus_a_share_of_best_safe(matcher: ExemplarMatcher) -> None:
    message = _unit(0.9, 0.1, 0.4)
    match = matcher.match(message)
    assert match is not None
    assert match.category == "preparatory"
    assert match.category_name == "preparatory acts"
    expected = float(message[0] - NEGATIVE_SHARE * message[2])
    assert match.score == pytest.approx(expected, abs=1e-6)
    assert matcher.scores(message[None, :])[0] == pytest.approx(expected, abs=1e-6)


def test_an_empty_text_has_no_match(matcher: ExemplarMatcher) -> None:
    assert matcher.match(np.zeros(3, dtype=np.float32)) is None
    assert matcher.scores(np.zeros((1, 3), dtype=np.float32))[0] == -1.0


def test_a_moderators_hard_negative_counts_at_once(matcher: ExemplarMatcher) -> None:
    message = _unit(0.2, 1.0, 0.0)
    before = matcher.match(message)
    after = matcher.with_added(message[None, :], ["safe"], ["community"]).match(message)
    assert before is not None and after is not None
    assert after.score < before.score - 0.4


def test_saved_and_loaded(matcher: ExemplarMatcher, tmp_path: Path) -> None:
    matcher.save(tmp_path)
    loaded = ExemplarMatcher.load(tmp_path)
    assert loaded is not None
    assert loaded.kinds == matcher.kinds and loaded.categories == matcher.categories
    np.testing.assert_allclose(loaded.embeddings, matcher.embeddings, atol=1e-3)
    assert ExemplarMatcher.load(tmp_path / "missing") is None


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        ExemplarMatcher(np.zeros((2, 3)), ["risk"], ["plan", "plan"])
