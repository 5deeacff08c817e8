"""Lecture 14, diffusion from scratch: DDPM on real digits with diffusers' UNet2DModel and DDPMScheduler.

Data: scikit-learn's digits as images in [-1, 1] (8×8 on a CPU, upsampled to 16×16 on a GPU).
Model: a small UNet2DModel that predicts the added noise: convolutional ResNet blocks on the way down
and up, and one self-attention layer in its middle block (diffusers' default). Training: the
ε-prediction MSE at random timesteps. Figures: the forward noising of real digits at several
timesteps, samples drawn from the same starting noise at several checkpoints during training, and
the loss curve. Also measured for the page: the noise schedule (and what it would be without
scaling β), the reverse step written out (ddpm.reverse_step) against scheduler.step along a whole
sampling run, and how close the samples come to real digits as training goes on. Sentences the page
states about the run are worded from these numbers or guarded with ``ctx.check``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from diffusers import DDPMScheduler

from aicourse.models import ddpm
from aicourse.figures import Context, experiment
from aicourse.training import count_parameters


@experiment(
    name="diffusion-from-scratch",
    lecture="14-diffusion-from-scratch",
    figures=["forward-noising", "samples-during-training", "ddpm-loss"],
    quick={"size": 8, "channels": [16, 32], "layers": 1, "T": 200, "steps": 200, "batch": 64, "lr": 0.003,
           "sample_steps": 40, "checkpoints": [25, 75, 200], "n_show": 12, "try_T": 200},
    full={"size": 16, "channels": [32, 64, 128], "layers": 2, "T": 1000, "steps": 8000, "batch": 128, "lr": 0.001,
          "sample_steps": 1000, "checkpoints": [250, 1000, 3000, 8000], "n_show": 12, "try_T": 200},
)
def diffusion_from_scratch(ctx: Context) -> None:
    p = ctx.params
    images, labels = ddpm.digit_images(p["size"])
    torch.manual_seed(0)
    scheduler = ddpm.make_scheduler(p["T"])
    model = ddpm.small_unet(p["size"], tuple(p["channels"]), p["layers"]).to(ctx.device)

    # The forward process needs no model: the scheduler's closed form q(x_t | x_0).
    shown_t = [0] + [int(round(f * (p["T"] - 1))) for f in (0.05, 0.1, 0.25, 0.5, 1.0)]
    picks = [int((labels == d).nonzero()[0]) for d in (0, 2, 3, 5, 7, 8)]
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(len(picks), 1, p["size"], p["size"], generator=g)
    noised = [ddpm_noise(scheduler, images[picks], noise, t) for t in shown_t]
    alpha_bar = scheduler.alphas_cumprod
    ctx.value("alpha_bar_last", float(alpha_bar[-1]), "{:.1e}")
    ctx.check(float(alpha_bar[-1]) < 1e-3, claim="14 page: at the last step almost nothing of the digit is left",
              detail=f"alpha_bar_T = {float(alpha_bar[-1]):.3g}")
    ctx.value("T", p["T"], "{:,}")
    noise_schedule(ctx, scheduler, p["T"], p["try_T"])

    losses, snapshots = ddpm.train(model, scheduler, images, p["steps"], batch=p["batch"], lr=p["lr"],
                                   device=ctx.device, checkpoints=set(p["checkpoints"]),
                                   on_step=lambda s, l: ctx.progress(s, p["steps"], "step", loss=l))
    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("batch", p["batch"])
    ctx.value("size", p["size"])
    first_loss, final_loss = float(np.mean(losses[:10])), float(np.mean(losses[-20:]))
    ctx.value("first_loss", first_loss, "{:.3f}")
    ctx.value("final_loss", final_loss, "{:.3f}")
    ctx.check(final_loss < first_loss, claim="14 page: the loss fell from first_loss to final_loss",
              detail=f"mean of the first 10 steps {first_loss:.4f}, of the last 20 {final_loss:.4f}")
    ctx.value("sample_steps", p["sample_steps"], "{:,}")

    rows = {}
    model.eval()
    for step in p["checkpoints"]:
        model.load_state_dict(snapshots[step])
        rows[step] = ddpm.sample(model, scheduler, p["n_show"], p["size"], p["sample_steps"], seed=1, device=ctx.device)
    ctx.value("checkpoints", ", ".join(f"{s:,}" for s in p["checkpoints"]))
    closeness_to_real_digits(ctx, rows, images, p["size"])

    # The reverse step by hand (the notebook's Try it 1): the page's formula against scheduler.step,
    # along one whole sampling run with the final model, with the same noise z at every step.
    worst, worst_unclipped, outside = step_by_hand(model, scheduler, p["n_show"], p["size"], p["sample_steps"], ctx.device)
    ctx.value("step_match_max", worst, ja="0 (ビット単位で一致)" if worst == 0 else f"{worst:.0e}",
              en="0 (bit for bit)" if worst == 0 else f"{worst:.0e}")
    ctx.value("x0_outside", 100 * outside, "{:.0f} %")
    ctx.value("step_unclipped_max", worst_unclipped, "{:.1g}")
    ctx.check(worst < 1e-4, claim="14 page: ddpm.reverse_step gives scheduler.step's numbers (to rounding)",
              detail=f"largest difference over the sampling run {worst:.3g}")
    ctx.check(worst_unclipped > 100 * max(worst, 1e-6) and outside > 0,
              claim="14 page, exercise 1: without the clip of x̂_0 the step differs from the scheduler's far beyond rounding (x̂_0 leaves [-1, 1])",
              detail=f"largest difference without the clip {worst_unclipped:.3g}, x̂_0 outside [-1, 1]: {outside:.3%}")

    ctx.figure("forward-noising", lambda t: draw_noising(t, noised, shown_t), fmt="png", dpi=90)
    ctx.figure("samples-during-training", lambda t: draw_samples(t, rows), fmt="png", dpi=90)
    ctx.figure("ddpm-loss", lambda t: draw_loss(t, losses, p["checkpoints"]))


def noise_schedule(ctx: Context, scheduler, T: int, try_T: int) -> None:
    """The run's β (scaled by 1000 / T), its VP-SDE reading T·β, and try_T steps with and without the scaling."""
    betas = scheduler.betas
    ctx.value("beta_first", float(betas[0]), "{:.3g}")
    ctx.value("beta_last", float(betas[-1]), "{:.3g}")
    scale = 1000 / T
    ctx.value("schedule_note", scale,
              ja="Ho らの設定そのものです" if scale == 1 else f"Ho らの β を {scale:g} 倍したものです",
              en="exactly Ho et al.'s setting" if scale == 1 else f"Ho et al.'s β multiplied by {scale:g}")
    ctx.value("T_beta_first", T * float(betas[0]), "{:.3g}")
    ctx.value("T_beta_last", T * float(betas[-1]), "{:.3g}")
    ctx.value("sum_beta", float(betas.sum()), "{:.2f}")
    # Ho et al.'s schedule itself (T = 1000), for the paper exercise
    ho = ddpm.make_scheduler(1000).alphas_cumprod[-1]
    ctx.value("alpha_bar_last_ho", float(ho), "{:.1e}")
    # The notebook's Try it 2: try_T steps, with make_scheduler's scaled β and with Ho et al.'s β left unscaled
    ctx.value("try_T", try_T, "{:,}")
    abar_s = ddpm.make_scheduler(try_T).alphas_cumprod[-1]
    unscaled = DDPMScheduler(num_train_timesteps=try_T, beta_schedule="linear", beta_start=1e-4, beta_end=0.02)
    abar_u = unscaled.alphas_cumprod[-1]
    ctx.value("sqrt_alpha_bar_try", float(abar_s.sqrt()), "{:.1e}")
    ctx.value("alpha_bar_try_unscaled", float(abar_u), "{:.2g}")
    ctx.value("sqrt_alpha_bar_try_unscaled", float(abar_u.sqrt()), "{:.2g}")
    ctx.value("T_beta_last_unscaled", try_T * float(unscaled.betas[-1]), "{:.3g}")
    ctx.check(float(abar_u.sqrt()) > 0.1 and float(abar_s.sqrt()) < 0.01,
              claim="14 page, exercise 2: without the scaling a visible part of the digit is left at t = T; with it almost none",
              detail=f"sqrt(alpha_bar_T) with {try_T} steps: unscaled {float(abar_u.sqrt()):.3g}, scaled {float(abar_s.sqrt()):.3g}")


