"""Lecture 13, variational autoencoders: a real VAE with a 2-D latent space, trained on 8×8 digits.

Data: scikit-learn's digits. Model: MLP encoder q(z|x) and decoder p(x|z) with z in the plane, so the
whole latent space can be drawn. Training: Adam on −ELBO. Figures: the x-space ↔ z-space diagram with
this run's encodings, the decoded latent map, samples from the prior, an interpolation between two
real digits, and the two terms of the ELBO per epoch.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import norm

from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters
from aicourse.models.vae import VAE, train_vae


@experiment(
    name="vae",
    lecture="13-vae",
    figures=["vae-diagram", "latent-map", "prior-samples", "interpolation", "elbo-curve"],
    quick={"hidden": 256, "epochs": 30, "batch_size": 64, "lr": 0.001, "grid": 15},
    full={"hidden": 512, "epochs": 300, "batch_size": 64, "lr": 0.001, "grid": 20},
)
def vae_experiment(ctx: Context) -> None:
    p = ctx.params
    x_train, y_train, x_val, y_val = digits(seed=0)
    torch.manual_seed(0)
    model = VAE(hidden=p["hidden"], z_dim=2)
    hist = train_vae(model, x_train, x_val, epochs=p["epochs"], batch_size=p["batch_size"], lr=p["lr"],
                     on_epoch=lambda e, h: ctx.progress(e, p["epochs"], "epoch", elbo=h.elbo[-1]))
    model.eval()

    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("train_size", len(x_train), "{:,}")
    ctx.value("val_size", len(x_val), "{:,}")
    ctx.value("epochs", p["epochs"])
    ctx.value("first_elbo", hist.elbo[0], "{:.1f}")
    ctx.value("final_elbo", hist.elbo[-1], "{:.1f}")
    ctx.value("final_recon", hist.recon[-1], "{:.1f}")
    ctx.value("final_kl", hist.kl[-1], "{:.2f}")
    ctx.value("first_kl", hist.kl[0], "{:.2f}")
    ctx.value("val_elbo", hist.val_elbo[-1], "{:.1f}")

    with torch.no_grad():
        mu_val, logvar_val = model.encode(x_val)
        # Interpolate between the first validation 0 and the first validation 6.
        a, b = int((y_val == 0).nonzero()[0]), int((y_val == 6).nonzero()[0])
        steps = torch.linspace(0, 1, 9)[:, None]
        path_z = (1 - steps) * mu_val[a] + steps * mu_val[b]
        interp = model.decode(path_z)
        g = torch.Generator().manual_seed(1)
        prior = model.decode(torch.randn(64, 2, generator=g))
        # The latent map: a grid through the prior's quantiles, so each cell holds equal prior mass.
        q = torch.tensor(norm.ppf(np.linspace(0.03, 0.97, p["grid"])), dtype=torch.float32)
        zz = torch.stack(torch.meshgrid(q, q.flip(0), indexing="xy"), -1).reshape(-1, 2)
        grid_images = model.decode(zz)
    ctx.value("mean_sigma", torch.exp(0.5 * logvar_val).mean().item(), "{:.2f}")
    ctx.value("grid", p["grid"])

    ctx.figure("vae-diagram", lambda t: draw_diagram(t, x_val, mu_val, y_val, model))
    ctx.figure("latent-map", lambda t: draw_grid(t, grid_images, p["grid"], p["grid"], t(
        "潜在空間の地図: 格子点の z を復号した数字", "Latent map: the digit decoded at each grid point z"),
        xlabel="$z_1$", ylabel="$z_2$"), fmt="png", dpi=90)
    ctx.figure("prior-samples", lambda t: draw_grid(t, prior, 8, 8, t(
        "事前分布 N(0, I) から z を引いて復号した 64 個", "64 digits decoded from z drawn from the prior N(0, I)")),
        fmt="png", dpi=90)
    ctx.figure("interpolation", lambda t: draw_interp(t, x_val[a], x_val[b], interp), fmt="png", dpi=90)
    ctx.figure("elbo-curve", lambda t: draw_elbo(t, hist))


def _tiles(images, rows, cols):
    imgs = torch.nn.functional.pad(images.reshape(rows, cols, 8, 8), (0, 1, 0, 1))  # a blank line between digits
    return torch.cat([torch.cat(list(r), dim=1) for r in imgs], dim=0).numpy()


def draw_grid(t, images, rows, cols, title, xlabel=None, ylabel=None):
    fig, ax = plt.subplots(figsize=(0.36 * cols + 0.6, 0.36 * rows + 0.8))
    ax.imshow(_tiles(images, rows, cols), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel + t(" (左から右へ)", " (left to right)"))
        ax.set_ylabel(ylabel + t(" (下から上へ)", " (bottom to top)"))
    return fig


def draw_interp(t, start, end, interp):
    n = len(interp)
    fig, axes = plt.subplots(1, n + 2, figsize=(0.85 * (n + 2), 1.6))
    panels = [start] + list(interp) + [end]
    for i, (ax, img) in enumerate(zip(axes, panels)):
        ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if i in (0, n + 1):
            for s in ax.spines.values():
                s.set_visible(True)
                s.set_color(PALETTE[3])
                s.set_linewidth(2)
    axes[0].set_title(t("本物", "real"), fontsize=9)
    axes[-1].set_title(t("本物", "real"), fontsize=9)
    axes[n // 2 + 1].set_title(t("z の直線上を復号", "decoded along a line in z"), fontsize=9)
    return fig


def draw_elbo(t, hist):
    e = range(1, len(hist.elbo) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    ax1.plot(e, hist.elbo, label=t("ELBO (訓練)", "ELBO (training)"), linewidth=2)
    ax1.plot(e, hist.val_elbo, label=t("ELBO (検証)", "ELBO (validation)"), linewidth=2)
    ax1.plot(e, hist.recon, label=t("再構成項 $E_q[\\log p(x|z)]$", "reconstruction $E_q[\\log p(x|z)]$"),
             linestyle="--")
    ax1.set_xlabel(t("エポック", "epoch"))
    ax1.set_ylabel(t("ナット / 1 枚", "nats per digit"))
    ax1.set_title(t("ELBO と再構成項 (大きいほど良い)", "ELBO and reconstruction term (higher is better)"), fontsize=11)
    ax1.legend(fontsize=9)
    ax2.plot(e, hist.kl, color=PALETTE[3], linewidth=2, label=t("訓練", "training"))
    ax2.plot(e, hist.val_kl, color=PALETTE[4], linewidth=2, linestyle=":", label=t("検証", "validation"))
    ax2.set_xlabel(t("エポック", "epoch"))
    ax2.set_ylabel(t("ナット / 1 枚", "nats per digit"))
    ax2.set_title(t("KL 項 $KL(q(z|x)\\,\\|\\,p(z))$", "KL term $KL(q(z|x)\\,\\|\\,p(z))$"), fontsize=11)
    ax2.legend(fontsize=9)
    fig.tight_layout()
    return fig


def draw_diagram(t, x_val, mu_val, y_val, model):
    fig, ax = canvas(14, 6.2, scale=0.8)
    # x space: three real digits on the left.
    ax.text(1.3, 5.8, t("データ空間 x (8×8 = 64 次元)", "data space x (8×8 = 64 dims)"), ha="center", fontsize=10)
    for i, digit in enumerate((0, 3, 7)):
        idx = int((y_val == digit).nonzero()[0])
        inset = ax.inset_axes((0.45, 3.9 - 1.55 * i, 1.7, 1.35), transform=ax.transData)
        inset.imshow(x_val[idx].reshape(8, 8), cmap="gray_r")
        inset.set_xticks([])
        inset.set_yticks([])
        inset.grid(False)
    box(ax, (4.5, 4.2), t("符号化器\n$q_\\phi(z|x)$\n→ $\\mu, \\sigma$", "encoder\n$q_\\phi(z|x)$\n→ $\\mu, \\sigma$"), 2.2, 1.5, PALETTE[0])
    box(ax, (7.0, 3.1), t("再パラメータ化\n$z = \\mu + \\sigma \\odot \\varepsilon$\n$\\varepsilon \\sim N(0, I)$",
                          "reparameterize\n$z = \\mu + \\sigma \\odot \\varepsilon$\n$\\varepsilon \\sim N(0, I)$"), 2.4, 1.5, PALETTE[2])
    box(ax, (4.5, 1.6), t("復号化器\n$p_\\theta(x|z)$", "decoder\n$p_\\theta(x|z)$"), 2.2, 1.3, PALETTE[3])
    arrow(ax, (2.3, 4.2), (3.4, 4.2))
    arrow(ax, (5.6, 4.0), (5.9, 3.5))
    arrow(ax, (8.2, 3.1), (9.3, 3.1))
    arrow(ax, (9.3, 2.4), (5.6, 1.6), rad=-0.15)
    arrow(ax, (3.4, 1.6), (2.3, 1.6))
    ax.text(2.85, 1.0, t("再構成", "reconstruct"), ha="center", fontsize=9)
    # z space: this run's encodings of the validation digits, coloured by class.
    ax.text(11.7, 5.8, t("潜在空間 z (2 次元): 検証データの μ", "latent space z (2 dims): μ of validation digits"),
            ha="center", fontsize=10)
    zax = ax.inset_axes((9.4, 0.5, 4.5, 5.0), transform=ax.transData)
    colors = plt.get_cmap("tab10")
    zax.scatter(mu_val[:, 0], mu_val[:, 1], s=4, c=[colors(int(c)) for c in y_val], rasterized=True)
    for d in range(10):
        c = mu_val[y_val == d].median(0).values
        zax.text(float(c[0]), float(c[1]), str(d), fontsize=11, ha="center", va="center",
                 bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.8, "linewidth": 0})
    zax.set_xlabel("$z_1$", fontsize=9)
    zax.set_ylabel("$z_2$", fontsize=9)
    zax.tick_params(labelsize=8)
    return fig
