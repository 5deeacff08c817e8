"""A tiny variational autoencoder for 8×8 digits: small enough to train in seconds on a CPU.

The encoder maps an image to a mean and a log-variance in a 2-dimensional latent space; the
decoder maps a latent point back to 64 pixel brightnesses. Because training pulls the codes
towards a standard normal distribution, decoding random normal points gives new images, and
decoding points along a path gives a smooth "clip" (Kingma & Welling, 2013, arXiv:1312.6114).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class TinyVAE(nn.Module):
    def __init__(self, pixels: int = 64, hidden: int = 128, latent: int = 2):
        super().__init__()
        self.latent = latent
        self.encoder = nn.Sequential(nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mean = nn.Linear(hidden, latent)
        self.to_logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, pixels))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.encoder(x)
        return self.to_mean(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel brightnesses in [0, 1] for latent points ``z``."""
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor):
        mean, logvar = self.encode(x)
        # Reparameterization: sample z = mean + sigma * noise, so gradients flow through mean and sigma.
        z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
        return self.decoder(z), mean, logvar  # logits; the loss applies the sigmoid itself


def vae_loss(logits: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Reconstruction error (binary cross-entropy per image) plus the KL divergence to N(0, I)."""
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
    kl = -0.5 * torch.sum(1 + logvar - mean**2 - logvar.exp()) / len(x)
    return recon + kl


def train_vae(model: TinyVAE, x: torch.Tensor, epochs: int, lr: float = 2e-3, batch_size: int = 64, seed: int = 0,
              on_epoch=None) -> list[float]:
    """Adam on mini-batches; returns the mean loss of every epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the sampling noise inside forward()
    losses = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = x[order[start : start + batch_size]]
            logits, mean, logvar = model(batch)
            loss = vae_loss(logits, batch, mean, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(x))
        if on_epoch:
            on_epoch(epoch, losses[-1])
    return losses


@torch.no_grad()
def sample(model: TinyVAE, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` new images (n × 64) decoded from random points of the standard normal latent distribution."""
    z = torch.randn(n, model.latent, generator=torch.Generator().manual_seed(seed))
    return model.decode(z)


@torch.no_grad()
def latent_walk(model: TinyVAE, frames: int, radius: float = 1.5) -> torch.Tensor:
    """Images decoded along a closed circle in the (first two) latent dimensions: a looping clip."""
    angles = torch.arange(frames) * 2 * math.pi / frames
    z = torch.zeros(frames, model.latent)
    z[:, 0], z[:, 1] = radius * torch.cos(angles), radius * torch.sin(angles)
    return model.decode(z)


def memory_bytes(parameters: int, bytes_per_parameter: float) -> float:
    """Bytes just to hold the weights: parameters × bytes per parameter (activations come on top)."""
    return parameters * bytes_per_parameter
