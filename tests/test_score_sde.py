"""Unit tests of the VP SDE code behind lecture 12 (seconds on a CPU)."""

import math

import torch

from aicourse.models import score_sde as sde


def test_closed_form_marginal_matches_the_integral_of_beta():
    # α(t)² must equal exp(-∫β), computed here by a numerical integral of β.
    t = 0.37
    s = torch.linspace(0, t, 20001)
    integral = torch.trapezoid(sde.beta(s), s).item()
    assert math.isclose(sde.mean_coef(t) ** 2, math.exp(-integral), rel_tol=1e-6)
    assert math.isclose(sde.marginal_std(t) ** 2 + sde.mean_coef(t) ** 2, 1.0, rel_tol=1e-9)


def test_simulated_forward_variance_matches_closed_form():
    g = torch.Generator().manual_seed(0)
    data = sde.GaussianMixture.ring()
    x0 = data.sample(4000, g)
    path = sde.simulate_forward(x0, 200, generator=g)
    a2 = sde.mean_coef(0.5) ** 2
    assert abs(path[100].var(0).mean().item() - (a2 * data.variance() + 1 - a2)) < 0.08


def test_mixture_score_matches_autograd_of_its_log_density():
    data = sde.GaussianMixture.ring(k=4, std=0.3)
    t = 0.2
    x = torch.randn(50, 2, requires_grad=True)
    a = sde.mean_coef(t)
    v = a**2 * data.std**2 + 1 - a**2
    logp = torch.logsumexp(-((x[:, None] - a * data.means) ** 2).sum(-1) / (2 * v), dim=1).sum()
    (grad,) = torch.autograd.grad(logp, x)
    assert torch.allclose(data.score(x.detach(), t), grad, atol=1e-5)


def test_a_short_training_run_lowers_the_score_error():
    torch.manual_seed(0)
    data = sde.GaussianMixture.ring()
    model = sde.ScoreNet(hidden=64)
    g = torch.Generator().manual_seed(1)
    x = sde.perturb(data.sample(2000, g), 0.5)
    before = sde.relative_score_error(model.score, data.score, x, 0.5)
    losses = sde.train_score_net(model, data.sample, steps=300, batch=256)
    after = sde.relative_score_error(model.score, data.score, x, 0.5)
    assert sum(losses[-30:]) < sum(losses[:30])
    assert after < 0.5 * before


def test_probability_flow_is_deterministic_and_reverse_sde_is_not():
    score = sde.GaussianMixture.ring().score
    x1 = torch.randn(20, 2)
    a = sde.probability_flow(score, x1, 50)[-1]
    b = sde.probability_flow(score, x1, 50)[-1]
    c = sde.reverse_sde(score, x1, 50)[-1]
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_coverage_counts_blobs_and_the_ring():
    data = sde.GaussianMixture.ring()
    g = torch.Generator().manual_seed(0)
    c = data.coverage(data.sample(4000, g))  # the data itself: nearly all within 3 s, every blob about 1/8
    assert c["near"] > 0.97 and c["ring"] > 0.97
    assert sum(c["counts"]) == round(c["near"] * 4000) and min(c["counts"]) > 0.1 * 4000
    angles = torch.rand(2000, generator=g) * 2 * math.pi  # points spread evenly along the ring: on it, rarely in a blob
    ring = 2.0 * torch.stack([torch.cos(angles), torch.sin(angles)], 1)
    c = data.coverage(ring)
    assert c["ring"] == 1.0 and c["near"] < 0.65  # 8 arcs of about 0.45 rad each: about 57 %
