"""Unit tests of the DDPM parts behind lecture 14 (seconds on a CPU)."""

import torch

from aicourse.models import ddpm


def test_add_noise_matches_the_closed_form():
    scheduler = ddpm.make_scheduler(100)
    x0, noise = torch.randn(3, 1, 8, 8), torch.randn(3, 1, 8, 8)
    t = torch.tensor([0, 40, 99])
    betas = scheduler.betas
    abar = torch.cumprod(1 - betas, 0)[t].view(-1, 1, 1, 1)  # computed here from the betas, not read back
    expected = abar.sqrt() * x0 + (1 - abar).sqrt() * noise
    assert torch.allclose(scheduler.add_noise(x0, noise, t), expected, atol=1e-5)
    assert scheduler.alphas_cumprod[-1] < 1e-3  # the last step is almost pure noise


def test_images_are_in_range_and_a_few_steps_lower_the_loss():
    images, _ = ddpm.digit_images(8)
    assert images.shape[1:] == (1, 8, 8) and images.min() >= -1 and images.max() <= 1
    torch.manual_seed(0)
    model, scheduler = ddpm.small_unet(8), ddpm.make_scheduler(50)
    losses, snaps = ddpm.train(model, scheduler, images, steps=30, batch=32, checkpoints={10})
    assert sum(losses[-5:]) < sum(losses[:5]) and 10 in snaps
    out = ddpm.sample(model, scheduler, 2, 8, steps=5)
    assert out.shape == (2, 1, 8, 8)
