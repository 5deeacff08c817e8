"""Lecture 06, adapting models: full fine-tuning against LoRA, and int8 quantization, on real runs.

Data: scikit-learn's 8×8 digits. A base model (an MLP) is pre-trained on the digits 0–4 only.
The new task is reading the digits 5–9, which the base model has never been shown.
Both adaptation methods start from the same base model: full fine-tuning trains every
parameter; LoRA freezes them and trains small low-rank adapters (``aicourse.models.adapting``).
Then the base model's weights are quantized to int8 and the error, size and accuracy measured.
"""

from __future__ import annotations

import copy

import matplotlib.pyplot as plt
import torch
from torch import nn

from aicourse.models.adapting import add_lora, dequantize_int8, fit_trainable, quantize_int8, quantized_copy, weight_bytes
from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters, evaluate, mlp


@experiment(
    name="adapting-models",
    lecture="06-adapting-models",
    figures=["fine-tuning-flow", "full-vs-lora", "int8-quantization"],
    quick={"hidden": 128, "pretrain_epochs": 30, "epochs": 40, "rank": 4, "alpha": 8,
           "lr_full": 0.003, "lr_lora": 0.01},
    full={"hidden": 256, "pretrain_epochs": 60, "epochs": 40, "rank": 4, "alpha": 8,
          "lr_full": 0.003, "lr_lora": 0.01},
)
def adapting_models(ctx: Context) -> None:
    p = ctx.params
    x_train, y_train, x_val, y_val = digits(seed=0)
    old_tr, old_va = y_train < 5, y_val < 5
    old = (x_train[old_tr], y_train[old_tr], x_val[old_va], y_val[old_va])  # digits 0–4
    new = (x_train[~old_tr], y_train[~old_tr], x_val[~old_va], y_val[~old_va])  # digits 5–9
    loss_fn = nn.CrossEntropyLoss()

    # 1. The base model: pre-trained on 0–4 only (10 outputs, so the label set stays the same).
    torch.manual_seed(0)
    base = mlp([64, p["hidden"], p["hidden"], 10])
    fit_trainable(base, old, epochs=p["pretrain_epochs"], lr=p["lr_full"],
                  on_epoch=lambda e, h: ctx.progress(e, p["pretrain_epochs"], "pre-train epoch"))
    base.eval()
    base_old_acc = evaluate(base, loss_fn, old[2], old[3])[1]
    base_new_acc = evaluate(base, loss_fn, new[2], new[3])[1]

    # 2a. Full fine-tuning: a copy of the base model, every parameter trainable.
    full_model = copy.deepcopy(base)
    h_full = fit_trainable(full_model, new, epochs=p["epochs"], lr=p["lr_full"],
                           on_epoch=lambda e, h: ctx.progress(e, p["epochs"], "full fine-tuning epoch"))
    # 2b. LoRA: the same base model, frozen, with rank-r adapters on every Linear layer.
    torch.manual_seed(0)
    lora_model = add_lora(base, r=p["rank"], alpha=p["alpha"])
    h_lora = fit_trainable(lora_model, new, epochs=p["epochs"], lr=p["lr_lora"],
                           on_epoch=lambda e, h: ctx.progress(e, p["epochs"], "LoRA epoch"))
    n_full = count_parameters(full_model)
    n_lora = count_parameters(lora_model)  # counts only requires_grad parameters: the adapters
    old_after_full = evaluate(full_model, loss_fn, old[2], old[3])[1]

    ctx.value("base_params", n_full, "{:,}")
    ctx.value("lora_params", n_lora, "{:,}")
    ctx.value("lora_percent", 100 * n_lora / n_full, "{:.1f} %")
    ctx.value("rank", p["rank"])
    ctx.value("alpha", p["alpha"])
    ctx.value("hidden", p["hidden"])
    ctx.value("epochs", p["epochs"])
    ctx.value("pretrain_epochs", p["pretrain_epochs"])
    ctx.value("lr_full", p["lr_full"])
    ctx.value("lr_lora", p["lr_lora"])
    ctx.value("old_train_size", len(old[0]), "{:,}")
    ctx.value("new_train_size", len(new[0]), "{:,}")
    ctx.value("new_val_size", len(new[2]), "{:,}")
    ctx.value("base_old_accuracy", 100 * base_old_acc, "{:.1f} %")
    ctx.value("base_new_accuracy", 100 * base_new_acc, "{:.1f} %")
    ctx.value("full_accuracy", 100 * h_full.val_accuracy[-1], "{:.1f} %")
    ctx.value("lora_accuracy", 100 * h_lora.val_accuracy[-1], "{:.1f} %")
    ctx.value("lora_gap", 100 * (h_full.val_accuracy[-1] - h_lora.val_accuracy[-1]), "{:.1f}")
    ctx.value("full_old_accuracy", 100 * old_after_full, "{:.1f} %")

    # 3. int8 quantization of the base model's real weights.
    first = base[0].weight.detach()
    q, scale = quantize_int8(first)
    err = (first - dequantize_int8(q, scale)).abs()
    errors = {}
    for pc in (False, True):
        e_all = torch.cat([(m.weight - dequantize_int8(*quantize_int8(m.weight.detach(), pc))).abs().flatten()
                           for m in base if isinstance(m, nn.Linear)])
        errors[pc] = (e_all.max().item(), e_all.mean().item())
    acc_fp32 = base_old_acc
    acc_tensor = evaluate(quantized_copy(base, False), loss_fn, old[2], old[3])[1]
    acc_channel = evaluate(quantized_copy(base, True), loss_fn, old[2], old[3])[1]
    b32, b8t, b8c = weight_bytes(base), weight_bytes(base, False), weight_bytes(base, True)
    ctx.value("q_scale", scale.item(), "{:.5f}")
    ctx.value("q_first_max_error", err.max().item(), "{:.5f}")
    ctx.value("q_max_error", errors[False][0], "{:.5f}")
    ctx.value("q_mean_error", errors[False][1], "{:.6f}")
    ctx.value("q_max_error_channel", errors[True][0], "{:.5f}")
    ctx.value("q_mean_error_channel", errors[True][1], "{:.6f}")
    ctx.value("bytes_fp32", b32, "{:,}")
    ctx.value("bytes_int8", b8t, "{:,}")
    ctx.value("bytes_int8_channel", b8c, "{:,}")
    ctx.value("size_ratio", b8t / b32, "{:.3f}")
    ctx.value("size_ratio_channel", b8c / b32, "{:.3f}")
    ctx.value("acc_fp32", 100 * acc_fp32, "{:.1f} %")
    ctx.value("acc_int8", 100 * acc_tensor, "{:.1f} %")
    ctx.value("acc_int8_channel", 100 * acc_channel, "{:.1f} %")

    ctx.figure("fine-tuning-flow", lambda t: draw_flow(t, n_full, len(new[0]), base_new_acc, h_full.val_accuracy[-1]))
    ctx.figure("full-vs-lora", lambda t: draw_compare(t, n_full, n_lora, h_full, h_lora, p["rank"]))
    ctx.figure("int8-quantization", lambda t: draw_quant(t, first, q, err, scale.item()))


