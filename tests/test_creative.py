"""Unit tests for what lecture 07 does with lecture 13's VAE: new samples and a looping latent walk."""

import torch

from aicourse.models.vae import VAE, latent_walk, sample
from aicourse.training import memory_bytes


def test_samples_are_images_in_pixel_range():
    torch.manual_seed(0)
    model = VAE(hidden=16, z_dim=2)
    images = sample(model, 7)
    assert images.shape == (7, 64) and images.min() >= 0 and images.max() <= 1
    assert not torch.allclose(images[0], images[1])  # different latent points, different images


def test_latent_walk_loops_and_memory_formula():
    model = VAE(hidden=16)
    frames = latent_walk(model, 12)
    assert frames.shape == (12, 64)
    # points on one circle: every other frame of a 24-frame walk matches the 12-frame walk
    assert torch.allclose(latent_walk(model, 24)[::2], frames, atol=1e-6)
    assert not torch.allclose(frames[0], frames[6])
    assert memory_bytes(1_000, 2) == 2_000


def test_neighbour_difference_is_smaller_for_a_blurred_image():
    from aicourse.experiments.creative_generation import _neighbour_difference

    sharp = torch.zeros(1, 8, 8)
    sharp[0, :, ::2] = 1.0  # stripes: every neighbour pair in a row differs by 1
    blurred = 0.5 * sharp + 0.25  # the same stripes at half the contrast
    assert _neighbour_difference(sharp.reshape(1, 64)) == 0.5  # rows differ by 1, columns by 0
    assert _neighbour_difference(blurred.reshape(1, 64)) < _neighbour_difference(sharp.reshape(1, 64))
