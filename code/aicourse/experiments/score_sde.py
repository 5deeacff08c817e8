"""Lecture 12, score-based diffusion with SDEs: a real score network on a 2-D Gaussian mixture.

Data: eight Gaussian blobs on a ring, whose perturbed score is known exactly at every time.
Forward: the VP SDE (β from 0.1 to 20) simulated by Euler–Maruyama. Model: a small MLP with a
time input, trained by denoising score matching. Sampling: the reverse-time SDE and the
probability-flow ODE. Checks printed to the build log and quoted on the page: the learned score
against the exact one, and the simulated variance against the closed form.
"""

from __future__ import annotations

import io
import sys

import matplotlib.pyplot as plt
import torch
from PIL import Image

from aicourse.models import score_sde as sde
from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters

CHECK_TIMES = (0.05, 0.1, 0.25, 0.5, 1.0)
LIM = 3.2


@experiment(
    name="score-sde",
    lecture="12-score-sde",
    figures=["perturb-vp", "denoise-vp", "sde-schematic", "score-field"],
    quick={"hidden": 128, "steps": 4000, "batch": 512, "n_sample": 1500, "n_check": 6000, "sde_steps": 300, "frames": 26},
    full={"hidden": 256, "steps": 20000, "batch": 1024, "n_sample": 4000, "n_check": 20000, "sde_steps": 1000, "frames": 36},
)
def score_sde_experiment(ctx: Context) -> None:
    p = ctx.params
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    data = sde.GaussianMixture.ring()

    # Forward: simulate the SDE from real samples; check its variance against the closed form.
    x0 = data.sample(p["n_check"], g)
    forward = sde.simulate_forward(x0, p["sde_steps"], generator=g)
    for t in (0.1, 0.25, 0.5, 1.0):
        i = round(t * p["sde_steps"])
        a2 = sde.mean_coef(t) ** 2
        closed = a2 * data.variance() + 1 - a2
        empirical = forward[i].var(0).mean().item()
        key = f"{int(t * 100):03d}"
        ctx.value(f"var_emp_{key}", empirical, "{:.3f}")
        ctx.value(f"var_closed_{key}", closed, "{:.3f}")
        print(f"  [score-sde] variance at t={t}: simulated {empirical:.4f}, closed form {closed:.4f}", file=sys.stderr)
    forward = forward[:, : p["n_sample"]]  # the figures need fewer points than the check
    ctx.value("data_var", data.variance(), "{:.3f}")
    ctx.value("n_check", p["n_check"], "{:,}")
    ctx.value("alpha_end", sde.mean_coef(1.0), "{:.1e}")

    # Model: learn the score by denoising score matching.
    model = sde.ScoreNet(hidden=p["hidden"])
    losses = sde.train_score_net(model, data.sample, steps=p["steps"], batch=p["batch"],
                                 on_step=lambda s, l: ctx.progress(s, p["steps"], "step", loss=l))
    model.eval()
    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("batch", p["batch"], "{:,}")
    ctx.value("final_loss", sum(losses[-100:]) / 100, "{:.3f}")

    # Check: learned score vs the exact score of the perturbed mixture, on points drawn from p_t.
    for t in CHECK_TIMES:
        xt = sde.perturb(data.sample(4000, g), t)
        err = sde.relative_score_error(model.score, data.score, xt, t)
        ctx.value(f"score_err_{int(t * 100):03d}", 100 * err, "{:.1f} %")
        print(f"  [score-sde] relative score error at t={t}: {100 * err:.2f} %", file=sys.stderr)

    # Sampling: the same starting noise through the reverse SDE and the probability-flow ODE.
    x1 = torch.randn(p["n_sample"], 2, generator=g)
    rev = sde.reverse_sde(model.score, x1, p["sde_steps"], generator=g)
    ode = sde.probability_flow(model.score, x1, p["sde_steps"])
    for name, path in (("sde", rev), ("ode", ode)):
        near = (torch.cdist(path[-1], data.means).min(1).values < 3 * data.std).float().mean().item()
        ctx.value(f"near_{name}", 100 * near, "{:.0f} %")
        ctx.value(f"var_{name}", path[-1].var(0).mean().item(), "{:.2f}")
    ctx.value("sde_steps", p["sde_steps"])
    ctx.value("n_sample", p["n_sample"], "{:,}")

    n = p["frames"]
    fwd_idx = [round(i * p["sde_steps"] / (n - 1)) for i in range(n)]
    ctx.animation("perturb-vp", lambda t: [_frame(t, forward[i], i / p["sde_steps"], True) for i in fwd_idx]
                  + [_frame(t, forward[-1], 1.0, True)] * 6, duration_ms=110)
    ctx.animation("denoise-vp", lambda t: [_frame(t, rev[i], 1 - i / p["sde_steps"] * (1 - sde.T_EPS), False)
                                           for i in fwd_idx] + [_frame(t, rev[-1], 0.0, False)] * 6, duration_ms=110)
    ctx.figure("sde-schematic", lambda t: draw_schematic(t, forward, rev, p["sde_steps"]), dpi=100)
    ctx.figure("score-field", lambda t: draw_field(t, model, data, rev, ode), dpi=100)