def draw_flow(t, n_params, n_new, acc_before, acc_after):
    fig, ax = canvas(12, 4.6, scale=0.72)
    box(ax, (1.7, 3.3), t(f"ベースモデル\n数字 0〜4 で事前学習\n{n_params:,} パラメータ",
                          f"base model\npre-trained on 0–4\n{n_params:,} parameters"), 3.0, 1.4, PALETTE[0])
    box(ax, (1.7, 1.0), t(f"追加データ\n数字 5〜9 の {n_new:,} 枚", f"new data\n{n_new:,} images\nof the digits 5–9"),
        3.0, 1.4, PALETTE[5])
    box(ax, (6.0, 2.15), t("ファインチューニング\n(追加学習)", "fine-tuning\n(further training)"), 2.8, 1.4, PALETTE[1])
    box(ax, (10.2, 2.15), t("特化モデル\n数字 5〜9 を読む", "specialised model\nreads the digits 5–9"), 3.0, 1.4, PALETTE[2])
    arrow(ax, (3.2, 3.1), (4.6, 2.4))
    arrow(ax, (3.2, 1.2), (4.6, 1.9))
    arrow(ax, (7.4, 2.15), (8.7, 2.15))
    ax.text(6.0, 4.3, t(f"5〜9 の検証正解率: 前 {100 * acc_before:.1f} % → 後 {100 * acc_after:.1f} % (全パラメータ更新)",
                        f"accuracy on 5–9: before {100 * acc_before:.1f} % → after {100 * acc_after:.1f} % (all parameters)"),
            ha="center", va="center", fontsize=10.5, color=PALETTE[3])
    return fig


