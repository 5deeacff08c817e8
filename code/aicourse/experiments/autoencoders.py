"""Lecture 03, autoencoders: a real autoencoder trained on real handwritten digits, with no labels.

Data: scikit-learn's 8×8 digits; the labels are set aside and used only afterwards,
to colour the plots and to score the latent space. Model: a fully connected
autoencoder with a 2-number bottleneck (``aicourse.models.autoencoder``). Training: Adam on
the mean squared error between each image and its reconstruction. Baselines, computed
in the same run: the mean training image, and PCA with the same latent size (2).
Figures: the architecture read from the model's layers, originals against
reconstructions (each rebuild marked with the digit a reader of real digits takes it for),
and the 2-D latent space coloured by the true digit.

The "reader" is a 5-nearest-neighbour classifier on the 64 pixels of the real training
images: labels enter only there, to say how many rebuilds still read as their own digit.
The same run also trains the notebook's exercise (8 latent variables instead of 2), and
guards with ``ctx.check`` what the page says about the comparisons.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.metrics import confusion_matrix
from sklearn.neighbors import KNeighborsClassifier

from aicourse.models.autoencoder import (
    Autoencoder, fit_autoencoder, layer_sizes, mean_image_error, pca_reconstruction_error,
)
from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters


@experiment(
    name="autoencoders",
    lecture="03-autoencoders",
    figures=["autoencoder-architecture", "autoencoder-reconstructions", "autoencoder-latent"],
    quick={"sizes": [64, 128, 32, 2], "epochs": 120, "lr": 0.005, "batch_size": 128, "latent_more": 8},
    full={"sizes": [64, 256, 64, 2], "epochs": 200, "lr": 0.005, "batch_size": 128, "latent_more": 8},  # 1000 epochs overfit (val MSE 0.034)
)
def autoencoders(ctx: Context) -> None:
    p = ctx.params
    # Data: the labels y_train / y_val are NOT given to the model; they are used only after training.
    x_train, y_train, x_val, y_val = digits(seed=0)

    torch.manual_seed(0)
    model = Autoencoder(p["sizes"])
    train_loss, val_loss = fit_autoencoder(
        model, x_train, x_val, epochs=p["epochs"], lr=p["lr"], batch_size=p["batch_size"],
        on_epoch=lambda e, tl, vl: ctx.progress(e, p["epochs"], "epoch", train=tl[-1], val=vl[-1]),
    )
    model.eval()
    k = p["sizes"][-1]

    # Held-out reconstruction error, and the two baselines with nothing learned / a linear map.
    with torch.no_grad():
        z_train, z_val = model.encode(x_train).numpy(), model.encode(x_val).numpy()
        recon_val = model(x_val)
    ae_mse = torch.nn.functional.mse_loss(recon_val, x_val).item()
    pca_mse = pca_reconstruction_error(x_train, x_val, k)
    mean_mse = mean_image_error(x_train, x_val)

    # PCA's 2-D projection, for the side-by-side latent plot and its reconstructions.
    mean = x_train.mean(dim=0)
    basis = torch.linalg.svd(x_train - mean, full_matrices=False)[2][:k]
    p_train, p_val = ((x_train - mean) @ basis.T).numpy(), ((x_val - mean) @ basis.T).numpy()
    recon_pca = (x_val - mean) @ basis.T @ basis + mean

    # How well do the unlabelled codes separate the digits? Labels enter only here, to score.
    def knn_predict(a_train, a_val):
        return KNeighborsClassifier(n_neighbors=5).fit(a_train, y_train.numpy()).predict(a_val)

    truth = y_val.numpy()
    ae_pred, pca_pred = knn_predict(z_train, z_val), knn_predict(p_train, p_val)
    ae_knn, pca_knn = float((ae_pred == truth).mean()), float((pca_pred == truth).mean())
    # The two digits the latent space mixes up most often (either way round), for the text.
    confusions = confusion_matrix(truth, ae_pred, labels=range(10))
    both_ways = confusions + confusions.T
    np.fill_diagonal(both_ways, 0)
    a, b = sorted(np.unravel_index(int(both_ways.argmax()), both_ways.shape))

    sizes = layer_sizes(model)
    ctx.value("layer_sizes", " → ".join(str(s) for s in sizes))
    ctx.value("latent_dim", k)
    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("train_size", len(x_train), "{:,}")
    ctx.value("val_size", len(x_val), "{:,}")
    ctx.value("epochs", p["epochs"])
    ctx.value("ae_mse", ae_mse, "{:.4f}")
    ctx.value("pca_mse", pca_mse, "{:.4f}")
    ctx.value("mean_mse", mean_mse, "{:.4f}")
    ctx.value("ae_vs_pca", 100 * (1 - ae_mse / pca_mse), "{:.0f} %")
    ctx.value("ae_vs_mean", 100 * (1 - ae_mse / mean_mse), "{:.0f} %")
    ctx.value("ae_knn", 100 * ae_knn, "{:.1f} %")
    ctx.value("pca_knn", 100 * pca_knn, "{:.1f} %")
    ctx.value("confused_pair", f"{a}, {b}", ja=f"{a} と {b}", en=f"{a} and {b}")
    ctx.value("confused_count", int(both_ways[a, b]))
    ctx.value("compression", 64 / k, "{:.0f}")

    # Do the rebuilds still read as their digit? A reader of real digits (5-NN on the 64 pixels
    # of the real training images; labels used only here, to score) reads every rebuild.
    reader = KNeighborsClassifier(n_neighbors=5).fit(x_train.numpy(), y_train.numpy())
    read_real, read_ae, read_pca = (reader.predict(images.numpy()) for images in (x_val, recon_val, recon_pca))
    real_ok = float((read_real == truth).mean())
    ae_misread, pca_misread = float((read_ae != truth).mean()), float((read_pca != truth).mean())

    # One validation example of each digit, in order 0..9, for the reconstruction grid.
    pick = [int((y_val == d).nonzero()[0]) for d in range(10)]
    rows = [x_val[pick], recon_val[pick], recon_pca[pick]]
    readings = [None, read_ae[pick], read_pca[pick]]
    shown_ae_misread = int((read_ae[pick] != truth[pick]).sum())
    shown_pca_misread = int((read_pca[pick] != truth[pick]).sum())

    # The notebook's exercise: the same autoencoder and PCA with more latent variables.
    k_more = p["latent_more"]
    torch.manual_seed(0)
    model_more = Autoencoder(p["sizes"][:-1] + [k_more])
    _, val_more = fit_autoencoder(model_more, x_train, x_val, epochs=p["epochs"], lr=p["lr"], batch_size=p["batch_size"],
                                  on_epoch=lambda e, tl, vl: ctx.progress(e, p["epochs"], f"epoch (latent {k_more})", val=vl[-1]))
    ae_more_mse, pca_more_mse = val_more[-1], pca_reconstruction_error(x_train, x_val, k_more)

    ctx.value("reader_acc", 100 * real_ok, "{:.1f} %")
    ctx.value("ae_misread", 100 * ae_misread, "{:.0f} %")
    ctx.value("pca_misread", 100 * pca_misread, "{:.0f} %")
    ctx.value("shown_ae_misread", shown_ae_misread)
    ctx.value("shown_pca_misread", shown_pca_misread)
    ctx.value("latent_more", k_more)
    ctx.value("ae_more_mse", ae_more_mse, "{:.4f}")
    ctx.value("pca_more_mse", pca_more_mse, "{:.4f}")
    ctx.value("ae_more_vs_pca", 100 * (1 - ae_more_mse / pca_more_mse), "{:.0f} %")
    ctx.value("ae_more_gain", ae_mse / ae_more_mse, "{:.1f}")

    # What the page says about this run, guarded: the build fails if a run disagrees.
    ctx.check(ae_mse < pca_mse < mean_mse,
              claim="03 page: the autoencoder's error is smaller than PCA's, and PCA's smaller than the mean image's",
              detail=f"MSE autoencoder {ae_mse:.4f}, PCA {pca_mse:.4f}, mean image {mean_mse:.4f}")
    ctx.check(pca_misread > 2 * ae_misread and shown_pca_misread > 0,
              claim="03 page: PCA's rebuilds look like a different digit far more often than the autoencoder's "
                    "(and some do in the figure)",
              detail=f"read as another digit: PCA {pca_misread:.1%}, autoencoder {ae_misread:.1%}; "
                     f"in the figure PCA {shown_pca_misread}, autoencoder {shown_ae_misread}")
    ctx.check(real_ok > 0.9,
              claim="03 page: the reader (5-NN on real pixels) reads real validation digits correctly",
              detail=f"accuracy on real validation images {real_ok:.1%}")
    ctx.check(ae_knn > 0.5,
              claim="03 page: points of the same digit gather together in the latent space (5-NN far above the 10 % of guessing)",
              detail=f"5-NN accuracy in the latent space {ae_knn:.1%}")
    ctx.check(ae_more_mse < ae_mse and pca_more_mse < pca_mse and ae_more_mse < pca_more_mse,
              claim=f"03 page, exercise 1: with {k_more} latent variables both errors fall and the autoencoder stays below PCA",
              detail=f"latent {k}: AE {ae_mse:.4f}, PCA {pca_mse:.4f}; latent {k_more}: AE {ae_more_mse:.4f}, PCA {pca_more_mse:.4f}")

    ctx.figure("autoencoder-architecture", lambda t: draw_architecture(t, sizes))
    ctx.figure("autoencoder-reconstructions", lambda t: draw_reconstructions(t, rows, readings, ae_mse, pca_mse), fmt="png", dpi=100)
    ctx.figure("autoencoder-latent", lambda t: draw_latent(t, z_val, p_val, y_val.numpy(), ae_knn, pca_knn))


def draw_architecture(t, sizes: list[int]):
    """One bar per layer, its height growing with the layer's width (log scale), labelled with the width."""
    n = len(sizes)
    fig, ax = canvas(1.7 * n + 1.2, 5.6, scale=0.8)
    mid = n // 2  # the bottleneck sits in the middle of a mirrored stack
    xs = [1.0 + 1.7 * i for i in range(n)]
    top = max(sizes)
    for i, (x, s) in enumerate(zip(xs, sizes)):
        h = 0.6 + 3.0 * np.log(s) / np.log(top)
        color = PALETTE[4] if i == mid else (PALETTE[0] if i < mid else PALETTE[2])
        ax.add_patch(plt.Rectangle((x - 0.3, 3.0 - h / 2), 0.6, h, facecolor=color, alpha=0.25, edgecolor=color, linewidth=1.6))
        ax.text(x, 1.05, f"{s}", ha="center", va="top", fontsize=11)
        if i < n - 1:
            arrow(ax, (x + 0.35, 3.0), (xs[i + 1] - 0.35, 3.0))
    ax.text(xs[0], 5.25, t("入力\n(64 画素)", "input\n(64 pixels)"), ha="center", va="center", fontsize=10)
    ax.text(xs[-1], 5.25, t("再構成\n(64 画素)", "reconstruction\n(64 pixels)"), ha="center", va="center", fontsize=10)
    ax.text(xs[mid], 5.25, t(f"潜在変数\n({sizes[mid]} 個)", f"latent\n({sizes[mid]} numbers)"), ha="center", va="center",
            fontsize=10, color=PALETTE[4])
    ax.text((xs[0] + xs[mid]) / 2, 0.1, t("符号化器 (エンコーダ)", "encoder"), ha="center", fontsize=11, color=PALETTE[0])
    ax.text((xs[mid] + xs[-1]) / 2, 0.1, t("復号化器 (デコーダ)", "decoder"), ha="center", fontsize=11, color=PALETTE[2])
    ax.set_title(t("このサイトで学習したオートエンコーダの層の幅 (モデルから読み取り)",
                   "Layer widths of the autoencoder trained for this site (read from the model)"), fontsize=11)
    return fig


