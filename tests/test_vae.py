"""Unit tests of the VAE behind lecture 13 (seconds on a CPU)."""

import torch

from aicourse.data import digits
from aicourse.models.vae import (VAE, binarize, elbo_terms, importance_log_likelihood, importance_weights,
                                 kl_to_standard_normal, latent_walk, reparameterize, sample, train_vae)


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


def test_binarize_gives_zeros_and_ones_at_the_threshold():
    x = torch.tensor([[0.0, 0.49, 0.5, 1.0]])
    assert binarize(x).tolist() == [[0.0, 0.0, 1.0, 1.0]]


def test_the_bernoulli_likelihood_sums_to_one_over_binary_images():
    """On 0/1 pixels log p(x|z) is a log-probability: summed over all 2^4 images of a 4-pixel decoder, 1."""
    torch.manual_seed(0)
    model = VAE(x_dim=4, hidden=8)
    z = torch.randn(1, 2)
    images = torch.tensor([[(i >> j) & 1 for j in range(4)] for i in range(16)], dtype=torch.float32)
    logits = model.decoder(z).expand(16, 4)
    log_p = -torch.nn.functional.binary_cross_entropy_with_logits(logits, images, reduction="none").sum(1)
    assert abs(log_p.exp().sum().item() - 1) < 1e-5


def test_importance_sampling_lies_above_the_elbo_and_beta_shrinks_the_kl():
    x_train, _, x_val, _ = digits(seed=0)
    x_train, x_val = binarize(x_train[:400]), binarize(x_val[:60])
    runs = {}
    for beta in (1.0, 4.0):
        torch.manual_seed(0)
        model = VAE(hidden=64)
        runs[beta] = train_vae(model, x_train, x_val, epochs=5, beta=beta)
        model.eval()
        if beta == 1.0:
            log_w = importance_weights(model, x_val, k=200, seed=0)
            elbo, log_p = log_w.mean(0), importance_log_likelihood(model, x_val, k=200, seed=0)
            assert log_w.shape == (200, 60)
            assert (log_p >= elbo - 1e-4).all()  # Jensen: log of a mean ≥ mean of the logs, example by example
            assert (log_p <= 0).all()  # the log-probability of a binary image
    assert runs[4.0].kl[-1] < runs[1.0].kl[-1]


def test_lecture_07_interface_still_works():
    torch.manual_seed(0)
    model = VAE(hidden=32, z_dim=2)
    x_train, _, x_val, _ = digits(seed=0)
    hist = train_vae(model, x_train[:200], x_val[:50], epochs=2, on_epoch=lambda e, h: None)
    assert len(hist.elbo) == 2
    assert sample(model, 5, seed=1).shape == (5, 64)
    assert latent_walk(model, 8, radius=1.5).shape == (8, 64)