def _scatter(ax, x, color, size=3):
    ax.scatter(x[:, 0], x[:, 1], s=size, color=color, alpha=0.6, linewidths=0, rasterized=True)
    ax.set_xlim(-LIM, LIM)
    ax.set_ylim(-LIM, LIM)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _frame(t, x, time, forward):
    fig, ax = plt.subplots(figsize=(2.8, 3.0), dpi=80)
    _scatter(ax, x, PALETTE[0] if forward else PALETTE[3])
    title = t("データ → ノイズ (順方向 SDE)", "data → noise (forward SDE)") if forward \
        else t("ノイズ → データ (逆時間 SDE)", "noise → data (reverse SDE)")
    ax.set_title(f"{title}\nt = {time:.2f}", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def draw_schematic(t, forward, rev, n_steps):
    times = (0.0, 0.1, 0.25, 0.5, 1.0)
    fig = plt.figure(figsize=(10, 4.2))
    axes = [fig.add_axes((0.03 + i * 0.195, 0.28, 0.16, 0.40)) for i in range(len(times))]
    for ax, time in zip(axes, times):
        _scatter(ax, forward[round(time * n_steps)], PALETTE[0], size=2)
        ax.set_title(f"t = {time:g}", fontsize=10)
    axes[0].set_xlabel(t("データ $p_0$", "data $p_0$"), fontsize=10)
    axes[-1].set_xlabel(t("ノイズ $p_1 \\approx \\mathcal{N}(0, I)$", "noise $p_1 \\approx \\mathcal{N}(0, I)$"), fontsize=10)
    style = {"arrowstyle": "-|>", "mutation_scale": 18, "linewidth": 1.8}
    fig.patches.append(plt.matplotlib.patches.FancyArrowPatch((0.08, 0.78), (0.92, 0.78), transform=fig.transFigure,
                                                             color=PALETTE[0], **style))
    fig.patches.append(plt.matplotlib.patches.FancyArrowPatch((0.92, 0.16), (0.08, 0.16), transform=fig.transFigure,
                                                             color=PALETTE[3], **style))
    fig.text(0.5, 0.83, t("順方向 SDE (ノイズを加える):  ", "forward SDE (add noise):  ")
             + r"$\mathrm{d}x = f(x,t)\,\mathrm{d}t + g(t)\,\mathrm{d}w$", ha="center", fontsize=11, color=PALETTE[0])
    fig.text(0.5, 0.05, t("逆時間 SDE (スコアでノイズを取り除く):  ", "reverse-time SDE (remove noise with the score):  ")
             + r"$\mathrm{d}x = [f(x,t) - g(t)^2\,\nabla_x \log p_t(x)]\,\mathrm{d}t + g(t)\,\mathrm{d}\bar w$",
             ha="center", fontsize=11, color=PALETTE[3])
    fig.text(0.5, 0.95, t("データとノイズを SDE でつなぐ (この実行の順方向シミュレーション)",
                          "An SDE links data and noise (this run's forward simulation)"), ha="center", fontsize=12)
    return fig


def draw_field(t, model, data, rev, ode, time=0.05, n_paths=6):
    grid = torch.linspace(-LIM + 0.2, LIM - 0.2, 19)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    pts = torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)
    with torch.no_grad():
        s = model.score(pts, time)
    s = s / (s.norm(dim=1, keepdim=True) + 1e-8)  # directions only: lengths near the blobs are huge
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.9))
    titles = (t("逆時間 SDE の経路 (ぎざぎざ)", "reverse-SDE paths (jagged)"),
              t("確率フロー ODE の経路 (なめらか)", "probability-flow ODE paths (smooth)"))
    for ax, path, title, color in zip(axes, (rev, ode), titles, (PALETTE[3], PALETTE[2])):
        ax.quiver(pts[:, 0], pts[:, 1], s[:, 0], s[:, 1], color="#999999", scale=28, width=0.004)
        _scatter(ax, path[-1], color, size=3)
        stride = max(1, len(path) // 60)  # every few steps: the noise of the SDE path stays visible, not overwhelming
        for k in range(n_paths):
            ax.plot(path[::stride, k, 0], path[::stride, k, 1], color=PALETTE[0], linewidth=0.9, alpha=0.85)
            ax.plot(path[0, k, 0], path[0, k, 1], "o", color=PALETTE[0], markersize=4)
            ax.plot(path[-1, k, 0], path[-1, k, 1], "x", color=PALETTE[7], markersize=5)
        ax.set_title(title, fontsize=11)
    fig.suptitle(t(f"学習したスコアの向き (t = {time}, 灰色の矢印) と、ノイズ (青い点) から終点 (×) までの経路",
                   f"Direction of the learned score (t = {time}, grey arrows) and paths from noise (blue dots) to their ends (×)"),
                 fontsize=11)
    fig.tight_layout()
    return fig
