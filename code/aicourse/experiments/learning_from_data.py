"""Lecture 02, learning from data: a real classifier trained on real handwritten digits.

Data: scikit-learn's 8×8 digits, split into training and validation sets.
Model: a small multilayer perceptron. Training: mini-batch gradient descent on
cross-entropy. Figures: the learning loop (input → model → output, compared with
the target, the loss fed back) labelled with this run's real sizes, and the
training and validation loss curves of the run.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters, fit_classifier, mlp


@experiment(
    name="learning-from-data",
    lecture="02-learning-from-data",
    figures=["learning-loop", "loss-curve"],
    quick={"hidden": 32, "epochs": 40, "lr": 0.05, "batch_size": 64, "train_size": 400},
    full={"hidden": 256, "epochs": 200, "lr": 0.05, "batch_size": 64, "train_size": 400},
)
def learning_from_data(ctx: Context) -> None:
    p = ctx.params
    # Data: a deliberately small training set, so the gap between the curves is visible.
    x_train, y_train, x_val, y_val = digits(seed=0)
    x_train, y_train = x_train[: p["train_size"]], y_train[: p["train_size"]]

    torch.manual_seed(0)
    model = mlp([64, p["hidden"], 10])
    history = fit_classifier(
        model, (x_train, y_train, x_val, y_val), epochs=p["epochs"], lr=p["lr"], batch_size=p["batch_size"],
        on_epoch=lambda e, h: ctx.progress(e, p["epochs"], "epoch", train=h.train_loss[-1], val=h.val_loss[-1]),
    )

    n_params = count_parameters(model)
    ctx.value("parameters", n_params, "{:,}")
    ctx.value("train_size", len(x_train), "{:,}")
    ctx.value("val_size", len(x_val), "{:,}")
    ctx.value("epochs", p["epochs"])
    ctx.value("first_train_loss", history.train_loss[0], "{:.3f}")
    ctx.value("final_train_loss", history.train_loss[-1], "{:.3f}")
    ctx.value("final_val_loss", history.val_loss[-1], "{:.3f}")
    ctx.value("best_epoch", history.best_epoch)
    ctx.value("best_val_loss", min(history.val_loss), "{:.3f}")
    ctx.value("final_val_accuracy", 100 * history.val_accuracy[-1], "{:.1f} %")

    ctx.figure("learning-loop", lambda t: draw_loop(t, n_params, history.train_loss[0]))
    ctx.figure("loss-curve", lambda t: draw_loss(t, history))


def draw_loop(t, n_params: int, first_loss: float):
    fig, ax = canvas(12, 5.6, scale=0.72)
    y = 2.6
    box(ax, (1.4, y), t("入力\n8×8 の手書き数字\n(64 個の値)", "input\n8×8 handwritten\ndigit (64 values)"), 2.6, 1.6, PALETTE[5])
    box(ax, (4.6, y), t(f"モデル\nパラメータ\n{n_params:,} 個", f"model\n{n_params:,}\nparameters"), 2.2, 1.6, PALETTE[0])
    box(ax, (7.7, y), t("出力\n10 クラスの確率", "output\nprobabilities\nof 10 classes"), 2.2, 1.6, PALETTE[2])
    box(ax, (7.7, 0.6), t("正解 (目標)  例: 「3」", "target  e.g. \"3\""), 3.0, 0.8, PALETTE[4])
    box(ax, (10.8, y), t("損失\n(ずれの大きさ)", "loss\n(size of\nthe gap)"), 1.9, 1.6, PALETTE[3])
    arrow(ax, (2.7, y), (3.5, y))
    arrow(ax, (5.7, y), (6.6, y))
    arrow(ax, (8.8, y), (9.85, y), t("比較", "compare"), text_offset=(0, 0.12))
    arrow(ax, (9.2, 0.6), (10.8, y - 0.8), rad=0.3)
    arrow(ax, (10.8, y + 0.8), (4.6, y + 0.8), rad=0.45, color=PALETTE[3])
    ax.text(7.7, 5.15, t("勾配降下法でパラメータを調整 (損失が小さくなる向きへ)",
                         "adjust the parameters by gradient descent (the way that shrinks the loss)"),
            ha="center", va="center", fontsize=10, color=PALETTE[3])
    ax.set_title(t(f"学習のループ (この実行の最初の損失: {first_loss:.2f})",
                   f"The learning loop (first loss in this run: {first_loss:.2f})"), fontsize=12)
    return fig


def draw_loss(t, history):
    epochs = range(1, len(history.train_loss) + 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(epochs, history.train_loss, label=t("訓練データの損失", "training loss"), linewidth=2)
    ax.plot(epochs, history.val_loss, label=t("検証データの損失", "validation loss"), linewidth=2)
    best = history.best_epoch
    ax.axvline(best, color="#777777", linestyle=":", linewidth=1)
    ax.annotate(t(f"検証損失が最小\n(エポック {best})", f"lowest validation loss\n(epoch {best})"),
                xy=(best, history.val_loss[best - 1]), xytext=(0.55, 0.6), textcoords="axes fraction",
                arrowprops={"arrowstyle": "->", "color": "#555555"}, fontsize=10)
    ax.set_yscale("log")
    ax.set_xlabel(t("エポック (訓練データを一巡した回数)", "epoch (passes over the training data)"))
    ax.set_ylabel(t("損失 (交差エントロピー, 対数軸)", "loss (cross-entropy, log scale)"))
    ax.set_title(t("損失は学習とともに下がる", "The loss falls as the model learns"))
    ax.legend()
    return fig