def draw_reconstructions(t, rows, readings, ae_mse: float, pca_mse: float):
    """Originals and rebuilds; under each rebuild, the digit the reader of real digits takes it for
    (coloured when that is not the digit shown in the top row)."""
    labels = [t("元の画像", "original"),
              t(f"オートエンコーダ\n(MSE {ae_mse:.4f})", f"autoencoder\n(MSE {ae_mse:.4f})"),
              t(f"PCA 2 成分\n(MSE {pca_mse:.4f})", f"PCA, 2 comp.\n(MSE {pca_mse:.4f})")]
    fig, axes = plt.subplots(3, 10, figsize=(8.2, 3.6))
    for r, (row, label, read) in enumerate(zip(rows, labels, readings)):
        for c in range(10):
            ax = axes[r, c]
            ax.imshow(row[c].reshape(8, 8).numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if read is not None:
                wrong = int(read[c]) != c
                ax.set_xlabel(t(f"→ {int(read[c])}", f"→ {int(read[c])}"), fontsize=8, labelpad=1,
                              color=PALETTE[3] if wrong else "#555555")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(t("検証データの数字と、2 個の数から作り直した画像 (→ 本物の数字で学んだ 5-NN の読み。色付きは別の数字)",
                   "Held-out digits and their rebuilds from 2 numbers (→ read by a 5-NN of real digits; coloured: another digit)"),
                 fontsize=10)
    fig.subplots_adjust(left=0.2, right=0.99, top=0.89, bottom=0.06, wspace=0.08, hspace=0.35)
    return fig


def draw_latent(t, z, pz, labels, ae_knn: float, pca_knn: float):
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.6))
    cmap = plt.get_cmap("tab10")
    panels = [(z, t(f"オートエンコーダの潜在空間\n(5-NN 正解率 {100 * ae_knn:.1f} %)", f"autoencoder latent space\n(5-NN accuracy {100 * ae_knn:.1f} %)")),
              (pz, t(f"PCA の 2 成分 (比較用)\n(5-NN 正解率 {100 * pca_knn:.1f} %)", f"PCA, 2 components (for comparison)\n(5-NN accuracy {100 * pca_knn:.1f} %)"))]
    for ax, (pts, title) in zip(axes, panels):
        for d in range(10):
            sel = labels == d
            ax.scatter(pts[sel, 0], pts[sel, 1], s=9, color=cmap(d), alpha=0.75, label=str(d), linewidths=0)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("$z_1$")
        ax.set_ylabel("$z_2$")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="center right", markerscale=2.2, fontsize=9,
               title=t("本当の数字\n(色付けだけに使用;\n学習には不使用)", "true digit\n(colour only;\nnot used in\ntraining)"),
               title_fontsize=8.5)
    fig.subplots_adjust(left=0.07, right=0.84, wspace=0.28, top=0.86, bottom=0.12)
    return fig
