"""Lecture 11, U-Net: the architecture drawn from a real module, and a small denoising task.

Model: aicourse.models.unet.UNet (encoder, decoder, skip connections). The diagram is drawn in
the style of Fig. 1 of Ronneberger et al. 2015 from the feature-map shapes recorded by
forward hooks while a tensor runs through the module: each bar's height follows the map's
spatial size and its width the number of channels. Task: remove Gaussian noise from
scikit-learn's digits (upsampled to 16×16); the figure shows held-out digits clean, noisy
and denoised. The same run trains the notebook's exercise, a U-Net whose skip connections
carry zeros instead of the encoder's maps (same layers, same parameter count), and guards
with ``ctx.check`` what the page says about the shapes and the errors.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, Rectangle

from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters
from aicourse.models.unet import UNet, pad_digits, trace_shapes, train_denoiser


class NoSkipUNet(UNet):
    """The notebook's exercise: the same layers, but zeros are concatenated instead of the encoder's maps."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:
                x = self.pool(x)
        for up, block in zip(self.up, self.up_conv):
            x = up(x)
            x = block(torch.cat([torch.zeros_like(x), x], dim=1))  # no copy from the encoder
        return self.head(x)


@experiment(
    name="unet",
    lecture="11-u-net",
    figures=["unet-architecture", "unet-denoising"],
    quick={"channels": [8, 16, 32], "steps": 300, "batch_size": 32, "noise": 0.5},
    full={"channels": [16, 32, 64], "steps": 3000, "batch_size": 64, "noise": 0.5},
)
def unet_experiment(ctx: Context) -> None:
    p = ctx.params
    torch.manual_seed(0)
    model = UNet(channels=tuple(p["channels"]))
    records = trace_shapes(model, torch.zeros(1, 1, 16, 16))

    x_train, _, x_val, _ = digits(seed=0)
    train_images, val_images = pad_digits(x_train), pad_digits(x_val)
    model.to(ctx.device)
    losses = train_denoiser(model, train_images.to(ctx.device), steps=p["steps"], noise=p["noise"],
                            batch_size=p["batch_size"],
                            on_step=lambda s, n, loss: ctx.progress(s, n, "step", loss=loss))
    model.cpu()
    gen = torch.Generator().manual_seed(1)
    noisy = val_images + p["noise"] * torch.randn(val_images.shape, generator=gen)
    with torch.no_grad():
        denoised = model(noisy)
    mse_noisy = torch.mean((noisy - val_images) ** 2).item()
    mse_denoised = torch.mean((denoised - val_images) ** 2).item()

    # The notebook's exercise: the same training without what the skip connections carry.
    torch.manual_seed(0)
    no_skip = NoSkipUNet(channels=tuple(p["channels"])).to(ctx.device)
    train_denoiser(no_skip, train_images.to(ctx.device), steps=p["steps"], noise=p["noise"], batch_size=p["batch_size"],
                   on_step=lambda s, n, loss: ctx.progress(s, n, "step (no skip)", loss=loss))
    no_skip.cpu()
    with torch.no_grad():
        mse_no_skip = torch.mean((no_skip(noisy) - val_images) ** 2).item()

    ctx.value("parameters", count_parameters(model), "{:,}")
    c, h, w = records[0][2]
    ctx.value("input_shape", f"{c}×{h}×{w}")
    bottom = max(records, key=lambda r: r[2][0])[2]
    ctx.value("bottom_shape", f"{bottom[0]}×{bottom[1]}×{bottom[2]}")
    ctx.value("levels", len(p["channels"]))
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("noise", p["noise"])
    ctx.value("val_size", len(val_images), "{:,}")
    ctx.value("final_loss", float(np.mean(losses[-20:])), "{:.4f}")
    ctx.value("mse_noisy", mse_noisy, "{:.4f}")
    ctx.value("mse_denoised", mse_denoised, "{:.4f}")
    ctx.value("mse_ratio", mse_noisy / mse_denoised, "{:.1f}")
    ctx.value("mse_no_skip", mse_no_skip, "{:.4f}")
    ctx.value("no_skip_ratio", mse_no_skip / mse_denoised, "{:.1f}")
    ctx.value("no_skip_parameters", count_parameters(no_skip), "{:,}")
    clearly = mse_no_skip > 1.3 * mse_denoised  # the gap shrinks with long training (full: about 1.1×)
    ctx.value("no_skip_verdict", clearly,
              ja="U-Net よりはっきり大きくなりました" if clearly else "U-Net よりわずかに大きいだけでした",
              en="clearly larger than the U-Net's" if clearly else "only slightly larger than the U-Net's")
    ctx.value("bottom_values", bottom[0] * bottom[1] * bottom[2], "{:,}")

    # Sizes the page states: the input side, the bottom map, and the divisor 2^(levels - 1).
    levels = len(p["channels"])
    divisor = 2 ** (levels - 1)
    side, bottom_side = h, bottom[1]
    ctx.value("side", side)
    ctx.value("bottom_side", bottom_side)
    ctx.value("divisor", divisor)
    ctx.value("bottom_side_8", 8 // divisor)
    ctx.check(side == 16 and bottom_side == side // divisor == 4 and records[-1][2][1:] == (16, 16),
              claim="11 page (figure alt text): the maps shrink from 16×16 to 4×4 and grow back to 16×16",
              detail=f"input {side}×{side}, bottom {bottom_side}×{bottom_side}, output {records[-1][2][1:]}")
    ctx.check(mse_denoised < mse_noisy,
              claim="11 page: the U-Net's output is closer to the clean images than the noisy input",
              detail=f"MSE noisy {mse_noisy:.4f}, U-Net {mse_denoised:.4f}")
    # Short training (quick) shows a large gap; long training (full, CPU check: 0.0126 against 0.0116) a small one.
    ctx.check(mse_denoised < mse_no_skip < mse_noisy and count_parameters(no_skip) == count_parameters(model),
              claim="11 page and notebook, exercise 1: without the skip connections the error is larger "
                    "(same parameters), though still below the noisy input's",
              detail=f"MSE U-Net {mse_denoised:.4f}, without skips {mse_no_skip:.4f}, noisy {mse_noisy:.4f}")

    ctx.figure("unet-architecture", lambda t: draw_architecture(t, records))
    ctx.figure("unet-denoising", lambda t: draw_denoising(t, val_images[:8], noisy[:8], denoised[:8]),
               fmt="png", dpi=100)


# Arrow colours and their meaning, as in the paper's legend.
ARROWS = {
    "conv": (PALETTE[0], ("3×3 畳み込み + ReLU", "conv 3×3, ReLU")),
    "pool": (PALETTE[3], ("2×2 最大値プーリング", "max pool 2×2")),
    "up": (PALETTE[2], ("2×2 逆畳み込み (転置畳み込み)", "up-conv 2×2")),
    "copy": ("#888888", ("コピーして連結 (スキップ接続)", "copy and concatenate (skip connection)")),
    "head": (PALETTE[5], ("1×1 畳み込み", "conv 1×1")),
}


def draw_architecture(t, records):
    # Bar height per pixel, width per channel (the widest bar is 1.2 units), space between bars.
    size_scale, ch_scale, gap = 0.16, 1.2 / max(r[2][0] for r in records), 0.55
    level_y = {0: 8.0, 1: 4.9, 2: 2.7, 3: 1.2}
    fig, ax = plt.subplots(figsize=(11, 7.4))
    ax.set_aspect("equal")
    ax.axis("off")

    def bar(x, level, shape, fill=PALETTE[0], alpha=0.55):
        c, h, _ = shape
        width, height = max(c * ch_scale, 0.06), h * size_scale
        y = level_y[level] - height / 2
        ax.add_patch(Rectangle((x, y), width, height, facecolor=fill, alpha=alpha, edgecolor="#333333", linewidth=0.8))
        ax.text(x + width / 2, y + height + 0.08, str(c), ha="center", va="bottom", fontsize=8)
        return x, width, y, height

    def arrow(a, b, kind):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=ARROWS[kind][0], linewidth=1.6))

    level, x = 0, 0.0
    last = None                       # (x, width, y, height) of the previous bar
    encoder_end = {}                  # level -> right edge of its last encoder bar
    for kind, _, shape in records:
        if kind == "input":
            last = bar(x, level, shape, fill="#dddddd")
            ax.text(x - 0.15, level_y[0], t(f"入力\n{shape[1]}×{shape[2]}", f"input\n{shape[1]}×{shape[2]}"),
                    ha="right", va="center", fontsize=9)
        elif kind in ("conv", "head"):
            x = last[0] + last[1] + gap
            new = bar(x, level, shape, fill=PALETTE[5] if kind == "head" else PALETTE[0])
            arrow((last[0] + last[1], level_y[level]), (x, level_y[level]), kind)
            last = new
        elif kind == "pool":
            encoder_end[level] = last[0] + last[1]
            level += 1
            new = bar(last[0], level, shape)
            arrow((last[0] + last[1] / 2, last[2]), (last[0] + last[1] / 2, level_y[level] + shape[1] * size_scale / 2 + 0.4), "pool")
            ax.text(last[0] - 0.1, level_y[level], f"{shape[1]}×{shape[2]}", ha="right", va="center", fontsize=9)
            last = new
        elif kind == "up":
            level -= 1
            x = last[0] + last[1] + gap
            copy = bar(x, level, shape, fill="white", alpha=1.0)          # the encoder map copied across
            arrow((encoder_end[level], level_y[level]), (x, level_y[level]), "copy")
            new = bar(x + copy[1], level, shape, fill=PALETTE[2])         # the up-convolved map
            arrow((last[0] + last[1] / 2, last[2] + last[3]), (x + copy[1] + new[1] / 2, new[2]), "up")
            last = new
    ax.text(last[0] + last[1] + 0.15, level_y[0], t(f"出力\n{records[-1][2][1]}×{records[-1][2][2]}",
                                                     f"output\n{records[-1][2][1]}×{records[-1][2][2]}"),
            ha="left", va="center", fontsize=9)

    # Legend: one sample arrow per kind.
    lx, ly = 0.2, 0.9
    for i, (kind, (color, (ja, en))) in enumerate(ARROWS.items()):
        yy = ly - 0.42 * i
        ax.add_patch(FancyArrowPatch((lx, yy), (lx + 0.7, yy), arrowstyle="-|>", mutation_scale=12, color=color, linewidth=1.6))
        ax.text(lx + 0.85, yy, t(ja, en), va="center", fontsize=9)
    ax.add_patch(Rectangle((lx + 5.6, ly - 0.15), 0.12, 0.35, facecolor="white", edgecolor="#333333", linewidth=0.8))
    ax.text(lx + 5.85, ly + 0.02, t("白い棒: コピーされた符号化器の特徴マップ", "white bar: copied encoder feature map"),
            va="center", fontsize=9)
    ax.text(lx + 5.6, ly - 0.5, t("棒の高さ ∝ 縦横の大きさ、幅 ∝ チャンネル数 (上の数字)",
                                  "bar height ∝ spatial size, width ∝ channels (number on top)"), va="center", fontsize=9)
    ax.set_xlim(-1.3, last[0] + last[1] + 1.4)
    ax.set_ylim(-1.4, 10.0)
    ax.set_title(t("この講義の U-Net (フックで記録した実際の特徴マップの形から作図)",
                   "This lecture's U-Net, drawn from the real feature-map shapes recorded by hooks"), fontsize=12)
    return fig


def draw_denoising(t, clean, noisy, denoised):
    rows = [(t("元の画像", "clean"), clean), (t("ノイズを加えた入力", "noisy input"), noisy),
            (t("U-Net の出力", "U-Net output"), denoised)]
    fig, axes = plt.subplots(3, len(clean), figsize=(1.0 * len(clean) + 1.4, 3.6))
    for r, (label, images) in enumerate(rows):
        for c in range(len(clean)):
            ax = axes[r, c]
            ax.imshow(images[c, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
    fig.suptitle(t("検証用の数字のノイズ除去", "Denoising held-out digits"), fontsize=11)
    fig.tight_layout()
    return fig
