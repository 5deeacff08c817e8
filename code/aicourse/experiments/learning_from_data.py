"""Lecture 02, learning from data: a real classifier trained on real handwritten digits.

Data: scikit-learn's 8×8 digits, split into training and validation sets.
Model: a small multilayer perceptron (Linear → ReLU → Linear; the softmax sits in the
cross-entropy loss). Training: mini-batch gradient descent on cross-entropy. Figures: the
learning loop (input → model → output, compared with the target, the loss fed back) labelled
with this run's real sizes, and the loss curves of the run: the training loss as the training
loop records it (the mean over the epoch's mini-batches, while the weights change), the
training loss measured again with the weights at the end of each epoch, and the validation
loss (measured once at the end of each epoch). A learning-rate sweep (η ÷ 10, η, η × 10)
gives the numbers of the page's notebook exercise.

The page's sentences about what the run shows are worded from the values below, or guarded
by ``ctx.check``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters, evaluate, fit_classifier, mlp

PAGE = "docs/lectures/02-learning-from-data"


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
    data = (x_train, y_train, x_val, y_val)
    loss_fn = nn.CrossEntropyLoss()

    torch.manual_seed(0)
    model = mlp([64, p["hidden"], 10])
    initial_loss, _ = evaluate(model, loss_fn, x_train, y_train)  # before any update
    train_at_end: list[float] = []  # training loss measured with the weights at the end of each epoch

    def on_epoch(e, h):
        train_at_end.append(evaluate(model, loss_fn, x_train, y_train)[0])
        ctx.progress(e, p["epochs"], "epoch", train=h.train_loss[-1], val=h.val_loss[-1])

    history = fit_classifier(model, data, epochs=p["epochs"], lr=p["lr"], batch_size=p["batch_size"], on_epoch=on_epoch)

    n_params = count_parameters(model)
    hidden = p["hidden"]
    ctx.value("parameters", n_params, "{:,}")
    ctx.value("hidden", hidden)
    ctx.value("layer_sizes", f"64 → {hidden} → 10")
    ctx.value("layer1_params", 64 * hidden + hidden, "{:,}")
    ctx.value("layer2_params", hidden * 10 + 10, "{:,}")
    ctx.check(n_params == 75 * hidden + 10, claim=f"{PAGE}: the parameters are (64h + h) + (10h + 10) = 75h + 10",
              detail=f"counted {n_params} for h = {hidden}")
    ctx.value("train_size", len(x_train), "{:,}")
    ctx.value("val_size", len(x_val), "{:,}")
    ctx.value("epochs", p["epochs"])
    ctx.value("lr", p["lr"])
    ctx.value("batch_size", p["batch_size"])
    ctx.value("updates_per_epoch", -(-len(x_train) // p["batch_size"]))  # ceil: the last mini-batch may be short
    ctx.value("first_train_loss", history.train_loss[0], "{:.3f}")
    ctx.value("final_train_loss", history.train_loss[-1], "{:.3f}")
    ctx.value("final_val_loss", history.val_loss[-1], "{:.3f}")
    ctx.value("best_epoch", history.best_epoch)
    ctx.value("best_val_loss", min(history.val_loss), "{:.3f}")
    ctx.value("final_val_accuracy", 100 * history.val_accuracy[-1], "{:.1f} %")
    ctx.value("first_val_loss", history.val_loss[0], "{:.3f}")
    ctx.value("first_train_loss_end", train_at_end[0], "{:.3f}")
    record_claims(ctx, history, train_at_end, initial_loss)

    record_lr_sweep(ctx, data, history)

    ctx.figure("learning-loop", lambda t: draw_loop(t, n_params, history.train_loss[0]))
    ctx.figure("loss-curve", lambda t: draw_loss(t, history, train_at_end))


def record_claims(ctx: Context, history, train_at_end: list[float], initial_loss: float) -> None:
    """The wording of the page's sentences about this run, chosen by the run's numbers."""
    train, val = history.train_loss, history.val_loss
    epochs = len(val)

    # Before training: how the untrained model compares with guessing among ten classes.
    uniform = math.log(10)
    ctx.value("initial_loss", initial_loss, "{:.3f}")
    if abs(initial_loss - uniform) < 0.1:
        ja, en = "当てずっぽうの値とほとんど変わりません", "hardly different from guessing"
    elif initial_loss > uniform:
        ja, en = "当てずっぽうの値より大きくなっています", "worse than guessing"
    else:
        ja, en = "当てずっぽうの値より小さくなっています", "already better than guessing"
    ctx.value("initial_vs_uniform", "", ja=ja, en=en)
    ctx.check(abs(initial_loss - uniform) < 0.1, claim=f"{PAGE}: the untrained model's loss is close to log 10, because "
              "small random weights give close scores and a nearly uniform softmax",
              detail=f"initial loss {initial_loss:.3f}, log 10 = {uniform:.3f}")

    # The first epoch: which of the two losses is lower.
    f = "{:.3f}"
    if val[0] < train[0]:
        ja = f"最初のエポックでは、検証損失 ({f.format(val[0])}) のほうが訓練損失 ({f.format(train[0])}) より低くなっています"
        en = f"in the first epoch the validation loss ({f.format(val[0])}) is lower than the training loss ({f.format(train[0])})"
    else:
        ja = f"最初のエポックでも、訓練損失 ({f.format(train[0])}) のほうが検証損失 ({f.format(val[0])}) より低くなっています"
        en = f"even in the first epoch the training loss ({f.format(train[0])}) is lower than the validation loss ({f.format(val[0])})"
    ctx.value("first_epoch_order", "", ja=ja, en=en)

    # When the training loss (mean over the epoch) first falls below the validation loss.
    cross = next((i + 1 for i, (a, b) in enumerate(zip(train, val)) if a < b), None)
    if cross is None:
        ja = f"この実行では、{epochs} エポックのあいだ一度も訓練損失が検証損失を下回りませんでした"
        en = f"In this run the training loss never fell below the validation loss in {epochs} epochs"
    elif cross == 1:
        ja = "この実行では、訓練損失は最初のエポックから検証損失より低いままでした"
        en = "In this run the training loss was below the validation loss from the first epoch on"
    else:
        stays = all(a < b for a, b in zip(train[cross - 1:], val[cross - 1:]))
        ja = (f"この実行では、エポック {cross} で訓練損失が初めて検証損失を下回り、"
              + ("その後は最後まで下のままでした" if stays else "その後も上下が入れ替わることがありました"))
        en = (f"In this run the training loss first fell below the validation loss at epoch {cross}"
              + (" and stayed below it to the end" if stays else ", and the two still changed places now and then"))
    ctx.value("crossing", "", ja=ja, en=en)

    # Measured with the same weights, the training loss is the lower one from the start.
    below = [i + 1 for i, (a, b) in enumerate(zip(train_at_end, val)) if a > b]
    ctx.check(not below, claim=f"{PAGE}: measured with the weights at the end of each epoch, the training loss is "
              "below the validation loss in every epoch (dotted curve; exercise 2)",
              detail=f"above it in epochs {below[:10]}")

    # The lag of the mean: its gap to the end-of-epoch measurement peaks while the loss falls fastest,
    # before the training loss drops below the validation loss (exercise 2, notebook Try it 2).
    lag = [a - b for a, b in zip(train, train_at_end)]
    peak = max(range(epochs), key=lag.__getitem__) + 1
    ctx.value("lag_peak_epoch", peak)
    ctx.value("lag_peak", lag[peak - 1], "{:.3f}")
    ctx.value("lag_last", lag[-1], "{:.3f}")
    ctx.check(train[0] > val[0], claim=f"{PAGE}, exercise 2 / notebook Try it 2: in the first epochs the mean training "
              "loss (solid line) lies above the validation loss", detail=f"epoch 1: train {train[0]:.3f}, val {val[0]:.3f}")
    ctx.check(cross is not None and peak <= cross and lag[-1] < lag[peak - 1],
              claim=f"{PAGE}, exercise 2 / notebook Try it 2: the gap between the mean and the end-of-epoch training loss "
              "is largest while the loss falls fastest, before the training loss drops below the validation loss, "
              "and smaller afterwards", detail=f"largest gap {lag[peak - 1]:.3f} at epoch {peak}, crossing at {cross}, last {lag[-1]:.3f}")

    before = [initial_loss] + train_at_end[:-1]
    drop = [a - b for a, b in zip(before, train_at_end)]  # how much each epoch lowered the (end-of-epoch) training loss
    ctx.check(drop[peak - 1] >= 0.5 * max(drop),
              claim=f"{PAGE}: the gap between the mean and the re-measured training loss was largest while the loss was "
              "falling fast", detail=f"epoch {peak} lowered the loss by {drop[peak - 1]:.3f}; the most any epoch did: {max(drop):.3f}")

    # The validation loss: where it was lowest, and what that says about overfitting.
    best, last = history.best_epoch, val[-1]
    if best == epochs:
        ja = f"検証損失は最後のエポックで最も小さく、{f.format(last)} でした"
        en = f"The validation loss was lowest in the last epoch, at {f.format(last)}"
        ja2 = (f"検証損失は {epochs} エポックのあいだ、まだ上がり始めていません。二本の曲線の差は開いていますが、"
               "学習を続けることは、まだ見たことのない画像にも役立っています")
        en2 = (f"within these {epochs} epochs the validation loss has not yet started to rise: the curves have moved "
               "apart, but further training still helps on images the model has never seen")
    else:
        ja = (f"検証損失はエポック {best} で最も小さく ({f.format(min(val))})、"
              f"そのあとは上がって最後は {f.format(last)} でした")
        en = (f"The validation loss was lowest at epoch {best} ({f.format(min(val))}) "
              f"and then rose, ending at {f.format(last)}")
        ja2 = (f"エポック {best} から最後までに、訓練損失は {f.format(train[best - 1])} から {f.format(train[-1])} へ"
               f"下がったのに、検証損失は {f.format(min(val))} から {f.format(last)} へ上がりました。"
               "ここから先の学習は、訓練データを覚え込むほうに進んでいます")
        en2 = (f"from epoch {best} to the end the training loss went down from {f.format(train[best - 1])} to "
               f"{f.format(train[-1])} while the validation loss went up from {f.format(min(val))} to {f.format(last)}: "
               "from there on, training went into memorising the training images")
        ctx.check(train[-1] < train[best - 1], claim=f"{PAGE}: after the best epoch the training loss went down",
                  detail=f"train {train[best - 1]:.3f} at epoch {best}, {train[-1]:.3f} at the end")
    ctx.value("val_summary", "", ja=ja, en=en)
    ctx.value("overfit_summary", "", ja=ja2, en=en2)
    ctx.value("final_gap_ratio", last / train[-1], "{:.0f}" if last / train[-1] >= 10 else "{:.1f}")
    ctx.check(train[-1] < train[0] and val[-1] < val[0] and train_at_end[-1] < train_at_end[0],
              claim=f"{PAGE}: the training loss fell from the first to the last epoch; all curves of the loss figure fall",
              detail=f"train {train[0]:.3f} → {train[-1]:.3f}, val {val[0]:.3f} → {val[-1]:.3f}")
    ctx.check(last > train[-1], claim=f"{PAGE}: at the end the validation loss is above the training loss",
              detail=f"val {last:.3f}, train {train[-1]:.3f}")


def record_lr_sweep(ctx: Context, data, history) -> None:
    """The notebook's Try it 1 with the page's model: the learning rate ÷ 10 and × 10."""
    p = ctx.params
    rates = {"small": p["lr"] / 10, "large": p["lr"] * 10}
    curves = {"mid": history.val_loss}
    for name, lr in rates.items():
        torch.manual_seed(0)
        h = fit_classifier(mlp([64, p["hidden"], 10]), data, epochs=p["epochs"], lr=lr, batch_size=p["batch_size"])
        curves[name] = h.val_loss
    rise = {k: max(max(b - a for a, b in zip(v, v[1:])), 0.0) for k, v in curves.items()}
    for k in ("small", "mid", "large"):
        ctx.value(f"lr_{k}_best", min(curves[k]), "{:.3f}")
        ctx.value(f"lr_{k}_after5", curves[k][4], "{:.3f}")
        ctx.value(f"lr_{k}_rise", rise[k], "{:.3f}")
    ctx.value("lr_small", rates["small"])
    ctx.value("lr_large", rates["large"])
    claim = f"{PAGE}, exercise 1 / notebook Try it 1: "
    ctx.check(min(curves["mid"]) < min(curves["small"]) and min(curves["mid"]) < min(curves["large"]),
              claim=claim + "the middle learning rate reaches the lowest validation loss of the three",
              detail=f"lowest: {', '.join(f'{k} {min(v):.3f}' for k, v in curves.items())}")
    ctx.check(curves["small"][4] > curves["mid"][4] and curves["small"][4] > curves["large"][4],
              claim=claim + "the smallest learning rate is the slowest: after five epochs its loss is the highest",
              detail=f"after 5 epochs: {', '.join(f'{k} {v[4]:.3f}' for k, v in curves.items())}")
    ctx.check(curves["large"][4] < curves["mid"][4],
              claim=claim + "the largest learning rate falls fastest at first (lowest loss after five epochs)",
              detail=f"after 5 epochs: {', '.join(f'{k} {v[4]:.3f}' for k, v in curves.items())}")
    ctx.check(rise["large"] > 5 * rise["mid"] and rise["large"] > 0.1,
              claim=claim + "the largest learning rate makes the validation loss jump up between epochs",
              detail=f"largest rise from one epoch to the next: {rise}")


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


def draw_loss(t, history, train_at_end: list[float]):
    epochs = range(1, len(history.train_loss) + 1)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.plot(epochs, history.train_loss, label=t("訓練データの損失 (エポック中の平均)", "training loss (mean over the epoch)"),
            linewidth=2, color=PALETTE[0])
    ax.plot(epochs, train_at_end, label=t("訓練データの損失 (エポックの終わりに測定)", "training loss (measured at the end of the epoch)"),
            linewidth=1.5, linestyle="--", color=PALETTE[0])
    ax.plot(epochs, history.val_loss, label=t("検証データの損失 (エポックの終わりに測定)", "validation loss (measured at the end of the epoch)"),
            linewidth=2, color=PALETTE[1])
    best = history.best_epoch
    ax.axvline(best, color="#777777", linestyle=":", linewidth=1)
    ax.annotate(t(f"検証損失が最小\n(エポック {best})", f"lowest validation loss\n(epoch {best})"),
                xy=(best, history.val_loss[best - 1]), xytext=(0.55, 0.45), textcoords="axes fraction",
                arrowprops={"arrowstyle": "->", "color": "#555555"}, fontsize=10)
    ax.set_yscale("log")
    ax.set_xlabel(t("エポック (訓練データを一巡した回数)", "epoch (passes over the training data)"))
    ax.set_ylabel(t("損失 (交差エントロピー, 対数軸)", "loss (cross-entropy, log scale)"))
    ax.set_title(t("損失は学習とともに下がる", "The loss falls as the model learns"))
    ax.legend(fontsize=8, loc="lower left")
    return fig
