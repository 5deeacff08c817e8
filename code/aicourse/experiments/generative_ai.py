"""Lecture 04, what generative AI is: tasks compared by how many values their output has,
and why generating an image pixel by pixel, each on its own, fails.

"Dimension" here means the number of output values a model produces for one input:
class probabilities for a classifier, pixel values for an image generator, and for a
text generator one probability per vocabulary entry at every position of the text
(the text itself is the sequence of tokens chosen from those probabilities).
Sizes are computed where the library knows them: the digits' class count from
scikit-learn, GPT-2's vocabulary and context length from transformers' GPT-2 config
(built from defaults, nothing downloaded). ImageNet's 1000 classes are the ILSVRC
subset (Deng et al. 2009; Russakovsky et al. 2015), quoted, not computed.

The second half runs the notebook's comparison on scikit-learn's 8×8 digits, with no labels
for the generators: a model that draws each of the 64 pixels on its own from that pixel's
mean and spread, against a Gaussian mixture with full covariances that also records how pixels
vary together. Both are judged by the correlation between horizontally neighbouring pixels
and by a small classifier (softmax output) trained on the real digits. The same run computes
the notebook's three "Try it" tasks, and guards the page's sentences with ``ctx.check``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogLocator

from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE

IMAGENET_CLASSES = 1000  # ILSVRC-2012 classification subset of ImageNet (Russakovsky et al., IJCV 2015)


@experiment(
    name="generative-ai",
    lecture="04-generative-ai",
    figures=["output-sizes", "pixels-vs-whole"],
    quick={"components": 10, "samples": 1000, "epochs": 15, "try_components": [1, 3, 30], "digit": 3},
    full={"components": 10, "samples": 1000, "epochs": 50, "try_components": [1, 3, 30], "digit": 3},
)
def generative_ai(ctx: Context) -> None:
    from sklearn.datasets import load_digits
    from transformers import GPT2Config

    bunch = load_digits()
    digit_classes = len(bunch.target_names)
    digit_pixels = bunch.data.shape[1]  # 8 × 8
    digit_levels = len(np.unique(bunch.data))  # grey levels 0–16 in the data
    gpt2 = GPT2Config()  # the library's defaults are GPT-2 (small)'s settings
    vocab, n_tokens = gpt2.vocab_size, gpt2.n_positions
    img512, img1024 = 512 * 512 * 3, 1024 * 1024 * 3
    text_scores = n_tokens * vocab

    ctx.value("digit_classes", digit_classes)
    ctx.value("digit_pixels", digit_pixels)
    ctx.value("digit_levels", digit_levels)
    ctx.value("digit_log10_images", digit_pixels * math.log10(digit_levels), "{:.0f}")
    ctx.value("imagenet_classes", IMAGENET_CLASSES, "{:,}")
    ctx.value("img512", img512, "{:,}")
    ctx.value("img1024", img1024, "{:,}")
    ctx.value("vocab", vocab, "{:,}")
    ctx.value("n_tokens", n_tokens, "{:,}")
    ctx.value("text_scores", text_scores, "{:,}")
    ctx.value("text_log10_outcomes", n_tokens * math.log10(vocab), "{:,.0f}")
    ctx.value("ratio_img_digits", img1024 / digit_classes, "{:,.0f}")
    ctx.value("cov_digits", covariance_entries(64), "{:,}")
    ctx.value("cov_img1024", covariance_entries(img1024), "{:,}")
    # The page's note sizes image outputs as "millions" and text probabilities as "tens of millions".
    ctx.check(1e5 < img512 < img1024 < 1e7 and 1e7 <= text_scores < 1e8,
              claim="04 page: image outputs run to about a million values, text probabilities to tens of millions",
              detail=f"512² image {img512:,}, 1024² image {img1024:,}, text {text_scores:,}")

    rows = [  # (group, label, value)
        (0, ("手書き数字の分類\n(0〜9 の確率)", "handwritten digit class\n(probabilities of 0–9)"), digit_classes),
        (1, ("ImageNet の画像認識\n(1,000 クラスの確率)", "ImageNet recognition\n(probabilities of 1,000 classes)"), IMAGENET_CLASSES),
        (2, ("512×512 カラー画像の生成\n(画素値)", "generating a 512×512 RGB image\n(pixel values)"), img512),
        (2, ("1024×1024 カラー画像の生成\n(画素値)", "generating a 1024×1024 RGB image\n(pixel values)"), img1024),
        (2, (f"{n_tokens:,} トークンの文章の生成\n(各位置で {vocab:,} 語の確率)",
             f"generating {n_tokens:,} tokens of text\n({vocab:,} probabilities per position)"), text_scores),
    ]
    ctx.figure("output-sizes", lambda t: draw_sizes(t, rows))

    pixels_vs_whole(ctx)


def covariance_entries(d: int) -> int:
    """Numbers needed to write out a symmetric d×d covariance matrix: the diagonal and one triangle."""
    return d * (d + 1) // 2


def mixture_parameters(k: int, d: int = 64) -> int:
    """A Gaussian mixture with full covariances: k means, k covariances, k - 1 free mixing weights."""
    return k * d + k * covariance_entries(d) + (k - 1)


def neighbour_correlation(images) -> float:
    """Mean correlation, over many images, between each pixel and its right-hand neighbour
    (pairs with a pixel that never changes are left out). Same code as the notebook."""
    x = np.asarray(images).reshape(-1, 8, 8)
    left, right = x[:, :, :-1].reshape(len(x), -1), x[:, :, 1:].reshape(len(x), -1)
    pairs = np.flatnonzero((left.std(axis=0) > 0) & (right.std(axis=0) > 0))
    return float(np.mean([np.corrcoef(left[:, j], right[:, j])[0, 1] for j in pairs]))


def pixels_vs_whole(ctx: Context) -> None:
    """The notebook's comparison, step for step: classifier, per-pixel model, Gaussian mixture."""
    import torch
    from sklearn.mixture import GaussianMixture

    from aicourse.data import digits
    from aicourse.training import fit_classifier, mlp

    p = ctx.params
    n, k = p["samples"], p["components"]
    x_train, y_train, x_val, y_val = digits(seed=0)

    # A small classifier of real digits; its softmax turns 10 numbers into probabilities.
    torch.manual_seed(0)
    classifier = mlp([64, 64, 10])
    history = fit_classifier(classifier, (x_train, y_train, x_val, y_val), epochs=p["epochs"], lr=0.01, optimizer="adam",
                             on_epoch=lambda e, h: ctx.progress(e, p["epochs"], "classifier epoch"))
    classifier.eval()

    def read(images) -> tuple[float, np.ndarray]:
        """The classifier's mean top probability over the images, and its answers."""
        with torch.no_grad():
            probs = torch.softmax(classifier(torch.as_tensor(np.asarray(images), dtype=torch.float32)), dim=1)
        return probs.max(dim=1).values.mean().item(), probs.argmax(dim=1).numpy()

    with torch.no_grad():
        sums = torch.softmax(classifier(x_val), dim=1).sum(dim=1)
    ctx.check(bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-5)),
              claim="04 page: the classifier's softmax output for one image is 10 probabilities that add up to 1",
              detail=f"sums range {sums.min().item():.6f}–{sums.max().item():.6f}")

    # Generation 1: each pixel on its own, from its own mean and spread (labels unused).
    pixels = x_train.numpy()
    rng = np.random.default_rng(0)
    mu, sigma = pixels.mean(axis=0), pixels.std(axis=0)
    independent = np.clip(rng.normal(mu, sigma, size=(n, 64)), 0, 1)

    # Generation 2: a Gaussian mixture whose covariances record how pixels vary together.
    def mixture_samples(components: int, data=pixels, count: int = n) -> np.ndarray:
        model = GaussianMixture(n_components=components, covariance_type="full", random_state=0).fit(data)
        return np.clip(model.sample(count)[0], 0, 1)[rng.permutation(count)]  # sample() groups by component

    together = mixture_samples(k)

    real = x_val.numpy()
    corr_real, corr_indep, corr_mix = (neighbour_correlation(a) for a in (real, independent, together))
    top_real, _ = read(real)
    top_indep, answers_indep = read(independent)
    top_mix, _ = read(together)
    counts = np.bincount(answers_indep, minlength=10)
    favourite = int(counts.argmax())

    ctx.value("classifier_accuracy", 100 * history.val_accuracy[-1], "{:.1f} %")
    ctx.value("samples", n, "{:,}")
    ctx.value("components", k)
    ctx.value("params_independent", mu.size + sigma.size)
    ctx.value("params_mixture", mixture_parameters(k), "{:,}")
    ctx.value("corr_real", corr_real, "{:+.3f}")
    ctx.value("corr_independent", corr_indep, "{:+.3f}")
    ctx.value("corr_mixture", corr_mix, "{:+.3f}")
    ctx.value("top_real", top_real, "{:.3f}")
    ctx.value("top_independent", top_indep, "{:.3f}")
    ctx.value("top_mixture", top_mix, "{:.3f}")
    ctx.value("independent_favourite", favourite)
    ctx.value("independent_favourite_share", 100 * counts[favourite] / n, "{:.0f} %")

    ctx.check(abs(corr_indep) < 0.05 < corr_real,
              claim="04 page: pixels made each on its own have almost no correlation with their neighbours, unlike real digits",
              detail=f"neighbour correlation: independent {corr_indep:+.3f}, real {corr_real:+.3f}")
    ctx.check(corr_mix > 0.5 * corr_real and abs(corr_mix - corr_real) < abs(corr_indep - corr_real),
              claim="04 page: the Gaussian mixture's neighbour correlation comes close to the real one",
              detail=f"neighbour correlation: mixture {corr_mix:+.3f}, real {corr_real:+.3f}, independent {corr_indep:+.3f}")
    ctx.check(top_indep < top_mix and top_real > 0.9 and abs(top_mix - top_real) < abs(top_indep - top_real),
              claim="04 page, exercise 3: the classifier is sure of real digits, clearly less sure of the pixel-by-pixel "
                    "samples, and the mixture's samples come close to the real value",
              detail=f"mean top probability: real {top_real:.3f}, mixture {top_mix:.3f}, independent {top_indep:.3f}")

    # Try it 1: the number of components.
    by_k = {}
    for kk in p["try_components"]:
        s = mixture_samples(kk)
        by_k[kk] = (neighbour_correlation(s), read(s)[0])
        ctx.value(f"params_k{kk}", mixture_parameters(kk), "{:,}")
        ctx.value(f"corr_k{kk}", by_k[kk][0], "{:+.3f}")
        ctx.value(f"top_k{kk}", by_k[kk][1], "{:.3f}")
    k_lo, k_hi = min(by_k), max(by_k)
    ctx.check(all(c > 0.5 * corr_real for c, _ in by_k.values()) and by_k[k_lo][1] < by_k[k_hi][1],
              claim=f"04 page, exercise 1: every K keeps much of the neighbour correlation; the classifier is surer of "
                    f"K={k_hi} samples than of K={k_lo}",
              detail=", ".join(f"K={kk}: corr {c:+.3f}, top {tp:.3f}" for kk, (c, tp) in by_k.items()) + f"; real {corr_real:+.3f}")
    ctx.value("k_lo", k_lo)
    ctx.value("k_hi", k_hi)

    # Try it 2: a mixture of one digit's images only.
    digit = p["digit"]
    one_digit = mixture_samples(3, data=pixels[y_train.numpy() == digit])
    share = float((read(one_digit)[1] == digit).mean())
    ctx.value("digit", digit)
    ctx.value("digit_read", 100 * share, "{:.0f} %")
    ctx.check(share > 0.9,
              claim=f"04 page, exercise 2: a mixture trained on the images of {digit} alone makes {digit}s",
              detail=f"the classifier reads {share:.1%} of its samples as {digit}")

    panels = [(real, ("本物 (検証データ)", "real (validation)"), corr_real, None),
              (independent, ("画素を一つずつ別々に", "each pixel on its own"), corr_indep, mu.size + sigma.size),
              (together, (f"混合ガウス分布 (K = {k})", f"Gaussian mixture (K = {k})"), corr_mix, mixture_parameters(k))]
    ctx.figure("pixels-vs-whole", lambda t: draw_pixels_vs_whole(t, panels), fmt="png", dpi=100)