def draw_compare(t, n_full, n_lora, h_full, h_lora, rank):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.5, 3.9), gridspec_kw={"width_ratios": [1, 1.6]})
    names = [t("全体の\nファインチューニング", "full\nfine-tuning"), t(f"LoRA\n(ランク {rank})", f"LoRA\n(rank {rank})")]
    bars = ax1.bar(names, [n_full, n_lora], color=[PALETTE[0], PALETTE[1]])
    for b, n in zip(bars, [n_full, n_lora]):
        ax1.text(b.get_x() + b.get_width() / 2, n * 1.15, f"{n:,}", ha="center", va="bottom", fontsize=10)
    ax1.set_yscale("log")
    ax1.set_ylim(top=max(n_full, n_lora) * 6)
    ax1.set_ylabel(t("学習するパラメータ数 (対数軸)", "trainable parameters (log scale)"))
    ax1.set_title(t("更新する数値の量", "How many numbers are trained"), fontsize=11)
    ax1.grid(axis="x", visible=False)
    epochs = range(1, len(h_full.val_accuracy) + 1)
    ax2.plot(epochs, [100 * a for a in h_full.val_accuracy], label=t("全体のファインチューニング", "full fine-tuning"),
             linewidth=2, color=PALETTE[0])
    ax2.plot(epochs, [100 * a for a in h_lora.val_accuracy], label="LoRA", linewidth=2, color=PALETTE[1])
    ax2.set_ylim(0, 102)
    ax2.set_xlabel(t("エポック", "epoch"))
    ax2.set_ylabel(t("数字 5〜9 の検証正解率 (%)", "validation accuracy on 5–9 (%)"))
    ax2.set_title(t("同じベースモデルから同じ課題へ", "Same base model, same new task"), fontsize=11)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    return fig


def draw_quant(t, w, q, err, scale):
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.5))
    axes[0].hist(w.flatten().numpy(), bins=80, color=PALETTE[0])
    axes[0].set_title(t("元の重み (32 ビット浮動小数点)", "original weights (32-bit float)"), fontsize=10.5)
    axes[0].set_xlabel(t("重みの値", "weight value"))
    axes[0].set_ylabel(t("個数", "count"))
    axes[1].hist(q.flatten().numpy(), bins=range(-128, 129), color=PALETTE[1])
    axes[1].set_title(t("int8 の整数 q (-127〜127)", "int8 integers q (-127 to 127)"), fontsize=10.5)
    axes[1].set_xlabel(t(f"q  (重み ≈ {scale:.4f} × q)", f"q  (weight ≈ {scale:.4f} × q)"))
    axes[2].hist(err.flatten().numpy(), bins=60, color=PALETTE[3])
    axes[2].axvline(scale / 2, color="#333333", linestyle=":", linewidth=1.4,
                    label=t("刻み幅の半分 (scale/2)", "half a step (scale/2)"))
    axes[2].legend(loc="lower center", fontsize=9, framealpha=0.95)
    axes[2].set_title(t("戻したときの誤差 |w - scale·q|", "error after decoding |w - scale·q|"), fontsize=10.5)
    axes[2].set_xlabel(t("絶対誤差", "absolute error"))
    for ax in axes:
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 3))
    fig.suptitle(t("第 1 層の重みを int8 にする (テンソル全体で一つの scale)",
                   "Quantizing the first layer's weights to int8 (one scale for the whole tensor)"), fontsize=12)
    fig.tight_layout()
    return fig
