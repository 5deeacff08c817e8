"""A variational autoencoder (Kingma & Welling, arXiv:1312.6114) for 8×8 digits, with a 2-D latent space.

Read top to bottom: the encoder gives q(z|x) = N(μ, diag σ²); the reparameterization
z = μ + σ ⊙ ε keeps sampling differentiable; the decoder gives Bernoulli pixel probabilities
p(x|z); the loss is the negative ELBO, reconstruction error plus KL(q(z|x) ‖ N(0, I)).

Lecture 07 uses the same model to generate new digits (``sample``) and a looping clip
(``latent_walk``); lecture 13 takes it apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self, x_dim=64, hidden=256, z_dim=2):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, z_dim)
        self.to_logvar = nn.Linear(hidden, z_dim)  # log σ²: any real number is a valid variance
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, x_dim))  # logits of the pixel probabilities

    def encode(self, x):
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, x, generator=None):
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar, generator)
        return self.decoder(z), mu, logvar


def reparameterize(mu, logvar, generator=None):
    """z = μ + σ ⊙ ε with ε ~ N(0, I): the randomness sits in ε, so gradients flow to μ and σ."""
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mu, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) per example, in closed form: ½ Σ (μ² + σ² − log σ² − 1)."""
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)


def elbo_terms(model, x, generator=None):
    """Per-example reconstruction log-likelihood E_q[log p(x|z)] (one sample of z) and KL term."""
    logits, mu, logvar = model(x, generator)
    recon = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    return recon, kl_to_standard_normal(mu, logvar)


@dataclass
class ELBOHistory:
    """Per-epoch averages (in nats per digit) on the training and validation sets."""

    recon: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    val_recon: list[float] = field(default_factory=list)
    val_kl: list[float] = field(default_factory=list)

    @property
    def elbo(self):
        return [r - k for r, k in zip(self.recon, self.kl)]

    @property
    def val_elbo(self):
        return [r - k for r, k in zip(self.val_recon, self.val_kl)]


def train_vae(model, x_train, x_val, epochs=60, batch_size=64, lr=1e-3, seed=0, on_epoch=None) -> ELBOHistory:
    """Adam on −ELBO; the pixels (0..1 grey levels) serve as Bernoulli targets."""
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist = ELBOHistory()
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_train), generator=g)
        sum_r = sum_k = 0.0
        for start in range(0, len(order), batch_size):
            x = x_train[order[start : start + batch_size]]
            recon, kl = elbo_terms(model, x, g)
            loss = (kl - recon).mean()  # −ELBO
            opt.zero_grad()
            loss.backward()
            opt.step()
            sum_r += recon.sum().item()
            sum_k += kl.sum().item()
        hist.recon.append(sum_r / len(x_train))
        hist.kl.append(sum_k / len(x_train))
        model.eval()
        with torch.no_grad():
            recon, kl = elbo_terms(model, x_val, g)
        hist.val_recon.append(recon.mean().item())
        hist.val_kl.append(kl.mean().item())
        if on_epoch:
            on_epoch(epoch, hist)
    return hist


@torch.no_grad()
def sample(model: VAE, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` new images (n × 64) decoded from random points of the standard normal prior."""
    z = torch.randn(n, model.to_mu.out_features, generator=torch.Generator().manual_seed(seed))
    return model.decode(z)


@torch.no_grad()
def latent_walk(model: VAE, frames: int, radius: float = 1.5) -> torch.Tensor:
    """Images decoded along a closed circle in the first two latent dimensions: a looping clip."""
    angles = torch.arange(frames) * 2 * math.pi / frames
    z = torch.zeros(frames, model.to_mu.out_features)
    z[:, 0], z[:, 1] = radius * torch.cos(angles), radius * torch.sin(angles)
    return model.decode(z)
