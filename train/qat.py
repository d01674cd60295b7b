"""Quantisation-aware fine-tuning: train against the rounding that the int8 model will do.

``package`` quantises dynamically: every MatMul input gets one uint8 scale and zero point per
tensor, computed from its min/max at run time (one message at a time when chat arrives), and the
weights get one int8 scale per output column. :func:`attach_fake_quant` makes the encoder's
linear layers compute with exactly that rounding in PyTorch (a straight-through estimator passes
the gradient), so a short fine-tune from a trained checkpoint (``--quant-aware``, typically one
epoch at a small learning rate) moves the weights to where rounding changes the answers less.
The checkpoint it saves is an ordinary fp32 model: nothing of this survives into the export.

The range is taken per sequence over all of a padded batch's positions; ORT sees one unpadded
message. Close enough: padding is at most a few tokens in length-bucketed batches.
"""

from __future__ import annotations

import types

import torch
from torch import nn


def fake_quant_activation(x: torch.Tensor) -> torch.Tensor:
    """uint8 asymmetric quantise-dequantise with one range per sequence (first dimension)."""
    flat = x.reshape(x.shape[0], -1)
    low = torch.clamp(flat.min(dim=1).values, max=0.0)
    high = torch.clamp(flat.max(dim=1).values, min=0.0)
    scale = torch.clamp((high - low) / 255.0, min=1e-8)
    zero = torch.round(-low / scale)
    shape = (-1,) + (1,) * (x.dim() - 1)
    scale, zero = scale.reshape(shape), zero.reshape(shape)
    q = torch.clamp(torch.round(x / scale) + zero, 0, 255)
    rounded = (q - zero) * scale
    return x + (rounded - x).detach()  # straight-through: forward rounds, backward is identity


def fake_quant_weight(weight: torch.Tensor) -> torch.Tensor:
    """int8 symmetric quantise-dequantise, one scale per output unit (ORT's per-channel)."""
    scale = torch.clamp(weight.detach().abs().amax(dim=1, keepdim=True) / 127.0, min=1e-8)
    rounded = torch.clamp(torch.round(weight / scale), -127, 127) * scale
    return weight + (rounded - weight).detach()


def _quantised_forward(self: nn.Linear, x: torch.Tensor) -> torch.Tensor:
    return nn.functional.linear(fake_quant_activation(x), fake_quant_weight(self.weight), self.bias)


def attach_fake_quant(model: nn.Module) -> int:
    """Route every linear layer (encoder, pooler, head: ``package`` quantises them all) through
    int8 rounding; returns how many. Forward methods are swapped on the instances, so parameter
    names and ``save_pretrained`` are unchanged."""
    count = 0
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.forward = types.MethodType(_quantised_forward, module)  # type: ignore[method-assign]
            count += 1
    return count
