"""Lecture 12, score-based diffusion with SDEs: a real score network on a 2-D Gaussian mixture.

Data: eight Gaussian blobs on a ring, whose perturbed score is known exactly at every time.
Forward: the VP SDE (β from 0.1 to 20) simulated by Euler–Maruyama. Model: a small MLP with a
time input, trained by denoising score matching. Sampling: the reverse-time SDE and the
probability-flow ODE. Checks printed to the build log and quoted on the page: the learned score
against the exact one, the simulated variance against the closed form, how many samples land in
a blob (and in how many blobs), where the learned score's arrows point, and the two notebook
exercises (a sampler with few steps; a score network trained briefly, whose samples form a ring).
"""

from __future__ import annotations

import io
import sys

import matplotlib.pyplot as plt
import torch
from PIL import Image

from aicourse.models import score_sde as sde
from aicourse.figures import Context, as_exported, experiment
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters

CHECK_TIMES = (0.05, 0.1, 0.25, 0.5, 1.0)
LIM = 3.2
FEW_STEPS = 20  # notebook exercise 1: the samplers with few steps
SHORT_STEPS = 1000  # notebook exercise 2: a quarter of the quick training (hidden 128, batch 512, as the notebook)
FIELD_TIME = 0.05  # the time of the score field in the figure
DDPM_T, DDPM_BETA = 1000, (1e-4, 0.02)  # DDPM's schedule (Ho et al. 2020), for the link to lecture 14


