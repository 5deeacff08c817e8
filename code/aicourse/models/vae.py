"""A variational autoencoder (Kingma & Welling, arXiv:1312.6114) for 8×8 digits, with a 2-D latent space.

Read top to bottom: the encoder gives q(z|x) = N(μ, diag σ²); the reparameterization
z = μ + σ ⊙ ε keeps sampling differentiable; the decoder gives Bernoulli pixel probabilities
p(x|z); the loss is the negative ELBO, reconstruction error plus KL(q(z|x) ‖ N(0, I)).

A Bernoulli distribution is a distribution over 0 and 1 only. Scored against grey levels in
(0, 1) its "log-likelihood" is a cross-entropy that no normalised density matches, so the ELBO
would bound nothing. Lecture 13 therefore binarises the digits first (``binarize``: ink where the
grey level is at least one half); then log p(x|z) is the log-probability of a binary image, the
ELBO is a true lower bound on log p(x), and ``importance_log_likelihood`` can estimate log p(x)
itself. ``beta`` weights the KL term as in a β-VAE (Higgins et al. 2017).

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


def binarize(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Grey levels in [0, 1] → 0/1 images (1 = ink where the grey level is at least ``threshold``)."""
    return (x >= threshold).to(x.dtype)


def reparameterize(mu, logvar, generator=None):
    """z = μ + σ ⊙ ε with ε ~ N(0, I): the randomness sits in ε, so gradients flow to μ and σ."""
    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_to_standard_normal(mu, logvar):
    """KL(N(μ, diag σ²) ‖ N(0, I)) per example, in closed form: ½ Σ (μ² + σ² − log σ² − 1)."""
    return 0.5 * (mu**2 + logvar.exp() - logvar - 1).sum(1)


def elbo_terms(model, x, generator=None):
    """Per-example reconstruction log-likelihood E_q[log p(x|z)] (one sample of z) and KL term.

    With 0/1 pixels ``recon`` is the log-probability of the image under the Bernoulli decoder.
    """
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


def train_vae(model, x_train, x_val, epochs=60, batch_size=64, lr=1e-3, seed=0, on_epoch=None,
              beta=1.0) -> ELBOHistory:
    """Adam on −ELBO (on reconstruction − β·KL when ``beta`` ≠ 1); the pixels are the Bernoulli targets.

    Pass 0/1 pixels (``binarize``) for the ELBO to bound a log-probability; grey levels also train,
    but then the "ELBO" is a cross-entropy, not a bound. The history records the ELBO (β = 1)
    whatever ``beta`` is, so runs with different β can be compared on the same scale.
    """
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
            loss = (beta * kl - recon).mean()  # −ELBO when β = 1
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
def importance_weights(model: VAE, x: torch.Tensor, k: int = 500, seed: int = 0, chunk: int = 100) -> torch.Tensor:
    """log w_i = log p(x|z_i) + log p(z_i) − log q(z_i|x) for z_i ~ q(z|x): a k × batch tensor.

    Their mean over i estimates the ELBO; log (1/k) Σ_i w_i estimates log p(x) (see below).
    """
    g = torch.Generator().manual_seed(seed)
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    log_w = []
    for start in range(0, k, chunk):
        eps = torch.randn((min(chunk, k - start), *mu.shape), generator=g)
        z = mu + std * eps  # n × batch × z_dim
        logits = model.decoder(z)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none").sum(-1)
        log_pz = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps**2 + logvar + math.log(2 * math.pi)).sum(-1)
        log_w.append(log_px_z + log_pz - log_qz)
    return torch.cat(log_w)


@torch.no_grad()
def importance_log_likelihood(model: VAE, x: torch.Tensor, k: int = 500, seed: int = 0) -> torch.Tensor:
    """Per-example estimate of log p(x) by importance sampling with the encoder as proposal.

    log p(x) ≈ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x) (Burda et al., arXiv:1509.00519).
    Its expectation is itself a lower bound on log p(x), tighter than the ELBO (k = 1) and tighter
    still as k grows; for a 2-D latent space and k in the hundreds it is close to log p(x).
    """
    return torch.logsumexp(importance_weights(model, x, k, seed), 0) - math.log(k)


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
