"""DDPM (Ho et al., 2020, arXiv:2006.11239) built from diffusers' parts: UNet2DModel and DDPMScheduler.

Read top to bottom: real digits as images in [-1, 1]; a small U-Net that predicts noise; the
scheduler's forward noising q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I); the ε-prediction MSE loss;
the sampling loop that starts from pure noise and asks the scheduler for one step at a time; and
`reverse_step`, that same step written out as the formula of the lecture page (tests/test_ddpm.py
checks that it gives the scheduler's numbers).
"""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler, UNet2DModel
from torch.nn import functional as F

from aicourse.data import digits
from aicourse.training import draws_in_chunks


def digit_images(size=8, seed=0, split="train"):
    """scikit-learn's digits as (N, 1, size, size) tensors in [-1, 1] (upsampled when size > 8).

    ``split="val"`` gives the held-out digits instead of the training ones.
    """
    x_train, y_train, x_val, y_val = digits(seed=seed)
    x, y = (x_train, y_train) if split == "train" else (x_val, y_val)
    images = x.reshape(-1, 1, 8, 8)
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return images * 2 - 1, y  # the model works with zero-centred pixels


def small_unet(size=8, channels=(16, 32), layers_per_block=1):
    """A small U-Net: ResNet blocks and skip connections, self-attention only in the middle block (diffusers' default)."""
    return UNet2DModel(
        sample_size=size, in_channels=1, out_channels=1,
        block_out_channels=channels, layers_per_block=layers_per_block,
        down_block_types=("DownBlock2D",) * len(channels), up_block_types=("UpBlock2D",) * len(channels),
        norm_num_groups=8,
    )


def make_scheduler(num_train_timesteps=1000):
    """The DDPM noise schedule: β linear from 1e-4 to 0.02 over 1,000 steps (Ho et al.).

    With fewer steps each β is scaled up by 1000 / T, so that the last step is still almost pure noise.
    """
    scale = 1000 / num_train_timesteps
    return DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule="linear",
                         beta_start=1e-4 * scale, beta_end=0.02 * scale)


def ddpm_loss(model, scheduler, x0, generator=None, noise=None, t=None):
    """Pick a random step t per image, noise the image to x_t, and score the predicted noise by MSE.

    ``noise`` and ``t`` are drawn here (noise first), unless given: ``train`` draws them ahead of time.
    """
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator).to(x0.device)  # CPU generator: same numbers on any device
    if t is None:
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(x0),), generator=generator).to(x0.device)
    x_t = scheduler.add_noise(x0, noise, t)  # √ᾱ_t x0 + √(1 − ᾱ_t) ε in one line
    return F.mse_loss(model(x_t, t).sample, noise)


@torch.no_grad()
def sample(model, scheduler, n, size, steps=None, seed=0, device="cpu"):
    """Start from N(0, I) and take the scheduler's reverse steps; `steps` < training steps skips some."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, size, size, generator=g).to(device)
    scheduler.set_timesteps(steps or scheduler.config.num_train_timesteps)
    for t in scheduler.timesteps:
        eps = model(x, t).sample  # predicted noise at this step
        x = scheduler.step(eps, t, x, generator=g).prev_sample  # one step from x_t to x_{t-1}
    return x.clamp(-1, 1).cpu()


def reverse_step(x_t, eps, t, t_prev, alphas_cumprod, z, sigma="small", clip=False):
    """One step of the reverse process, x_t -> x_{t'}, written out (Ho et al., Eqs. 6, 7 and 11).

    x_{t'} = (1/√α_t) (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t)) + σ_t z, with α_t = ᾱ_t / ᾱ_{t'} and
    β_t = 1 − α_t (for neighbouring steps, t' = t − 1, these are the schedule's own α_t and β_t).
    σ_t² is β̃_t = (1 − ᾱ_{t'}) / (1 − ᾱ_t) · β_t (``sigma="small"``) or β_t (``"large"``); the last step
    (t' < 0, where ᾱ = 1) adds no noise. ``clip=True`` does what DDPMScheduler does by default
    (clip_sample): clip the estimate x̂_0 to [-1, 1] and take the posterior mean μ̃_t(x_t, x̂_0).
    Without clipping the two forms are the same number.
    """
    abar_t = alphas_cumprod[t]
    abar_prev = alphas_cumprod[t_prev] if t_prev >= 0 else torch.ones_like(abar_t)
    alpha_t = abar_t / abar_prev
    beta_t = 1 - alpha_t
    if clip:
        x0_hat = ((x_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()).clamp(-1, 1)  # estimate of x_0 from ε_θ
        mean = (abar_prev.sqrt() * beta_t / (1 - abar_t)) * x0_hat + (alpha_t.sqrt() * (1 - abar_prev) / (1 - abar_t)) * x_t
    else:
        mean = (x_t - beta_t / (1 - abar_t).sqrt() * eps) / alpha_t.sqrt()
    if t_prev < 0:
        return mean
    variance = (1 - abar_prev) / (1 - abar_t) * beta_t if sigma == "small" else beta_t
    return mean + variance.sqrt() * z


def train(model, scheduler, images, steps, batch=128, lr=2e-3, seed=0, device="cpu", on_step=None, checkpoints=(),
          chunk=100):
    """AdamW on the ε-prediction loss; calls on_step(step, loss) and collects model snapshots at checkpoints.

    The random numbers (which images, then ε, then t, as ``ddpm_loss`` would draw them) come from
    one CPU generator, drawn ahead ``chunk`` steps at a time (``training.draws_in_chunks``), and the
    losses stay on the device until the chunk ends. ``on_step`` is called at the end of each chunk.
    """
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    images = images.to(device)
    n_t = scheduler.config.num_train_timesteps

    def draw():
        return (torch.randint(0, len(images), (batch,), generator=g),
                torch.randn((batch, *images.shape[1:]), generator=g),
                torch.randint(0, n_t, (batch,), generator=g))

    losses, snapshots = [], {}
    for n, (idx, noise, ts) in draws_in_chunks(steps, chunk, draw, device):
        history = torch.empty(n, device=device)
        for i in range(n):
            loss = ddpm_loss(model, scheduler, images[idx[i]], noise=noise[i], t=ts[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
            history[i] = loss.detach()
            if len(losses) + i + 1 in checkpoints:
                snapshots[len(losses) + i + 1] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        losses += history.tolist()
        if on_step:
            on_step(len(losses), losses[-1])
    return losses, snapshots
