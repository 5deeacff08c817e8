"""Unit tests of the VAE behind lecture 13 (seconds on a CPU)."""

import torch

from aicourse.data import digits
from aicourse.models.vae import VAE, elbo_terms, kl_to_standard_normal, reparameterize, train_vae


def test_kl_closed_form_matches_a_monte_carlo_estimate():
    mu, logvar = torch.tensor([[0.7, -1.2]]), torch.tensor([[-0.5, 0.4]])
    z = reparameterize(mu.expand(200000, 2), logvar.expand(200000, 2), torch.Generator().manual_seed(0))
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(0.0, 1.0)
    mc = (q.log_prob(z) - p.log_prob(z)).sum(1).mean()
    assert abs(kl_to_standard_normal(mu, logvar).item() - mc.item()) < 0.02


def test_reparameterization_passes_gradients_to_mu_and_sigma():
    mu = torch.zeros(5, 2, requires_grad=True)
    logvar = torch.zeros(5, 2, requires_grad=True)
    reparameterize(mu, logvar).pow(2).sum().backward()
    assert mu.grad.abs().sum() > 0 and logvar.grad.abs().sum() > 0


def test_elbo_terms_have_the_right_shape_and_training_raises_the_elbo():
    x_train, _, x_val, _ = digits(seed=0)
    torch.manual_seed(0)
    model = VAE(hidden=64)
    recon, kl = elbo_terms(model, x_val[:50])
    assert recon.shape == kl.shape == (50,) and (kl >= 0).all()
    hist = train_vae(model, x_train[:500], x_val[:100], epochs=4)
    assert hist.elbo[-1] > hist.elbo[0]
    assert model.decode(torch.zeros(3, 2)).shape == (3, 64)
