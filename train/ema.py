"""Exponential moving average of a model's weights (Polyak averaging), for model selection.

Fine-tuning on small data ends in a noisy spot: the last steps of SGD jump around a good region
of weight space. The running average of the weights over the last few hundred steps sits nearer
its centre and often generalises a little better, at no cost at serving time (same architecture,
same size). ``fine_tune`` scores the averaged weights on validation next to the raw ones at every
epoch and keeps whichever is better, so averaging is adopted only where validation says it helps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightEMA:
    """A shadow copy of ``model``'s floating-point weights, updated after every optimiser step.

    The decay warms up as ``min(decay, (1 + t) / (10 + t))`` so the average is not dominated by the
    pretrained weights and the random head it started from.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), not {decay}")
        self.decay = decay
        self.steps = 0
        self.shadow = {
            name: value.detach().clone()
            for name, value in model.state_dict().items()
            if value.dtype.is_floating_point
        }

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        state = model.state_dict()
        for name, average in self.shadow.items():
            average.lerp_(state[name].detach(), 1.0 - decay)

    @contextmanager
    def applied(self, model: nn.Module) -> Iterator[nn.Module]:
        """``model`` with the averaged weights swapped in; the raw weights come back afterwards."""
        state = model.state_dict()
        backup = {name: state[name].detach().clone() for name in self.shadow}
        model.load_state_dict(self.shadow, strict=False)
        try:
            yield model
        finally:
            model.load_state_dict(backup, strict=False)
