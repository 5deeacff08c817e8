"""Lecture 13, variational autoencoders: a real VAE with a 2-D latent space, trained on 8×8 digits.

Data: scikit-learn's digits, binarised (ink where the grey level is at least one half), so that the
Bernoulli decoder gives a probability to each image and the ELBO bounds a real log-likelihood.
Model: MLP encoder q(z|x) and decoder p(x|z) with z in the plane, so the whole latent space can be
drawn. Training: Adam on −ELBO. Figures: grey and binarised digits, the x-space ↔ z-space diagram
with this run's encodings, the decoded latent map, samples from the prior, an interpolation
between two real digits, and the two terms of the ELBO per epoch. Export: the trained encoder
and decoder with test vectors, for the page's interactive latent map (``export_latent``). Values:
the ELBO and its terms, an importance-sampled log-likelihood above the ELBO, and the notebook's
β-VAE "Try it" (β = 4).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

from aicourse.data import digits
from aicourse.figures import Context, as_exported, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters
from aicourse.models.vae import VAE, binarize, importance_weights, train_vae


# hidden = 96 in both profiles: the page runs this very model (encoder and decoder, its weights in
# int8), and at 96 units it loads far under the 150 KB an interactive figure may (issue 16); 256 units
# would be about 170 KB even in int8. The narrower VAE loses little: in the quick profile its
# validation ELBO was -20.5 nats per digit against -20.0 with 256 units (every check still holds).
@experiment(
    name="vae",
    lecture="13-vae",
    figures=["binarized", "vae-diagram", "latent-map", "prior-samples", "interpolation", "elbo-curve"],
    quick={"hidden": 96, "epochs": 100, "batch_size": 64, "lr": 0.001, "grid": 15, "beta": 4.0, "k": 500},
    full={"hidden": 96, "epochs": 300, "batch_size": 64, "lr": 0.001, "grid": 20, "beta": 4.0, "k": 2000},
)
def vae_experiment(ctx: Context) -> None:
    p = ctx.params
    grey_train, y_train, grey_val, y_val = digits(seed=0)
    x_train, x_val = binarize(grey_train, THRESHOLD), binarize(grey_val, THRESHOLD)
    ctx.value("threshold", THRESHOLD)
    ctx.value("ink_fraction", 100 * x_train.mean().item(), "{:.0f} %")

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
    ctx.check(hist.elbo[-1] > hist.elbo[0], claim="13 page: the ELBO rose from the first epoch to the last",
              detail=f"ELBO first epoch {hist.elbo[0]:.2f}, last {hist.elbo[-1]:.2f}")
    # The KL story (posterior collapse that passes): the lowest KL of the first few epochs against the last.
    early = min(range(min(5, len(hist.kl))), key=lambda i: hist.kl[i])
    ctx.value("low_kl", hist.kl[early], "{:.2f}")
    ctx.value("low_kl_epoch", early + 1)
    starts_low = hist.kl[early] < 0.1 * hist.kl[-1]
    ctx.value("kl_story", starts_low, ja=(
        f"KL 項は第 {early + 1} エポックに {hist.kl[early]:.2f} と 0 に近い値をとり、その後、学習とともに増えました。"
        "初めは符号に情報をほとんど載せず、どの画像にも平均的な数字を出しています。"
        "その後、情報を載せるコストを払ってでも再構成を良くする方向へ移っていきます。"
        if starts_low else
        f"KL 項は第 {early + 1} エポックでも {hist.kl[early]:.2f} あり、0 の近くにとどまる時期はほとんどありませんでした。"
        "この実行では、符号化器は初めから符号に情報を載せています。"), en=(
        f"The KL term was as low as {hist.kl[early]:.2f} in epoch {early + 1} and then grew with training. "
        "At first the model puts almost no information into the code and outputs an average digit for every image; "
        "later it pays the cost of carrying information in order to reconstruct better."
        if starts_low else
        f"The KL term was still {hist.kl[early]:.2f} in epoch {early + 1}; it hardly spent any time near zero. "
        "In this run the encoder puts information into the code from the start."))
    ctx.value("collapse_note", starts_low, ja=(
        "上の学習の初めに KL 項が 0 の近くにあったのは、この崩壊が一時的に起き、やがて抜け出した様子です。"
        if starts_low else "上の学習では KL 項が初めから 0 を離れていて、この崩壊は一時的にも起きませんでした。"), en=(
        "Early in the training above, while the KL term sat near zero, the posterior had collapsed for a while; "
        "the model then found its way out." if starts_low else
        "In the training above the KL term left zero from the start: the posterior did not collapse even for a while."))

    with torch.no_grad():
        mu_train, _ = model.encode(x_train)
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
        # log p(x) by importance sampling, and the ELBO from the same samples (their mean log-weight).
        log_w = importance_weights(model, x_val, k=p["k"], seed=2)
    ctx.value("mean_sigma", torch.exp(0.5 * logvar_val).mean().item(), "{:.2f}")
    ctx.value("grid", p["grid"])

    # "The same digits gather nearby": 5 nearest neighbours among the training codes read the class.
    knn = KNeighborsClassifier(5).fit(mu_train.numpy(), y_train.numpy()).score(mu_val.numpy(), y_val.numpy())
    ctx.value("knn_accuracy", 100 * knn, "{:.0f} %")
    ctx.check(knn >= 0.5, claim="13 page: in the scatter plot the same digits gather in nearby places of latent space",
              detail=f"5-NN accuracy on the validation means {knn:.3f} (chance 0.1)")

    # The prior samples: which digits a plain classifier reads, and how many pixels stay grey (blur).
    clf = LogisticRegression(max_iter=2000).fit(x_train.numpy(), y_train.numpy())
    ctx.value("prior_classes", len(set(clf.predict(prior.numpy()).tolist())))
    grey_share = ((prior > 0.1) & (prior < 0.9)).float().mean().item()
    ctx.value("grey_share", 100 * grey_share, "{:.0f} %")
    ctx.check(grey_share >= 0.1, claim="13 page: the generated digits are blurry (many pixels grey, between 0.1 and 0.9)",
              detail=f"share of generated pixels with ink probability in (0.1, 0.9): {grey_share:.3f}")
    # The latent map and the interpolation change smoothly: neighbours differ less than random pairs.
    cells = grid_images.reshape(p["grid"], p["grid"], 64)
    near = 0.5 * ((cells[1:] - cells[:-1]).abs().mean() + (cells[:, 1:] - cells[:, :-1]).abs().mean()).item()
    perm = torch.randperm(len(grid_images), generator=torch.Generator().manual_seed(3))
    far = (grid_images - grid_images[perm]).abs().mean().item()
    ctx.check(near < 0.5 * far, claim="13 page: on the latent map neighbours differ only a little (smooth changes)",
              detail=f"mean |difference| of neighbouring cells {near:.3f}, of random pairs {far:.3f}")
    step = (interp[1:] - interp[:-1]).abs().mean(1).max().item()
    ends = (interp[-1] - interp[0]).abs().mean().item()
    ctx.check(step < 0.5 * ends, claim="13 page: along the straight line in latent space the shape changes smoothly",
              detail=f"largest step between neighbouring frames {step:.3f}, first vs last frame {ends:.3f}")

    elbo_mc = log_w.mean(0).mean().item()
    log_p = (torch.logsumexp(log_w, 0) - math.log(p["k"])).mean().item()
    ctx.value("k", p["k"], "{:,}")
    ctx.value("val_elbo_mc", elbo_mc, "{:.1f}")
    ctx.value("val_logp", log_p, "{:.1f}")
    ctx.value("gap", log_p - elbo_mc, "{:.2f}")
    ctx.check(log_p > elbo_mc, claim="13 page: the importance-sampled log-likelihood lies above the ELBO",
              detail=f"validation: log p(x) estimate {log_p:.3f}, ELBO {elbo_mc:.3f}")
    ctx.value("bits_per_pixel", -log_p / (64 * math.log(2)), "{:.2f}")

    # The notebook's "Try it 2": the same training with β = 4 (a β-VAE).
    torch.manual_seed(0)
    beta_model = VAE(hidden=p["hidden"], z_dim=2)
    bh = train_vae(beta_model, x_train, x_val, epochs=p["epochs"], batch_size=p["batch_size"], lr=p["lr"],
                   beta=p["beta"])
    beta_model.eval()
    with torch.no_grad():
        bmu, blogvar = beta_model.encode(x_val)
        dims = (0.5 * (bmu**2 + blogvar.exp() - blogvar - 1)).mean(0)
        beta_prior = beta_model.decode(torch.randn(64, 2, generator=torch.Generator().manual_seed(1)))
    ctx.value("beta", p["beta"], "{:g}")
    ctx.value("beta_kl", bh.kl[-1], "{:.2f}")
    ctx.value("beta_recon", bh.recon[-1], "{:.1f}")
    ctx.value("beta_elbo", bh.elbo[-1], "{:.1f}")
    ctx.value("beta_val_elbo", bh.val_elbo[-1], "{:.1f}")
    lo, hi = sorted(dims.tolist())
    ctx.value("beta_kl_dims", lo, ja=f"{lo:.3f} と {hi:.3f}", en=f"{lo:.3f} and {hi:.3f}")
    spread, beta_spread = prior.std(0).mean().item(), beta_prior.std(0).mean().item()
    ctx.value("spread", spread, "{:.3f}")
    ctx.value("beta_spread", beta_spread, "{:.3f}")
    collapsed = bh.kl[-1] < 0.1 * hist.kl[-1]
    ctx.value("beta_outcome", collapsed, ja=(
        "ほぼ 0 になり、事後分布の崩壊が起きました" if collapsed else "小さくなりましたが、0 にはなりませんでした"), en=(
        "fell almost to zero: the posterior collapsed" if collapsed else "fell, but did not reach zero"))
    ctx.check(bh.kl[-1] < hist.kl[-1] and bh.recon[-1] < hist.recon[-1] and bh.elbo[-1] < hist.elbo[-1]
              and beta_spread < spread,
              claim="13 page (exercise 2): with β = 4 the KL term is smaller, the reconstruction term and the ELBO "
                    "worse and the prior samples less varied than with β = 1",
              detail=f"KL {bh.kl[-1]:.3f} vs {hist.kl[-1]:.3f}; reconstruction {bh.recon[-1]:.2f} vs {hist.recon[-1]:.2f}; "
                     f"ELBO {bh.elbo[-1]:.2f} vs {hist.elbo[-1]:.2f}; spread {beta_spread:.3f} vs {spread:.3f}")
    ctx.check(lo < 0.05, claim="13 notebook (Try it 2): with β = 4 at least one latent dimension's KL is practically zero",
              detail=f"KL per dimension on the validation set: {lo:.4f}, {hi:.4f}")

    export_latent(ctx, model, grey_val, x_val, y_val, mu_val)

    ctx.figure("binarized", lambda t: draw_binarized(t, grey_val[:12], x_val[:12]), fmt="png", dpi=90)
    ctx.figure("vae-diagram", lambda t: draw_diagram(t, x_val, mu_val, y_val, model))
    ctx.figure("latent-map", lambda t: draw_grid(t, grid_images, p["grid"], p["grid"], t(
        "潜在空間の地図: 格子点の z を復号した数字", "Latent map: the digit decoded at each grid point z"),
        xlabel="$z_1$", ylabel="$z_2$"), fmt="png", dpi=90)
    ctx.figure("prior-samples", lambda t: draw_grid(t, prior, 8, 8, t(
        "事前分布 N(0, I) から z を引いて復号した 64 個", "64 digits decoded from z drawn from the prior N(0, I)")),
        fmt="png", dpi=90)
    ctx.figure("interpolation", lambda t: draw_interp(t, x_val[a], x_val[b], interp), fmt="png", dpi=90)
    ctx.figure("elbo-curve", lambda t: draw_elbo(t, hist))


THRESHOLD = 0.5  # a pixel is ink when its grey level is at least half the maximum


EXPORT_DTYPE = "int8"  # a quarter of float32's bytes (Context.export); the tests come from the rounded weights


@torch.no_grad()
def export_latent(ctx, model, grey_val, x_val, y_val, mu_val):
    """The page's interactive latent map (``{{ interactive: vae-latent }}``, vae-latent.js).

    Weights under their ``state_dict`` names (Linear: weight out × in, bias out; int8 with a scale
    per row, the map and examples in float16), the validation
    means μ and classes the map shows, one binarised validation digit per class to start a drawing
    from, and test vectors: grey digits, their binarised inputs, and torch's μ, log σ² and decoded
    probabilities, which the browser check reproduces with the page's own forward pass.
    """
    examples = torch.stack([x_val[int((y_val == d).nonzero()[0])] for d in range(10)])
    weights = dict(model.state_dict())
    weights.update({"map.mu": mu_val, "map.label": y_val.float(), "examples.x": examples})
    rounded = VAE(hidden=model.to_mu.in_features, z_dim=model.to_mu.out_features)
    rounded.load_state_dict(as_exported(model.state_dict(), EXPORT_DTYPE))
    grey = grey_val[:6]
    x = binarize(grey, THRESHOLD)
    mu, logvar = rounded.encode(x)
    z = torch.cat([mu, torch.tensor([[0.0, 0.0], [2.5, -2.5], [-3.0, 1.0]])])
    ctx.export("vae-latent", weights, dtype=EXPORT_DTYPE, meta={
        "threshold": THRESHOLD, "hidden": model.to_mu.in_features, "z_dim": model.to_mu.out_features,
        "encoder": ["encoder.0", "relu", "encoder.2", "relu", "to_mu | to_logvar"],
        "decoder": ["decoder.0", "relu", "decoder.2", "relu", "decoder.4", "sigmoid"],
    }, tests={"grey": grey, "x": x, "mu": mu, "logvar": logvar, "z": z, "decoded": rounded.decode(z)})


def draw_binarized(t, grey, binary):
    fig, ax = plt.subplots(figsize=(0.5 * len(grey) + 1.6, 1.9))
    ax.imshow(_tiles(torch.cat([grey, binary]), 2, len(grey)), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([4, 13])
    ax.set_yticklabels([t("灰色 (元)", "grey (original)"), t("二値化", "binarised")], fontsize=9)
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(t(f"画素の明るさ $\\geq$ {THRESHOLD:g} をインク (1)、それ以外を 0 に",
                   f"grey level $\\geq$ {THRESHOLD:g} becomes ink (1), the rest 0"), fontsize=10)
    fig.tight_layout()
    return fig


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