# hidden = 192 in the full profile (quick: 128): the page runs this very network, and its int8
# weights must stay under the 150 kB an interactive figure may load (issue 16): 80 kB at 192 units,
# 142 kB at 256 before the scripts. See benchmarks/interactive.py.
@experiment(
    name="score-sde",
    lecture="12-score-sde",
    figures=["perturb-vp", "denoise-vp", "sde-schematic", "score-field"],
    quick={"hidden": 128, "steps": 4000, "batch": 512, "n_sample": 1500, "n_check": 6000, "sde_steps": 300, "frames": 26},
    full={"hidden": 192, "steps": 20000, "batch": 1024, "n_sample": 4000, "n_check": 20000, "sde_steps": 1000, "frames": 36},
)
def score_sde_experiment(ctx: Context) -> None:
    p = ctx.params
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    data = sde.GaussianMixture.ring()

    # Forward: simulate the SDE from real samples; check its variance against the closed form.
    x0 = data.sample(p["n_check"], g)
    forward = sde.simulate_forward(x0, p["sde_steps"], generator=g)
    gaps = []
    for t in (0.1, 0.25, 0.5, 1.0):
        i = round(t * p["sde_steps"])
        a2 = sde.mean_coef(t) ** 2
        closed = a2 * data.variance() + 1 - a2
        empirical = forward[i].var(0).mean().item()
        key = f"{int(t * 100):03d}"
        ctx.value(f"var_emp_{key}", empirical, "{:.3f}")
        ctx.value(f"var_closed_{key}", closed, "{:.3f}")
        gaps.append(abs(empirical - closed) / closed)
        print(f"  [score-sde] variance at t={t}: simulated {empirical:.4f}, closed form {closed:.4f}", file=sys.stderr)
    ctx.value("var_gap_max", 100 * max(gaps), "{:.1f} %")
    ctx.check(max(gaps) < 0.05, claim="12 page: the gaps between simulated and closed-form variance are a few percent",
              detail=f"largest relative gap {100 * max(gaps):.2f} %")
    forward = forward[:, : p["n_sample"]]  # the figures need fewer points than the check
    ctx.value("data_var", data.variance(), "{:.3f}")
    ctx.value("n_check", p["n_check"], "{:,}")
    ctx.value("alpha_end", sde.mean_coef(1.0), "{:.1e}")
    ctx.value("t_eps", sde.T_EPS, "{:g}")
    ctx.value("sigma_eps", sde.marginal_std(sde.T_EPS), "{:.3f}")
    ctx.value("comp_std", data.std, "{:g}")
    ctx.check(sde.marginal_std(sde.T_EPS) < 0.2 * data.std,
              claim="12 page: σ(T_EPS) is much smaller than the blobs' standard deviation s",
              detail=f"σ(T_EPS) = {sde.marginal_std(sde.T_EPS):.4f}, s = {data.std}")

    # The link to DDPM (lecture 14): T·β_i spans β(t), and DDPM's √ᾱ_i follows α(i/T).
    betas = torch.linspace(*DDPM_BETA, DDPM_T, dtype=torch.float64)
    sqrt_abar = torch.cumprod(1 - betas, 0).sqrt()
    alpha_grid = sde.mean_coef(torch.arange(1, DDPM_T + 1, dtype=torch.float64) / DDPM_T)
    ctx.value("ddpm_alpha_gap", (sqrt_abar - alpha_grid).abs().max().item(), "{:.4f}")
    ctx.value("ddpm_sqrt_abar_end", sqrt_abar[-1].item(), "{:.1e}")

    # Model: learn the score by denoising score matching.
    model = sde.ScoreNet(hidden=p["hidden"])
    losses = sde.train_score_net(model, data.sample, steps=p["steps"], batch=p["batch"], device=ctx.device,
                                 on_step=lambda s, l: ctx.progress(s, p["steps"], "step", loss=l))
    model.cpu().eval()  # the checks, figures and samplers below run on the CPU, as the page does
    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("batch", p["batch"], "{:,}")
    ctx.value("final_loss", sum(losses[-100:]) / 100, "{:.3f}")

    # Check: learned score vs the exact score of the perturbed mixture, on points drawn from p_t.
    errors = {}
    for t in CHECK_TIMES:
        xt = sde.perturb(data.sample(4000, g), t)
        errors[t] = err = sde.relative_score_error(model.score, data.score, xt, t)
        ctx.value(f"score_err_{int(t * 100):03d}", 100 * err, "{:.1f} %")
        print(f"  [score-sde] relative score error at t={t}: {100 * err:.2f} %", file=sys.stderr)
    ctx.check(max(errors, key=errors.get) == min(CHECK_TIMES),
              claim="12 page: the score error is largest near t = 0 (at the smallest time measured)",
              detail=", ".join(f"t={t}: {100 * e:.1f} %" for t, e in errors.items()))

    # Where the arrows of the figure point: the angle between the learned score and the way to the nearest blob.
    pts = _grid()
    with torch.no_grad():
        arrows = model.score(pts, FIELD_TIME)
    to_blob = sde.mean_coef(FIELD_TIME) * data.means[None] - pts[:, None]  # (P, K, 2)
    dist, order = to_blob.norm(dim=-1).sort(1)
    nearest = to_blob[torch.arange(len(pts)), order[:, 0]]
    angle = torch.rad2deg(torch.acos(torch.nn.functional.cosine_similarity(arrows, nearest, dim=1).clamp(-1, 1)))
    off = angle >= 30
    between = (dist[:, 1] / dist[:, 0] < 1.5)[off]  # the second blob less than 1.5 times as far: between two blobs
    ctx.value("arrows_30", 100 * (~off).float().mean().item(), "{:.0f} %")
    ctx.value("arrows_off", int(off.sum()), "{:d}")
    ctx.value("arrows_total", len(pts), "{:d}")
    ctx.value("arrows_between", 100 * between.float().mean().item() if len(between) else 100.0, "{:.0f} %")
    ctx.value("field_time", FIELD_TIME, "{:g}")
    print(f"  [score-sde] arrows within 30° of the nearest blob: {(~off).float().mean():.3f}; "
          f"of the {int(off.sum())} others, between two blobs: {between.float().mean() if len(between) else 1:.3f}",
          file=sys.stderr)

    # Sampling: the same starting noise through the reverse SDE and the probability-flow ODE.
    x1 = torch.randn(p["n_sample"], 2, generator=g)
    rev = sde.reverse_sde(model.score, x1, p["sde_steps"], generator=g)
    ode = sde.probability_flow(model.score, x1, p["sde_steps"])
    k = len(data.means)
    cover, var_gap = {}, {}
    for name, path in (("sde", rev), ("ode", ode)):
        c = cover[name] = data.coverage(path[-1])
        shares = torch.tensor(c["counts"], dtype=torch.float64) / len(path[-1])
        c["modes"] = int((shares >= 0.5 / k).sum())  # blobs that received at least half an even share
        var = path[-1].var(0).mean().item()
        var_gap[name] = abs(var - data.variance()) / data.variance()
        ctx.value(f"near_{name}", 100 * c["near"], "{:.0f} %")
        ctx.value(f"ring_{name}", 100 * c["ring"], "{:.0f} %")
        ctx.value(f"modes_{name}", c["modes"], "{:d}")
        ctx.value(f"share_min_{name}", 100 * shares.min().item(), "{:.1f} %")
        ctx.value(f"share_max_{name}", 100 * shares.max().item(), "{:.1f} %")
        ctx.value(f"var_{name}", var, "{:.2f}")
        ctx.value(f"var_gap_{name}", 100 * var_gap[name], "{:.1f} %")
        print(f"  [score-sde] {name}: near a blob {c['near']:.3f}, on the ring {c['ring']:.3f}, per blob {c['counts']}, "
              f"variance {var:.3f}", file=sys.stderr)
    ctx.value("n_modes", k, "{:d}")
    ctx.check(cover["sde"]["modes"] == k and cover["sde"]["near"] >= 0.8,
              claim="12 page: the trained model pulls the eight blobs back out of the noise (reverse SDE: "
                    "every blob gets at least half an even share, and most samples land in a blob)",
              detail=f"blobs with half an even share: {cover['sde']['modes']}, near a blob: {cover['sde']['near']:.3f}")
    close = max(var_gap.values()) < 0.1
    ctx.value("var_verdict", close,
              ja="どちらもデータの分散に近い値です" if close else "データの分散とはっきり違う値です",
              en="both close to the data's variance" if close else "clearly different from the data's variance")
    ctx.value("sde_steps", p["sde_steps"])
    ctx.value("n_sample", p["n_sample"], "{:,}")

    # Notebook exercise 1: the same model and the same noise, with only FEW_STEPS steps.
    rev_few = sde.reverse_sde(model.score, x1, FEW_STEPS, generator=g)[-1]
    ode_few = sde.probability_flow(model.score, x1, FEW_STEPS)[-1]
    few = {"sde": data.coverage(rev_few)["near"], "ode": data.coverage(ode_few)["near"]}
    for name, x in (("sde", rev_few), ("ode", ode_few)):
        ctx.value(f"near_{name}_few", 100 * few[name], "{:.0f} %")
        ctx.value(f"var_{name}_few", x.var(0).mean().item(), "{:.2f}")
    ctx.value("few_steps", FEW_STEPS, "{:d}")
    loss_sde, loss_ode = cover["sde"]["near"] - few["sde"], cover["ode"]["near"] - few["ode"]
    ctx.check(loss_sde > loss_ode + 0.05 and loss_ode < 0.15,
              claim=f"12 page and notebook: with {FEW_STEPS} steps the probability-flow ODE changes little, while the "
                    "reverse SDE clearly loses more samples from the blobs",
              detail=f"near a blob, {p['sde_steps']} → {FEW_STEPS} steps: SDE {cover['sde']['near']:.3f} → {few['sde']:.3f}, "
                     f"ODE {cover['ode']['near']:.3f} → {few['ode']:.3f}")
    print(f"  [score-sde] {FEW_STEPS} steps: near a blob SDE {few['sde']:.3f}, ODE {few['ode']:.3f}", file=sys.stderr)

    # Notebook exercise 2: the notebook's network trained for SHORT_STEPS updates only.
    torch.manual_seed(0)
    short = sde.ScoreNet(hidden=128)
    sde.train_score_net(short, data.sample, steps=SHORT_STEPS, batch=512)
    short.eval()
    rev_short = sde.reverse_sde(short.score, x1, p["sde_steps"], generator=g)[-1]
    c_short = data.coverage(rev_short)
    xt = sde.perturb(data.sample(4000, g), FIELD_TIME)
    err_short = sde.relative_score_error(short.score, data.score, xt, FIELD_TIME)
    ctx.value("short_steps", SHORT_STEPS, "{:,}")
    ctx.value("near_short", 100 * c_short["near"], "{:.0f} %")
    ctx.value("ring_short", 100 * c_short["ring"], "{:.0f} %")
    ctx.value("score_err_short_005", 100 * err_short, "{:.0f} %")
    ctx.check(c_short["ring"] >= 0.6 and c_short["ring"] - c_short["near"] >= 0.2
              and c_short["near"] <= cover["sde"]["near"] - 0.2,
              claim=f"12 page and notebook: after only {SHORT_STEPS} updates most samples still lie on the ring, but many "
                    "of them between the blobs, and far fewer in a blob than after the full training",
              detail=f"short: on the ring {c_short['ring']:.3f}, near a blob {c_short['near']:.3f}; "
                     f"full training: near a blob {cover['sde']['near']:.3f}")
    print(f"  [score-sde] {SHORT_STEPS} updates: near a blob {c_short['near']:.3f}, on the ring {c_short['ring']:.3f}, "
          f"score error at t={FIELD_TIME} {err_short:.3f}", file=sys.stderr)

    n = p["frames"]
    fwd_idx = [round(i * p["sde_steps"] / (n - 1)) for i in range(n)]
    ctx.animation("perturb-vp", lambda t: [_frame(t, forward[i], i / p["sde_steps"], True) for i in fwd_idx]
                  + [_frame(t, forward[-1], 1.0, True)] * 6, duration_ms=110)
    ctx.animation("denoise-vp", lambda t: [_frame(t, rev[i], 1 - i / p["sde_steps"] * (1 - sde.T_EPS), False)
                                           for i in fwd_idx] + [_frame(t, rev[-1], 0.0, False)] * 6, duration_ms=110)
    ctx.figure("sde-schematic", lambda t: draw_schematic(t, forward, rev, p["sde_steps"]), dpi=100)
    ctx.figure("score-field", lambda t: draw_field(t, model, data, rev, ode), dpi=100)
    export_sampler(ctx, model, data)


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


