"""Lecture 10, CLIP: a tiny contrastive image–text model trained on digits and captions.

Data: scikit-learn's 8×8 digits; each image's caption is written from its label in one
of several English and Japanese templates. Model: an image encoder (MLP) and a text
encoder (characters → convolution → average), trained with the symmetric InfoNCE loss
and a learnable temperature (aicourse.models.clip). Figures: the similarity matrix of a real
batch of held-out images and captions, and zero-shot accuracy on held-out images for
each prompt template, against chance.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from aicourse.models import clip
from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE
from aicourse.training import count_parameters


@experiment(
    name="clip",
    lecture="10-clip",
    figures=["clip-similarity", "clip-zero-shot"],
    quick={"steps": 400, "batch_size": 128, "dim": 32, "hidden": 128},
    full={"steps": 3000, "batch_size": 256, "dim": 64, "hidden": 256},
)
def clip_experiment(ctx: Context) -> None:
    p = ctx.params
    x_train, y_train, x_val, y_val = digits(seed=0)
    # The model is small enough that the CPU trains it in seconds, in both profiles.
    model, tokenizer, losses = clip.train(
        x_train, y_train, steps=p["steps"], batch_size=p["batch_size"], dim=p["dim"], hidden=p["hidden"],
        on_step=lambda s, n, loss: ctx.progress(s, n, "step", loss=loss),
    )

    # Zero-shot: held-out images, classified only by their similarity to ten class prompts.
    results = []
    for template in clip.ZERO_SHOT_TEMPLATES:
        pred = clip.zero_shot_classify(model, tokenizer, x_val, template)
        results.append((template, template in clip.TRAIN_TEMPLATES, (pred == y_val).float().mean().item()))
    unseen = [r for r in results if not r[1]]

    ctx.value("parameters", count_parameters(model), "{:,}")
    ctx.value("train_size", len(x_train), "{:,}")
    ctx.value("val_size", len(x_val), "{:,}")
    ctx.value("steps", p["steps"], "{:,}")
    ctx.value("batch_size", p["batch_size"])
    ctx.value("dim", p["dim"])
    ctx.value("first_loss", losses[0], "{:.2f}")
    ctx.value("final_loss", float(np.mean(losses[-20:])), "{:.2f}")
    ctx.value("chance_loss", float(np.log(p["batch_size"])), "{:.2f}")
    # Captions of the same digit are near duplicates, so a batch holds about batch/10 right answers per row.
    ctx.value("floor_loss", float(np.log(p["batch_size"] / 10)), "{:.2f}")
    ctx.value("temperature", 1 / model.logit_scale.exp().clamp(max=100).item(), "{:.3f}")
    ctx.value("zero_shot_seen", 100 * results[0][2], "{:.1f} %")
    ctx.value("zero_shot_unseen_en", 100 * unseen[0][2], "{:.1f} %")
    ctx.value("zero_shot_unseen_ja", 100 * unseen[1][2], "{:.1f} %")
    ctx.value("zero_shot_accuracy", 100 * unseen[0][2], "{:.1f} %")
    ctx.value("chance", 10.0, "{:.0f} %")

    # One batch of held-out images, one of each of eight digits, with captions in several templates.
    rng = np.random.default_rng(3)
    classes = rng.permutation(10)[:8]
    images = torch.stack([x_val[(y_val == c).nonzero()[0, 0]] for c in classes])
    texts = [clip.caption(int(c), clip.TRAIN_TEMPLATES[i % len(clip.TRAIN_TEMPLATES)]) for i, c in enumerate(classes)]
    with torch.no_grad():
        sim = (model.encode_image(images) @ model.encode_text(tokenizer(texts)).T).numpy()

    ctx.figure("clip-similarity", lambda t: draw_similarity(t, images.numpy(), texts, sim))
    ctx.figure("clip-zero-shot", lambda t: draw_zero_shot(t, results, losses))


def draw_similarity(t, images, texts, sim):
    n = len(texts)
    fig = plt.figure(figsize=(7.6, 6.7))
    h = 0.6 * 7.6 / 6.7                                   # square cells
    ax = fig.add_axes([0.2, 0.04, 0.6, h])
    im = ax.imshow(sim, cmap="viridis", vmin=-1, vmax=1)
    ax.grid(False)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=8,
                    color="black" if sim[i, j] > 0.3 else "white")
        ax.add_patch(plt.Rectangle((i - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=PALETTE[3], linewidth=2.4))
    ax.set_xticks(range(n))
    ax.set_xticklabels(texts, rotation=40, ha="left", fontsize=9)
    ax.xaxis.tick_top()
    ax.set_yticks(range(n))
    ax.set_yticklabels([])
    ax.tick_params(length=0)
    # The images themselves, as row labels.
    for i in range(n):
        y0 = 0.04 + h * (n - 1 - i) / n
        inset = fig.add_axes([0.12, y0 + 0.006, 0.07, h / n - 0.012])
        inset.imshow(images[i].reshape(8, 8), cmap="gray_r")
        inset.axis("off")
    fig.text(0.1, 0.04 + h / 2, t("画像 (検証用)", "images (held out)"), rotation=90, ha="center", va="center", fontsize=10)
    cax = fig.add_axes([0.83, 0.04, 0.025, h])
    fig.colorbar(im, cax=cax, label=t("コサイン類似度", "cosine similarity"))
    fig.suptitle(t("学習した小さな CLIP のバッチ類似度行列 (枠 = 正しい組 = 対角線)",
                   "Batch similarity matrix of the trained tiny CLIP (framed = true pairs, on the diagonal)"),
                 fontsize=11, y=0.985)
    fig.text(0.2, 0.9, t("キャプション →", "captions →"), ha="left", fontsize=10)
    return fig


def draw_zero_shot(t, results, losses):
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1, 1.3]})
    ax0.plot(np.arange(1, len(losses) + 1), losses, linewidth=1, color=PALETTE[0])
    ax0.set_xlabel(t("学習ステップ", "training step"))
    ax0.set_ylabel(t("対照損失 (InfoNCE)", "contrastive loss (InfoNCE)"))
    ax0.set_title(t("学習中の損失", "Loss during training"), fontsize=11)

    labels = [tmpl.format(w="…", d="…", k="…") + "\n" + (t("(学習で使用)", "(used in training)") if seen
                                                          else t("(学習で未使用)", "(unseen in training)"))
              for tmpl, seen, _ in results]
    accs = [100 * a for _, _, a in results]
    colors = [PALETTE[0] if seen else PALETTE[2] for _, seen, _ in results]
    bars = ax1.barh(range(len(results)), accs, color=colors)
    for b, a in zip(bars, accs):
        ax1.text(a - 2, b.get_y() + b.get_height() / 2, f"{a:.1f} %", va="center", ha="right", color="white", fontsize=10)
    ax1.axvline(10, color=PALETTE[3], linestyle="--")
    ax1.text(11, -0.5, t("偶然 10 %", "chance 10 %"), color=PALETTE[3], fontsize=9)
    ax1.set_yticks(range(len(results)))
    ax1.set_yticklabels(labels, fontsize=9)
    ax1.set_ylim(len(results) - 0.5, -0.75)
    ax1.set_xlim(0, 100)
    ax1.set_xlabel(t("検証画像でのゼロショット正解率 (%)", "zero-shot accuracy on held-out images (%)"))
    ax1.set_title(t("プロンプトのテンプレート別", "By prompt template"), fontsize=11)
    fig.tight_layout()
    return fig
