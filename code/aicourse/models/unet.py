"""A small U-Net, readable in one sitting (Ronneberger, Fischer & Brox 2015, arXiv:1505.04597).

The contracting path (encoder) halves the image and doubles the channels at every
level; the expanding path (decoder) does the reverse; at each level the encoder's
feature map is copied across (the skip connection) and concatenated with the
decoder's, so fine detail lost by pooling comes back. Unlike the paper, the
convolutions are padded, so the output has the input's size and nothing is cropped.
"""

from __future__ import annotations

import torch
from torch import nn


class DoubleConv(nn.Sequential):
    """Two 3×3 convolutions, each followed by ReLU: the unit repeated at every level."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.ReLU(),
        )


class UNet(nn.Module):
    """``channels=(16, 32, 64)`` gives two poolings: 16×16 → 8×8 → 4×4 and back."""

    def __init__(self, in_channels: int = 1, out_channels: int = 1, channels: tuple[int, ...] = (16, 32, 64)):
        super().__init__()
        # Encoder: one DoubleConv per level; a 2×2 max-pool between levels.
        self.down = nn.ModuleList()
        c_prev = in_channels
        for c in channels:
            self.down.append(DoubleConv(c_prev, c))
            c_prev = c
        self.pool = nn.MaxPool2d(2)
        # Decoder: a 2×2 up-convolution halves the channels and doubles the size;
        # the skip connection then doubles the channels again by concatenation.
        self.up = nn.ModuleList()
        self.up_conv = nn.ModuleList()
        for c in reversed(channels[:-1]):
            self.up.append(nn.ConvTranspose2d(c_prev, c, 2, stride=2))
            self.up_conv.append(DoubleConv(2 * c, c))
            c_prev = c
        self.head = nn.Conv2d(c_prev, out_channels, 1)  # 1×1 convolution to the output channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:   # the bottom level is not pooled nor copied
                skips.append(x)
                x = self.pool(x)
        for up, block in zip(self.up, self.up_conv):
            x = up(x)
            x = block(torch.cat([skips.pop(), x], dim=1))  # copy the encoder's map across
        return self.head(x)


def trace_shapes(model: UNet, x: torch.Tensor) -> list[tuple[str, str, tuple[int, ...]]]:
    """Run ``x`` through ``model`` and record every layer's output shape with forward hooks.

    Returns ``[(kind, name, (channels, height, width)), ...]`` in the order the layers ran, where
    kind is "input", "conv", "pool", "up" or "head". (The pool is one module used twice, so it
    appears twice.)
    """
    records = [("input", "input", tuple(x.shape[1:]))]
    kinds = {nn.MaxPool2d: "pool", nn.ConvTranspose2d: "up", nn.Conv2d: "conv"}
    hooks = []
    for name, module in model.named_modules():
        kind = "head" if name == "head" else kinds.get(type(module))
        if kind:
            hooks.append(module.register_forward_hook(
                lambda m, inp, out, name=name, kind=kind: records.append((kind, name, tuple(out.shape[1:])))))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return records


def pad_digits(x: torch.Tensor) -> torch.Tensor:
    """Flat 8×8 digits (N, 64) → images (N, 1, 16, 16): enlarged so that after two poolings the bottom map is 4×4, not 2×2."""
    img = x.view(-1, 1, 8, 8)
    return nn.functional.interpolate(img, scale_factor=2, mode="nearest")


def train_denoiser(model: UNet, images: torch.Tensor, steps: int = 300, noise: float = 0.5, batch_size: int = 64,
                   lr: float = 2e-3, seed: int = 0, on_step=None) -> list[float]:
    """Teach ``model`` to recover clean images from noisy ones (mean squared error); returns the losses."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for step in range(steps):
        clean = images[torch.randint(len(images), (batch_size,), generator=gen)]
        noisy = clean + noise * torch.randn(clean.shape, generator=gen).to(clean.device)
        loss = nn.functional.mse_loss(model(noisy), clean)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if on_step:
            on_step(step + 1, steps, loss.item())
    model.eval()
    return losses
