"""Adapting a trained model cheaply: LoRA adapters and int8 quantization, written out plainly.

LoRA (Hu et al., 2021, arXiv:2106.09685) keeps a trained weight matrix ``W`` frozen and learns
a low-rank correction ``B @ A`` next to it, so only ``r * (in + out)`` numbers per layer are trained.
Quantization stores each weight as an 8-bit integer plus one scale factor (per tensor or per
output row), so the weights take about a quarter of the memory of 32-bit floats; the same
rounding with fewer levels (``bits=4``: the integers -7 to 7) shows how the error grows.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class LoRALinear(nn.Module):
    """``y = x W^T + b + (alpha / r) * x A^T B^T`` with ``W`` and ``b`` frozen and only ``A``, ``B`` trained."""

    def __init__(self, base: nn.Linear, r: int = 4, alpha: float = 8.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():  # the pre-trained layer is not changed by adaptation
            p.requires_grad_(False)
        self.r, self.alpha = r, alpha
        self.scale = alpha / r  # keeps the size of the update roughly independent of r
        # A starts small and random, B starts at zero: B @ A = 0, so the adapted model
        # begins exactly equal to the pre-trained one.
        self.A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features**0.5)
        self.B = nn.Parameter(torch.zeros(base.out_features, r))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * (x @ self.A.T) @ self.B.T

    def delta_weight(self) -> torch.Tensor:
        """The change LoRA makes to ``W``: a matrix of rank at most ``r``."""
        return self.scale * self.B @ self.A

    def merged(self) -> nn.Linear:
        """An ordinary Linear layer with the adapter folded in: no extra cost when the model runs."""
        layer = copy.deepcopy(self.base)
        with torch.no_grad():
            layer.weight += self.delta_weight()
        layer.weight.requires_grad_(True)
        layer.bias.requires_grad_(True)
        return layer


def add_lora(model: nn.Sequential, r: int = 4, alpha: float = 8.0) -> nn.Sequential:
    """A copy of ``model`` whose every Linear layer is wrapped in a :class:`LoRALinear`."""
    layers = [LoRALinear(copy.deepcopy(m), r, alpha) if isinstance(m, nn.Linear) else copy.deepcopy(m) for m in model]
    return nn.Sequential(*layers)


def remove_lora(model: nn.Sequential) -> nn.Sequential:
    """A copy of ``model`` with every adapter taken off: each :class:`LoRALinear` becomes its frozen base layer."""
    return nn.Sequential(*[copy.deepcopy(m.base if isinstance(m, LoRALinear) else m) for m in model])


# -- int8 quantization ---------------------------------------------------------

def quantize_symmetric(w: torch.Tensor, bits: int = 8, per_channel: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric quantization to ``bits`` bits: ``w ≈ scale * q`` with ``q`` an integer in [-L, L], ``L = 2**(bits-1) - 1``.

    ``L`` is 127 for 8 bits and 7 for 4 bits. The scale maps the largest absolute weight to ``L``,
    over the whole tensor or, with ``per_channel``, separately for each output row (a row of ``W``).
    The integers are kept in an int8 tensor whatever ``bits`` is (packing two 4-bit numbers into
    one byte is a storage detail left out here).
    """
    if not 2 <= bits <= 8:
        raise ValueError(f"bits must be between 2 and 8, not {bits}")
    levels = 2 ** (bits - 1) - 1
    if per_channel:
        max_abs = w.abs().amax(dim=1, keepdim=True)
    else:
        max_abs = w.abs().max().reshape(1, 1)
    scale = max_abs.clamp(min=1e-12) / levels  # avoid dividing by zero for an all-zero row
    q = torch.clamp(torch.round(w / scale), -levels, levels).to(torch.int8)
    return q, scale


def quantize_int8(w: torch.Tensor, per_channel: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 quantization: ``w ≈ scale * q`` with ``q`` an integer in [-127, 127].

    The scale maps the largest absolute weight to 127, over the whole tensor or,
    with ``per_channel``, separately for each output row (a row of ``W``).
    """
    return quantize_symmetric(w, 8, per_channel)


def dequantize_int8(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Back to floating point: each integer times its scale."""
    return q.to(torch.float32) * scale


def quantized_copy(model: nn.Module, per_channel: bool = False, bits: int = 8) -> nn.Module:
    """A copy of ``model`` whose Linear weights went through ``bits``-bit integers and back (biases stay fp32)."""
    out = copy.deepcopy(model)
    with torch.no_grad():
        for m in out.modules():
            if isinstance(m, nn.Linear):
                m.weight.copy_(dequantize_int8(*quantize_symmetric(m.weight, bits, per_channel)))
    return out


def weight_bytes(model: nn.Module, per_channel: bool | None = None) -> int:
    """Bytes to store the Linear weights: fp32 (``per_channel=None``) or int8 plus fp32 scales."""
    total = 0
    for m in model.modules():
        if isinstance(m, nn.Linear):
            n = m.weight.numel()
            if per_channel is None:
                total += 4 * n
            else:
                total += n + 4 * (m.out_features if per_channel else 1)
    return total


# -- a training loop that updates only the trainable parameters -----------------

def fit_trainable(model: nn.Module, data, epochs: int, lr: float, batch_size: int = 32, seed: int = 0,
                  on_epoch=None):
    """Adam on the parameters with ``requires_grad`` (frozen ones are left alone); validation accuracy per epoch.

    ``data`` is ``(x_train, y_train, x_val, y_val)``; returns a :class:`aicourse.training.History`.
    The loop is :func:`aicourse.training.fit_classifier`'s: LoRA needs Adam, since SGD with
    momentum made it diverge.
    """
    from aicourse.training import fit_classifier

    return fit_classifier(model, data, epochs, lr=lr, batch_size=batch_size, seed=seed, on_epoch=on_epoch,
                          optimizer="adam")
