"""Lecture 04, what generative AI is: tasks compared by how many values their output has.

"Dimension" here means the number of output values a model produces for one input:
class probabilities for a classifier, pixel values for an image generator, and for a
text generator one probability per vocabulary entry at every position of the text
(the text itself is the sequence of tokens chosen from those probabilities).
Sizes are computed where the library knows them: the digits' class count from
scikit-learn, GPT-2's vocabulary and context length from transformers' GPT-2 config
(built from defaults, nothing downloaded). ImageNet's 1000 classes are the ILSVRC
subset (Deng et al. 2009; Russakovsky et al. 2015), quoted, not computed.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator

from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE

IMAGENET_CLASSES = 1000  # ILSVRC-2012 classification subset of ImageNet (Russakovsky et al., IJCV 2015)


@experiment(
    name="generative-ai",
    lecture="04-generative-ai",
    figures=["output-sizes"],
    quick={},
    full={},
)
def generative_ai(ctx: Context) -> None:
    from sklearn.datasets import load_digits
    from transformers import GPT2Config

    digit_classes = len(load_digits().target_names)
    gpt2 = GPT2Config()  # the library's defaults are GPT-2 (small)'s settings
    vocab, n_tokens = gpt2.vocab_size, gpt2.n_positions
    img512, img1024 = 512 * 512 * 3, 1024 * 1024 * 3
    text_scores = n_tokens * vocab

    ctx.value("digit_classes", digit_classes)
    ctx.value("imagenet_classes", IMAGENET_CLASSES, "{:,}")
    ctx.value("img512", img512, "{:,}")
    ctx.value("img1024", img1024, "{:,}")
    ctx.value("vocab", vocab, "{:,}")
    ctx.value("n_tokens", n_tokens, "{:,}")
    ctx.value("text_scores", text_scores, "{:,}")
    ctx.value("text_log10_outcomes", n_tokens * math.log10(vocab), "{:,.0f}")
    ctx.value("ratio_img_digits", img1024 / digit_classes, "{:,.0f}")

    rows = [  # (group, label, value)
        (0, ("手書き数字の分類\n(0〜9 の確率)", "handwritten digit class\n(probabilities of 0–9)"), digit_classes),
        (1, ("ImageNet の画像認識\n(1,000 クラスの確率)", "ImageNet recognition\n(probabilities of 1,000 classes)"), IMAGENET_CLASSES),
        (2, ("512×512 カラー画像の生成\n(画素値)", "generating a 512×512 RGB image\n(pixel values)"), img512),
        (2, ("1024×1024 カラー画像の生成\n(画素値)", "generating a 1024×1024 RGB image\n(pixel values)"), img1024),
        (2, (f"{n_tokens:,} トークンの文章の生成\n(各位置で {vocab:,} 語の確率)",
             f"generating {n_tokens:,} tokens of text\n({vocab:,} probabilities per position)"), text_scores),
    ]
    ctx.figure("output-sizes", lambda t: draw_sizes(t, rows))


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