def draw_sizes(t, rows):
    groups = [t("分類", "classification"), t("認識", "recognition"), t("生成", "generation")]
    colors = [PALETTE[0], PALETTE[1], PALETTE[3]]
    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    ys = list(range(len(rows)))[::-1]
    for y, (g, label, value) in zip(ys, rows):
        ax.barh(y, value, color=colors[g], alpha=0.8)
        ax.text(value * 1.4, y, f"{value:,}", va="center", fontsize=10)
    ax.set_yticks(ys)
    ax.set_yticklabels([t(*label) for _, label, _ in rows], fontsize=9.5)
    ax.set_xscale("log")
    ax.set_xlim(1, 1e10)
    ax.xaxis.set_major_locator(LogLocator(base=10, numticks=11))
    ax.set_xlabel(t("1 回の出力に含まれる値の数 (対数軸)", "number of values in one output (log scale)"))
    ax.grid(axis="y", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.8) for c in colors]
    ax.legend(handles, groups, loc="upper right", fontsize=10)
    ax.set_title(t("出力の大きさで比べた AI の仕事", "AI tasks compared by the size of their output"), fontsize=12)
    fig.tight_layout()
    return fig


def draw_pixels_vs_whole(t, panels):
    """Three 4×4 grids of 8×8 images: real digits, pixel-by-pixel samples, mixture samples."""
    fig, axes = plt.subplots(1, 3, figsize=(10.2, 4.1))
    for ax, (images, (ja, en), corr, params) in zip(axes, panels):
        tiles = np.pad(np.asarray(images[:16]).reshape(16, 8, 8), ((0, 0), (1, 1), (1, 1)))  # a white border
        ax.imshow(tiles.reshape(4, 4, 10, 10).transpose(0, 2, 1, 3).reshape(40, 40), cmap="gray_r", vmin=0, vmax=1)
        extra = (t(f"\nパラメータ {params:,} 個", f"\n{params:,} parameters") if params is not None
                 else t("\n(学習に使っていない画像)", "\n(images not used for fitting)"))
        ax.set_title(t(ja, en) + t(f"\n隣の画素との相関 {corr:+.3f}", f"\nneighbour correlation {corr:+.3f}") + extra,
                     fontsize=10)
        ax.axis("off")
    fig.suptitle(t("64 画素をどう作るか: 画素ごとに別々か、画素どうしの関係も覚えるか",
                   "Making 64 pixels: each on its own, or remembering how they go together"), fontsize=11.5, y=0.98)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig
