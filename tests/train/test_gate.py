"""The promotion rule on the numbers the gate computes (no models needed)."""

from __future__ import annotations

from train.gate import GateConfig, decide


def _model(*, community: float, original: float, agreement: float | None) -> dict:
    parity = None if agreement is None else {"argmax_agreement": agreement}
    return {
        "community": {"top1_accuracy": community},
        "original": {"headline": original},
        "parity": parity,
    }


def test_promotes_when_better_on_community_and_close_on_original() -> None:
    current = _model(community=0.50, original=0.52, agreement=0.995)
    candidate = _model(community=0.60, original=0.515, agreement=0.995)
    assert decide(candidate, current, GateConfig()).promote


def test_rejects_worse_community_or_original() -> None:
    current = _model(community=0.50, original=0.52, agreement=0.995)
    assert not decide(
        _model(community=0.50, original=0.52, agreement=0.995), current, GateConfig()
    ).promote
    decision = decide(_model(community=0.70, original=0.49, agreement=0.995), current, GateConfig())
    assert not decision.promote and "original split" in decision.reasons[0]


def test_parity_bar_follows_the_serving_model_when_it_is_lower() -> None:
    """A 28-label model whose int8 export agrees 96.9% may be replaced by one at 96.5%, not 90%."""
    current = _model(community=0.50, original=0.52, agreement=0.969)
    assert decide(
        _model(community=0.6, original=0.52, agreement=0.965), current, GateConfig()
    ).promote
    low = decide(_model(community=0.6, original=0.52, agreement=0.90), current, GateConfig())
    assert not low.promote and low.parity_failed
    unknown = _model(community=0.50, original=0.52, agreement=None)
    assert not decide(
        _model(community=0.6, original=0.52, agreement=0.98), unknown, GateConfig()
    ).promote


def test_a_candidate_whose_distress_recall_falls_is_refused() -> None:
    current = {**_model(community=0.50, original=0.52, agreement=0.995), "distress_recall": 0.9}
    better = _model(community=0.60, original=0.52, agreement=0.995)
    assert decide({**better, "distress_recall": 0.9}, current, GateConfig()).promote
    fell = decide({**better, "distress_recall": 0.85}, current, GateConfig())
    assert not fell.promote and "distress recall" in fell.reasons[0]
    headless = decide({**better, "distress_recall": None}, current, GateConfig())
    assert not headless.promote


def test_a_retrained_head_with_more_near_ties_passes_parity_a_broken_export_does_not() -> None:
    current = _model(community=0.13, original=0.51, agreement=0.992)
    flatter = decide(_model(community=0.5, original=0.51, agreement=0.980), current, GateConfig())
    assert flatter.promote and not flatter.parity_failed
    broken = decide(_model(community=0.5, original=0.51, agreement=0.96), current, GateConfig())
    assert not broken.promote and broken.parity_failed
