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


def _both_steps(scheduler, t, x, eps, seed, **kwargs):
    """The scheduler's step and ddpm.reverse_step from the same x_t, ε and noise z."""
    prev = int(scheduler.previous_timestep(t))
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))  # the z that step() draws below
    theirs = scheduler.step(eps, t, x, generator=torch.Generator().manual_seed(seed)).prev_sample
    ours = ddpm.reverse_step(x, eps, int(t), prev, scheduler.alphas_cumprod, z, **kwargs)
    return ours, theirs


def test_the_reverse_step_on_the_page_is_the_schedulers_step():
    """x_{t-1} = (1/√α_t)(x_t − β_t/√(1−ᾱ_t) ε) + σ_t z gives DDPMScheduler.step's numbers, for both σ_t."""
    from diffusers import DDPMScheduler

    g = torch.Generator().manual_seed(0)
    for variance_type, sigma in (("fixed_small", "small"), ("fixed_large", "large")):
        base = ddpm.make_scheduler(100)
        plain = DDPMScheduler.from_config(base.config, clip_sample=False, variance_type=variance_type)
        for t in (99, 50, 1, 0):  # t = 0 is the last step: no noise is added
            x, eps = torch.randn(4, 1, 8, 8, generator=g), torch.randn(4, 1, 8, 8, generator=g)
            ours, theirs = _both_steps(plain, torch.tensor(t), x, eps, seed=t, sigma=sigma)
            assert torch.allclose(ours, theirs, atol=1e-5), (variance_type, t, (ours - theirs).abs().max())


def test_the_course_scheduler_clips_x0_and_fewer_steps_use_the_same_formula():
    """make_scheduler keeps diffusers' clip_sample: reverse_step(clip=True) matches it, also with skipped steps."""
    scheduler = ddpm.make_scheduler(200)
    assert scheduler.config.clip_sample and scheduler.config.variance_type == "fixed_small"
    scheduler.set_timesteps(40)  # steps of 5: α_t becomes ᾱ_t / ᾱ_{t-5}
    g = torch.Generator().manual_seed(1)
    for t in scheduler.timesteps[[0, 10, 38, 39]]:
        x, eps = 3 * torch.randn(4, 1, 8, 8, generator=g), torch.randn(4, 1, 8, 8, generator=g)
        ours, theirs = _both_steps(scheduler, t, x, eps, seed=int(t), clip=True)
        assert torch.allclose(ours, theirs, atol=1e-5), (int(t), (ours - theirs).abs().max())
    # where x̂_0 stays inside [-1, 1] the clipped (posterior-mean) form and the page's ε form agree
    abar = scheduler.alphas_cumprod
    x0, eps = torch.rand(4, 1, 8, 8, generator=g) * 1.8 - 0.9, torch.randn(4, 1, 8, 8, generator=g)
    x_t = abar[120].sqrt() * x0 + (1 - abar[120]).sqrt() * eps
    z = torch.randn(x0.shape, generator=g)
    a = ddpm.reverse_step(x_t, eps, 120, 115, abar, z, clip=True)
    b = ddpm.reverse_step(x_t, eps, 120, 115, abar, z, clip=False)
    assert torch.allclose(a, b, atol=1e-5)
