"""Unit tests for aicourse.tiny_vae (lecture 07)."""

import math

import torch

from aicourse.tiny_vae import TinyVAE, latent_walk, memory_bytes, sample, train_vae, vae_loss


def test_shapes_and_pixel_range():
    torch.manual_seed(0)
    model = TinyVAE(hidden=16, latent=2)
    logits, mean, logvar = model(torch.rand(5, 64))
    assert logits.shape == (5, 64) and mean.shape == (5, 2) and logvar.shape == (5, 2)
    images = sample(model, 7)
    assert images.shape == (7, 64) and images.min() >= 0 and images.max() <= 1


def test_kl_term_is_zero_for_standard_normal_codes():
    x = torch.full((3, 64), 0.5)
    logits = torch.zeros(3, 64)  # sigmoid(0) = 0.5
    zero = torch.zeros(3, 2)
    # reconstruction only: 64 pixels × log 2 per image
    assert math.isclose(vae_loss(logits, x, zero, zero).item(), 64 * math.log(2), rel_tol=1e-5)
    assert vae_loss(logits, x, zero + 1.0, zero).item() > vae_loss(logits, x, zero, zero).item()


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    x = (torch.rand(200, 64) > 0.5).float() * torch.rand(1, 64)
    losses = train_vae(TinyVAE(hidden=32), x, epochs=8)
    assert losses[-1] < losses[0]


def test_latent_walk_loops_and_memory_formula():
    model = TinyVAE(hidden=16)
    frames = latent_walk(model, 12)
    assert frames.shape == (12, 64)
    # points on one circle: every other frame of a 24-frame walk matches the 12-frame walk
    assert torch.allclose(latent_walk(model, 24)[::2], frames, atol=1e-6)
    assert not torch.allclose(frames[0], frames[6])
    assert memory_bytes(1_000, 2) == 2_000
