"""A small fully connected autoencoder for 8×8 digits, readable top to bottom.

The encoder squeezes the 64 pixel values through narrower layers down to a few
latent numbers; the decoder mirrors it and tries to rebuild the 64 pixels.
Training compares the rebuilt image with the input itself (no labels anywhere),
so whatever the latent numbers end up describing was found in the images alone.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


class Autoencoder(nn.Module):
    """``sizes`` runs from the input to the bottleneck, e.g. ``[64, 32, 2]``; the decoder mirrors it."""

    def __init__(self, sizes: list[int] = (64, 32, 2)):
        super().__init__()
        sizes = list(sizes)
        self.encoder = _stack(sizes, last_activation=None)  # the latent code is left unbounded
        self.decoder = _stack(sizes[::-1], last_activation=nn.Sigmoid())  # pixels live in [0, 1]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def _stack(sizes: list[int], last_activation: nn.Module | None) -> nn.Sequential:
    """Linear layers with ReLU between them; ``last_activation`` after the final one (if any)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if last_activation is not None:
        layers.append(last_activation)
    return nn.Sequential(*layers)


def layer_sizes(model: Autoencoder) -> list[int]:
    """The width of every layer from input to output, read from the model's Linear layers."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return [linears[0].in_features] + [m.out_features for m in linears]


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: torch.Tensor) -> float:
    """Mean squared error between the images and their reconstructions (per pixel)."""
    model.eval()
    return nn.functional.mse_loss(model(x), x).item()


def fit_autoencoder(
    model: Autoencoder,
    x_train: torch.Tensor,
    x_val: torch.Tensor,
    epochs: int,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = 0,
    on_epoch: Callable[[int, list[float], list[float]], None] | None = None,
) -> tuple[list[float], list[float]]:
    """Train to rebuild the input: the target of every example is the example itself.

    Returns the mean training and validation reconstruction errors per epoch.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    train_loss, val_loss = [], []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = x_train[order[start : start + batch_size]]
            loss = nn.functional.mse_loss(model(batch), batch)  # the input is its own target
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        train_loss.append(total / len(x_train))
        val_loss.append(reconstruction_error(model, x_val))
        if on_epoch:
            on_epoch(epoch, train_loss, val_loss)
    return train_loss, val_loss


def pca_reconstruction_error(x_train: torch.Tensor, x_val: torch.Tensor, k: int) -> float:
    """Baseline: keep the top ``k`` principal directions of the training images (a linear
    encoder and decoder with the same latent size) and measure the error on ``x_val``."""
    mean = x_train.mean(dim=0)
    _, _, vt = torch.linalg.svd(x_train - mean, full_matrices=False)
    basis = vt[:k]  # k × 64
    rebuilt = (x_val - mean) @ basis.T @ basis + mean
    return nn.functional.mse_loss(rebuilt, x_val).item()


def mean_image_error(x_train: torch.Tensor, x_val: torch.Tensor) -> float:
    """Baseline: answer every image with the average training image."""
    return nn.functional.mse_loss(x_train.mean(dim=0).expand_as(x_val), x_val).item()