def _grid():
    """The points where the figure draws the score's arrows."""
    grid = torch.linspace(-LIM + 0.2, LIM - 0.2, 19)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)


def draw_field(t, model, data, rev, ode, time=FIELD_TIME, n_paths=6):
    pts = _grid()
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


EXPORT_POINTS = 400  # training points the page perturbs to show p_t
EXPORT_DTYPE = "int8"  # a quarter of float32's bytes (Context.export); the tests come from the rounded weights


@torch.no_grad()
def export_sampler(ctx, model, data):
    """The page's interactive sampler (``{{ interactive: sde-sampler }}``, sde-sampler.js).

    The score network's weights under their ``state_dict`` names (``freq``: the time embedding's
    frequencies), training points drawn from the mixture (their own generator: the run's values
    stay as they are), the schedule as meta, and test vectors from the rounded (int8) weights:
    ε̂ and the score at several (x, t), a probability-flow ODE trajectory from fixed starts with
    few Euler steps, and one reverse-SDE step with a given z.
    """
    rounded = sde.ScoreNet(hidden=model.net[0].out_features, n_freq=len(model.freq))
    rounded.load_state_dict(as_exported(model.state_dict(), EXPORT_DTYPE))
    rounded.eval()
    g = torch.Generator().manual_seed(12)
    points = data.sample(EXPORT_POINTS, g)
    x = torch.tensor([[0.0, 0.0], [2.0, 0.0], [-1.3, 1.4], [0.5, -2.6], [3.0, 3.0], [-0.2, 0.1]])
    t = torch.tensor([0.5, 0.02, 0.05, 0.25, 1.0, 0.1])
    ode_steps, x1 = 10, torch.randn(8, 2, generator=g)
    ode_path = sde.probability_flow(rounded.score, x1, ode_steps)
    step_t, step_dt, step_z = 0.6, 0.01, torch.randn(8, 2, generator=g)
    step_x = sde.perturb(data.sample(8, g), step_t, torch.randn(8, 2, generator=g))
    step_next = (step_x - (sde.drift(step_x, step_t) - sde.diffusion(step_t) ** 2 * rounded.score(step_x, step_t)) * step_dt
                 + sde.diffusion(step_t) * step_dt**0.5 * step_z)  # _integrate's stochastic update, with this z
    ctx.export("sde-sampler", {**model.state_dict(), "data.x": points}, dtype=EXPORT_DTYPE, meta={
        "beta_min": sde.BETA_MIN, "beta_max": sde.BETA_MAX, "t_eps": sde.T_EPS, "lim": LIM,
        "field_time": FIELD_TIME, "hidden": model.net[0].out_features, "n_freq": len(model.freq),
        "net": ["net.0", "silu", "net.2", "silu", "net.4", "silu", "net.6"],
    }, tests={"x": x, "t": t, "eps": rounded(x, t),
              # σ(t) in float64: float32's 1 − α² loses digits at small t, where the page computes in double
              "score": -rounded(x, t).double() / sde.marginal_std(t.double()[:, None]),
              "ode.x1": x1, "ode.path": ode_path, "ode.steps": torch.tensor([float(ode_steps)]),
              "step.x": step_x, "step.z": step_z, "step.next": step_next,
              "step.t": torch.tensor([step_t]), "step.dt": torch.tensor([step_dt])})
