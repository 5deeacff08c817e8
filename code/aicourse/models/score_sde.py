"""Score-based generative modelling with a VP SDE (Song et al., ICLR 2021, arXiv:2011.13456), in 2-D.

Read top to bottom: the noise schedule β(t), the closed-form marginal of the forward SDE,
a Gaussian mixture whose perturbed score is known exactly, a small score network,
denoising score matching, and the two samplers (reverse-time SDE and probability-flow ODE).
Time runs over [0, 1]; t = 0 is data, t = 1 is (almost) pure N(0, I) noise.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from aicourse.training import draws_in_chunks

BETA_MIN, BETA_MAX = 0.1, 20.0  # the VP SDE's schedule in the paper
T_EPS = 1e-3  # never train or sample at exactly t = 0: σ(t) → 0 there, so the score −ε/σ(t) blows up


# --- the forward SDE: dx = -½ β(t) x dt + √β(t) dw ----------------------------------------
def beta(t):
    """β(t), linear from BETA_MIN at t = 0 to BETA_MAX at t = 1."""
    return BETA_MIN + t * (BETA_MAX - BETA_MIN)


def int_beta(t):
    """∫₀ᵗ β(s) ds, in closed form because β is linear."""
    return BETA_MIN * t + 0.5 * (BETA_MAX - BETA_MIN) * t**2


def drift(x, t):
    """f(x, t) = -½ β(t) x: pulls every point towards the origin."""
    return -0.5 * beta(t) * x


def diffusion(t):
    """g(t) = √β(t): how much fresh noise enters per unit time."""
    return beta(t) ** 0.5


def mean_coef(t):
    """α(t) = exp(-½ ∫β): x(t) given x(0) has mean α(t) x(0) ..."""
    return torch.exp(-0.5 * int_beta(t)) if torch.is_tensor(t) else math.exp(-0.5 * int_beta(t))


def marginal_std(t):
    """... and standard deviation σ(t) = √(1 - α(t)²) in every coordinate."""
    a = mean_coef(t)
    return (1 - a**2) ** 0.5


def perturb(x0, t, noise=None):
    """Sample x(t) | x(0) directly: α(t) x(0) + σ(t) ε (no need to simulate the SDE)."""
    noise = torch.randn_like(x0) if noise is None else noise
    t = _column(t, x0)
    return mean_coef(t) * x0 + marginal_std(t) * noise


def simulate_forward(x0, n_steps=500, t_end=1.0, generator=None):
    """Euler–Maruyama on the forward SDE; returns the path, shape (n_steps + 1, N, 2)."""
    dt = t_end / n_steps
    x, path = x0.clone(), [x0.clone()]
    for i in range(n_steps):
        t = i * dt
        z = torch.randn(x.shape, generator=generator)
        x = x + drift(x, t) * dt + diffusion(t) * math.sqrt(dt) * z
        path.append(x.clone())
    return torch.stack(path)


# --- a Gaussian mixture: real 2-D data whose perturbed score is exact -------------------------
class GaussianMixture:
    """Equal-weight isotropic components N(μ_k, s² I).

    Perturbed by the VP SDE up to time t, each component stays Gaussian:
    x(t) = α x(0) + σ ε  ⇒  N(α μ_k, (α² s² + 1 - α²) I). So the exact score of p_t is a
    responsibility-weighted sum of the components' scores -(x - α μ_k) / v(t).
    """

    def __init__(self, means, std):
        self.means = torch.as_tensor(means, dtype=torch.float32)
        self.std = float(std)

    @classmethod
    def ring(cls, k=8, radius=2.0, std=0.15):
        angles = torch.arange(k) * 2 * math.pi / k
        return cls(torch.stack([radius * torch.cos(angles), radius * torch.sin(angles)], 1), std)

    def sample(self, n, generator=None):
        k = torch.randint(len(self.means), (n,), generator=generator)
        return self.means[k] + self.std * torch.randn(n, 2, generator=generator)

    def variance(self):
        """Per-coordinate variance of the data (mixture of means plus component spread), averaged over x and y."""
        return float(self.means.var(0, unbiased=False).mean()) + self.std**2

    def coverage(self, x, within=3.0):
        """How well samples x recover the mixture: a dict of three measurements.

        ``near``: the fraction of samples within ``within`` component standard deviations of some
        centre; ``ring``: the fraction whose distance from the origin is within that many of the
        centres' own (the ring, blobs or not); ``counts``: how many of the near samples each
        component received (an even split gives every component 1/K of them).
        """
        d = torch.cdist(x, self.means).min(1)
        near = d.values < within * self.std
        radius = self.means.norm(dim=1).mean()
        ring = (x.norm(dim=1) - radius).abs() < within * self.std
        counts = torch.bincount(d.indices[near], minlength=len(self.means))
        return {"near": near.float().mean().item(), "ring": ring.float().mean().item(), "counts": counts.tolist()}

    def score(self, x, t):
        """Exact ∇ₓ log p_t(x) of the perturbed mixture."""
        t = _column(t, x)
        a = mean_coef(t)  # (N, 1)
        v = a**2 * self.std**2 + 1 - a**2  # (N, 1) variance of every component at time t
        diff = x[:, None, :] - a[:, None, :] * self.means[None]  # (N, K, 2)
        logw = -(diff**2).sum(-1) / (2 * v)  # equal weights and equal v: constants cancel
        resp = torch.softmax(logw, dim=1)  # responsibilities
        return -(resp[..., None] * diff).sum(1) / v


# --- the score network ----------------------------------------------------------------------
class ScoreNet(nn.Module):
    """An MLP that sees (x, t) and predicts the noise ε; the score is -ε̂ / σ(t).

    Predicting ε keeps the output near unit size at every t, while the score itself
    grows like 1/σ(t) near t = 0; dividing by σ(t) afterwards is exact bookkeeping.
    """

    def __init__(self, hidden=128, n_freq=8):
        super().__init__()
        self.register_buffer("freq", torch.arange(1, n_freq + 1, dtype=torch.float32) * math.pi)
        self.net = nn.Sequential(
            nn.Linear(2 + 2 * n_freq, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, hidden), nn.SiLU(),
            nn.Linear(hidden, 2),
        )

    def forward(self, x, t):
        t = _column(t, x)
        features = torch.cat([x, torch.sin(t * self.freq), torch.cos(t * self.freq)], dim=1)
        return self.net(features)  # predicted ε

    def score(self, x, t):
        return -self(x, t) / marginal_std(_column(t, x))


def dsm_loss(model, x0, generator=None, t=None, noise=None):
    """Denoising score matching in its ε form: ‖ε̂(α x0 + σ ε, t) - ε‖², t uniform on [T_EPS, 1].

    ``t`` and ``noise`` are drawn here from ``generator`` (t first), unless given: ``train_score_net``
    draws them ahead of time, in this same order.
    """
    if t is None:
        t = T_EPS + (1 - T_EPS) * torch.rand(len(x0), 1, generator=generator)
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator)
    return ((model(perturb(x0, t, noise), t) - noise) ** 2).sum(1).mean()


def train_score_net(model, sample, steps=2000, batch=512, lr=2e-3, seed=0, on_step=None, device="cpu", chunk=250):
    """Adam on the DSM loss with fresh data every step; returns the loss per step.

    The random numbers (the data, then t, then ε, as ``dsm_loss`` would draw them) come from one CPU
    generator, drawn ahead ``chunk`` steps at a time (``training.draws_in_chunks``), and the losses
    stay on ``device`` until the chunk ends. ``on_step(step, loss)`` is called at the end of each chunk.
    """
    g = torch.Generator().manual_seed(seed)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)

    def draw():
        x0 = sample(batch, g)
        return x0, T_EPS + (1 - T_EPS) * torch.rand(batch, 1, generator=g), torch.randn(x0.shape, generator=g)

    losses = []
    for n, (x0, t, noise) in draws_in_chunks(steps, chunk, draw, device):
        history = torch.empty(n, device=device)
        for i in range(n):
            loss = dsm_loss(model, x0[i], t=t[i], noise=noise[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            history[i] = loss.detach()
        losses += history.tolist()
        if on_step:
            on_step(len(losses), losses[-1])
    return losses


def relative_score_error(score_fn, exact, x, t):
    """√(E‖s_θ - s‖² / E‖s‖²) over the points x at time t."""
    with torch.no_grad():
        learned, true = score_fn(x, t), exact(x, t)
    return float(((learned - true) ** 2).sum(1).mean().sqrt() / (true**2).sum(1).mean().sqrt())


# --- the two samplers -----------------------------------------------------------------------
@torch.no_grad()
def reverse_sde(score_fn, x1, n_steps=500, generator=None):
    """Euler–Maruyama on dx = [f - g² ∇log p_t] dt + g dw̄, run from t = 1 down to T_EPS."""
    return _integrate(score_fn, x1, n_steps, stochastic=True, generator=generator)


@torch.no_grad()
def probability_flow(score_fn, x1, n_steps=500):
    """Euler on the ODE dx = [f - ½ g² ∇log p_t] dt: no noise, the same marginals p_t."""
    return _integrate(score_fn, x1, n_steps, stochastic=False)


def _integrate(score_fn, x, n_steps, stochastic, generator=None):
    ts = torch.linspace(1.0, T_EPS, n_steps + 1)
    path = [x.clone()]
    for t, t_next in zip(ts[:-1], ts[1:]):
        dt = float(t - t_next)  # a positive step, taken backwards in time
        t = float(t)
        weight = 1.0 if stochastic else 0.5
        x = x - (drift(x, t) - weight * diffusion(t) ** 2 * score_fn(x, t)) * dt
        if stochastic:
            x = x + diffusion(t) * math.sqrt(dt) * torch.randn(x.shape, generator=generator)
        path.append(x.clone())
    return torch.stack(path)  # (n_steps + 1, N, 2), path[0] at t = 1, path[-1] at t = T_EPS


def _column(t, x):
    """t as a (N, 1) tensor matching x, whether it came as a float or a tensor."""
    if not torch.is_tensor(t):
        t = torch.tensor(float(t))
    t = t.to(x.dtype)
    return t.expand(len(x), 1) if t.dim() == 0 else t.reshape(len(x), 1)
