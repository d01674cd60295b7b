"""Class weighting for single-label training: rarer classes weigh more, by 1/sqrt(share)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from train.config import TrainConfig
from train.finetune import class_weights


def test_sqrt_weights_favour_rare_classes_and_average_one() -> None:
    targets = np.array([0] * 64 + [1] * 16 + [2] * 4)  # shares 64:16:4
    weights = class_weights(targets, 4, "sqrt")  # class 3 never occurs
    assert weights is not None
    assert torch.isclose(weights.mean(), torch.tensor(1.0))
    assert torch.allclose(weights[1] / weights[0], torch.tensor(2.0))  # 4x rarer -> 2x weight
    assert torch.allclose(weights[2] / weights[1], torch.tensor(2.0))
    assert torch.isfinite(weights).all() and weights[3] > weights[2]  # unseen: finite, largest
    assert class_weights(targets, 4, "none") is None


def test_unknown_weighting_is_refused_before_training() -> None:
    with pytest.raises(ValueError, match="class_weighting"):
        TrainConfig(data="d", out="o", class_weighting="inverse")
