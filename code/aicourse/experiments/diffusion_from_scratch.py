"""Lecture 14, diffusion from scratch: DDPM on real digits with diffusers' UNet2DModel and DDPMScheduler.

Data: scikit-learn's digits as images in [-1, 1] (8×8 on a CPU, upsampled to 16×16 on a GPU).
Model: a small attention-free UNet2DModel that predicts the added noise. Training: the ε-prediction
MSE at random timesteps. Figures: the forward noising of real digits at several timesteps, samples
drawn from the same starting noise at several checkpoints during training, and the loss curve.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from aicourse.models import ddpm
from aicourse.figures import Context, experiment
from aicourse.training import count_parameters


@experiment(
    name="diffusion-from-scratch",
    lecture="14-diffusion-from-scratch",
    figures=["forward-noising", "samples-during-training", "ddpm-loss"],
    quick={"size": 8, "channels": [16, 32], "layers": 1, "T": 200, "steps": 200, "batch": 64, "lr": 0.003,
           "sample_steps": 40, "checkpoints": [25, 75, 200], "n_show": 12},
    full={"size": 16, "channels": [32, 64, 128], "layers": 2, "T": 1000, "steps": 8000, "batch": 128, "lr": 0.001,
          "sample_steps": 1000, "checkpoints": [250, 1000, 3000, 8000], "n_show": 12},
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
    ctx.value("T", p["T"], "{:,}")

    losses, snapshots = ddpm.train(model, scheduler, images, p["steps"], batch=p["batch"], lr=p["lr"],
                                   device=ctx.device, checkpoints=set(p["checkpoints"]),
                                   on_step=lambda s, l: ctx.progress(s, p["steps"], "step", loss=l))
    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("batch", p["batch"])
    ctx.value("size", p["size"])
    ctx.value("first_loss", float(np.mean(losses[:10])), "{:.3f}")
    ctx.value("final_loss", float(np.mean(losses[-20:])), "{:.3f}")
    ctx.value("sample_steps", p["sample_steps"], "{:,}")

    rows = {}
    model.eval()
    for step in p["checkpoints"]:
        model.load_state_dict(snapshots[step])
        rows[step] = ddpm.sample(model, scheduler, p["n_show"], p["size"], p["sample_steps"], seed=1, device=ctx.device)
    ctx.value("checkpoints", ", ".join(f"{s:,}" for s in p["checkpoints"]))

    ctx.figure("forward-noising", lambda t: draw_noising(t, noised, shown_t), fmt="png", dpi=90)
    ctx.figure("samples-during-training", lambda t: draw_samples(t, rows), fmt="png", dpi=90)
    ctx.figure("ddpm-loss", lambda t: draw_loss(t, losses, p["checkpoints"]))


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