def closeness_to_real_digits(ctx: Context, rows, images, size) -> None:
    """Mean distance (RMS per pixel) from each sample to its nearest training digit, per checkpoint."""
    flat = images.flatten(1)

    def nearest(x):
        return float((torch.cdist(x.flatten(1), flat).min(1).values / flat.shape[1] ** 0.5).mean())

    val, _ = ddpm.digit_images(size, split="val")
    steps = list(rows)
    first, last = nearest(rows[steps[0]]), nearest(rows[steps[-1]])
    ctx.value("checkpoint_first", steps[0], "{:,}")
    ctx.value("checkpoint_last", steps[-1], "{:,}")
    ctx.value("nearest_first", first, "{:.2f}")
    ctx.value("nearest_last", last, "{:.2f}")
    ctx.value("nearest_real", nearest(val), "{:.2f}")
    ctx.check(last < first, claim="14 page: as training goes on the samples come closer to real digits (shapes emerge from the noise)",
              detail=f"nearest-digit distance after {steps[0]} steps {first:.3f}, after {steps[-1]} steps {last:.3f}")


@torch.no_grad()
def step_by_hand(model, scheduler, n, size, steps, device, seed=2):
    """Sample with scheduler.step and, at every step, redo it with ddpm.reverse_step from the same x_t and z.

    Returns the largest difference seen, the largest without the clip of x̂_0 (the bare ε formula), and the
    fraction of x̂_0 values outside [-1, 1] (which the clip changes).
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, size, size, generator=g).to(device)
    scheduler.set_timesteps(steps)
    abar = scheduler.alphas_cumprod.to(device)
    worst, worst_unclipped, outside, total = 0.0, 0.0, 0, 0
    for t in scheduler.timesteps:
        eps = model(x, t).sample
        state = g.get_state()
        z = torch.randn(x.shape, generator=g).to(device)  # the z that step() is about to draw
        g.set_state(state)
        theirs = scheduler.step(eps, t, x, generator=g).prev_sample
        ours = ddpm.reverse_step(x, eps, int(t), int(scheduler.previous_timestep(t)), abar, z, clip=True)
        bare = ddpm.reverse_step(x, eps, int(t), int(scheduler.previous_timestep(t)), abar, z, clip=False)
        worst = max(worst, float((ours - theirs).abs().max()))
        worst_unclipped = max(worst_unclipped, float((bare - theirs).abs().max()))
        x0_hat = (x - (1 - abar[int(t)]).sqrt() * eps) / abar[int(t)].sqrt()
        outside += int((x0_hat.abs() > 1).sum())
        total += x0_hat.numel()
        x = theirs
    return worst, worst_unclipped, outside / total


def ddpm_noise(scheduler, x0, noise, t):
    return scheduler.add_noise(x0, noise, torch.full((len(x0),), t, dtype=torch.long))


def _show(ax, img):
    ax.imshow(img.squeeze(0).numpy(), cmap="gray_r", vmin=-1, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.spines[:].set_visible(False)  # images, not plots: no axis lines (row labels stay)


def draw_noising(t, noised, shown_t):
    n_img = noised[0].shape[0]
    fig, axes = plt.subplots(n_img, len(shown_t), figsize=(1.0 * len(shown_t) + 0.4, 1.0 * n_img + 0.6))
    for j, (batch, step) in enumerate(zip(noised, shown_t)):
        axes[0, j].set_title(f"t = {step}", fontsize=10)
        for i in range(n_img):
            _show(axes[i, j], batch[i])
    fig.suptitle(t("本物の数字にノイズを加える (順方向過程)", "Adding noise to real digits (forward process)"), fontsize=11)
    fig.tight_layout()
    return fig


def draw_samples(t, rows):
    steps = list(rows)
    n = rows[steps[0]].shape[0]
    fig, axes = plt.subplots(len(steps), n, figsize=(0.75 * n + 1.4, 0.85 * len(steps) + 0.6))
    for i, step in enumerate(steps):
        for j in range(n):
            _show(axes[i, j], rows[step][j])
        axes[i, 0].set_ylabel(t(f"{step:,} 回", f"step {step:,}"), rotation=0, ha="right", va="center", fontsize=10)
    fig.suptitle(t("同じノイズから生成したサンプル (行: 学習の更新回数)",
                   "Samples from the same noise (rows: training steps so far)"), fontsize=11)
    fig.tight_layout()
    return fig


def draw_loss(t, losses, checkpoints):
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, linewidth=0.8, alpha=0.4, label=t("各更新の損失", "loss at each step"))
    w = max(1, len(losses) // 20)
    smooth = np.convolve(losses, np.ones(w) / w, mode="valid")
    ax.plot(steps[w - 1:], smooth, linewidth=2, label=t(f"{w} 回の移動平均", f"moving average of {w}"))
    for c in checkpoints:
        ax.axvline(c, color="#999999", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel(t("学習の更新回数 (点線: サンプルを作った時点)", "training step (dotted: where samples were drawn)"))
    ax.set_ylabel(t("ノイズ予測の二乗誤差", "noise-prediction MSE"))
    ax.set_title(t("DDPM の学習損失", "DDPM training loss"))
    ax.legend()
    return fig
