"""Lecture 08, foundation models: a timeline of the models that led to them, and the idea in miniature.

Timeline: release dates of models and papers, each with its source (arXiv identifier of the
paper, or the day of the public release), drawn on a time axis coloured by kind.

Miniature: pretrain one masked autoencoder on the unlabelled digit images (self-supervised:
rebuild each image from a copy with half of its pixels hidden), then adapt it many times
with a few labels per digit as a linear probe, and compare with a network of the same widths
trained from scratch on the same few examples. The notebook runs the same code with the same
seeds; its "Try it" cells (other pretraining settings; fine-tuning everything; a linear
classifier on the raw pixels) are computed here too, so the page's exercises quote this run.
Every comparison the page states is worded from the numbers (it can go either way with few
seeds); what must hold for the lesson to make sense is guarded with ``ctx.check``.
"""

from __future__ import annotations

import copy
import time
from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from aicourse.data import digits
from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE
from aicourse.models.autoencoder import Autoencoder, mean_image_error
from aicourse.models.foundation import adapt_on_few, fit_masked_autoencoder, linear_probe
from aicourse.training import count_parameters, mlp

# (date, name, kind, source). Papers: the date of the first arXiv version; products: the public release.
EVENTS = [
    (date(2013, 1, 16), "word2vec", "text", "arXiv:1301.3781"),
    (date(2017, 6, 12), "Transformer", "text", "arXiv:1706.03762"),
    (date(2018, 6, 11), "GPT", "text", "OpenAI, 2018-06-11"),
    (date(2018, 10, 11), "BERT", "text", "arXiv:1810.04805"),
    (date(2019, 2, 14), "GPT-2", "text", "OpenAI, 2019-02-14"),
    (date(2020, 5, 28), "GPT-3", "text", "arXiv:2005.14165"),
    (date(2021, 2, 24), "DALL·E", "image", "arXiv:2102.12092"),
    (date(2021, 2, 26), "CLIP", "image", "arXiv:2103.00020"),
    (date(2021, 8, 16), "foundation model", "term", "arXiv:2108.07258"),
    (date(2022, 8, 22), "Stable Diffusion", "image", "Stability AI, 2022-08-22"),
    (date(2022, 11, 30), "ChatGPT", "text", "OpenAI, 2022-11-30"),
    (date(2023, 2, 24), "LLaMA", "text", "Meta, 2023-02-24"),
    (date(2023, 7, 18), "Llama 2", "text", "Meta, 2023-07-18"),
    (date(2023, 9, 27), "Mistral 7B", "text", "Mistral AI, 2023-09-27"),
]

KINDS = {
    "text": (PALETTE[0], ("言語", "language")),
    "image": (PALETTE[2], ("画像・画像と言語", "images, images + language")),
    "term": (PALETTE[3], ("「基盤モデル」という用語", "the term \"foundation model\"")),
}


# The notebook's settings (lectures/08-foundation-models.ipynb): keep the two in step.
WIDTHS = [64, 128, 32]      # the autoencoder's encoder; the decoder mirrors it
PRETRAIN_EPOCHS = 60
FRACTION = 0.5              # the share of pixels hidden in pretraining
EPOCHS = 100                # adaptation: Adam, learning rate 0.003
TRY_LABELS = (1, 5, 20)     # labels per digit in the second "Try it" cell
TRY_PRETRAIN = ((0.0, 60), (0.5, 200))  # (fraction, epochs) in the first "Try it" cell, at 2 labels per digit

# name: (ja, en) as the page refers to each way of adapting
METHODS = {
    "probe": ("線形プローブ", "the linear probe"),
    "scratch": ("一から学習したネットワーク", "the network trained from scratch"),
    "finetune": ("全体のファインチューニング", "fine-tuning everything"),
    "pixels": ("画素の上の線形分類器", "the linear classifier on the pixels"),
}


@experiment(
    name="foundation-models",
    lecture="08-foundation-models",
    figures=["foundation-timeline", "foundation-probe"],
    quick={"label_counts": [1, 2, 5, 10, 20], "seeds": 5},
    full={"label_counts": [1, 2, 5, 10, 20, 50], "seeds": 10},
)
def foundation_models(ctx: Context) -> None:
    events = sorted(EVENTS)
    ctx.value("first_year", events[0][0].year)
    ctx.value("last_year", events[-1][0].year)
    ctx.value("events", len(events))
    term = next(e for e in events if e[2] == "term")[0]
    ctx.value("months_term_to_sd", _months(term, next(e[0] for e in events if e[1] == "Stable Diffusion")))
    ctx.figure("foundation-timeline", lambda t: draw_timeline(t, events))
    miniature(ctx)


def _pretrain(x_train, x_val, fraction: float, epochs: int):
    """One masked autoencoder, seeded as in the notebook; returns it, its validation errors and the seconds taken."""
    torch.manual_seed(0)
    model = Autoencoder(WIDTHS)
    start = time.perf_counter()
    _, val = fit_masked_autoencoder(model, x_train, x_val, epochs=epochs, fraction=fraction)
    return model, val, time.perf_counter() - start


def _points(a: float, b: float) -> float:
    return round(100 * (a - b), 1)


def _compare(a: float, b: float, names: tuple[tuple[str, str], tuple[str, str]]) -> dict[str, str]:
    """Wording for "a against b" from the numbers: which was higher and by how many points (or about the same)."""
    d = _points(a, b)
    if abs(d) < 0.5:
        return {"ja": "両者はほぼ同じでした", "en": "the two were about the same"}
    (ja_hi, en_hi), diff = (names[0] if d > 0 else names[1]), abs(d)
    return {"ja": f"{ja_hi}のほうが {diff:.1f} ポイント高くなりました",
            "en": f"{en_hi} came out {diff:.1f} points higher"}


def miniature(ctx: Context) -> None:
    p = ctx.params
    counts, seeds = list(p["label_counts"]), range(p["seeds"])
    assert all(n in counts for n in TRY_LABELS) and 2 in counts, "the page quotes 1, 2, 5 and 20 labels per digit"
    torch.set_num_threads(1)
    x_train, y_train, x_val, y_val = data = digits(seed=0)

    # -- pretraining, once, without labels ---------------------------------------
    base, val_err, pretrain_seconds = _pretrain(x_train, x_val, FRACTION, PRETRAIN_EPOCHS)
    baseline = mean_image_error(x_train, x_val)
    ctx.value("train_images", len(x_train), "{:,}")
    ctx.value("val_images", len(x_val), "{:,}")
    ctx.value("pretrain_epochs", PRETRAIN_EPOCHS)
    ctx.value("pretrain_val_error", val_err[-1], "{:.4f}")
    ctx.value("mean_image_error", baseline, "{:.4f}")
    ctx.check(val_err[-1] < baseline,
              claim="08 page: pretraining rebuilds hidden pixels better than answering the average digit",
              detail=f"masked rebuild error {val_err[-1]:.4f}, average digit {baseline:.4f}")

    # -- adapting, many times, with few labels -----------------------------------
    makers = {
        "probe": lambda: linear_probe(base.encoder, WIDTHS[-1]),
        "scratch": lambda: mlp(WIDTHS + [10]),
        "finetune": lambda: nn.Sequential(copy.deepcopy(base.encoder), nn.ReLU(), nn.Linear(WIDTHS[-1], 10)),
        "pixels": lambda: nn.Linear(WIDTHS[0], 10),
    }
    runs: dict[str, dict[int, list[dict]]] = {}
    total = 2 * len(counts) * len(seeds) + 2 * len(TRY_LABELS) * len(seeds)
    done = 0
    for name in makers:
        wanted = counts if name in ("probe", "scratch") else TRY_LABELS
        runs[name] = {}
        for n in wanted:
            runs[name][n] = [adapt_on_few(makers[name], data, n, s, epochs=EPOCHS) for s in seeds]
            done += len(seeds)
            ctx.progress(done, total, "adaptation runs")
    mean = {name: {n: float(np.mean([r["accuracy"] for r in rs])) for n, rs in by_n.items()} for name, by_n in runs.items()}

    trainable = {name: runs[name][TRY_LABELS[0]][0]["trainable"] for name in makers}
    total_params = count_parameters(base, trainable_only=False)
    ctx.value("params_total", total_params, "{:,}")
    for name, n in trainable.items():
        ctx.value(f"trainable_{name}", n, "{:,}")
    ctx.check(10 * trainable["probe"] < trainable["scratch"] and trainable["finetune"] == trainable["scratch"],
              claim="08 page: the linear probe trains a small fraction of the parameters that training from scratch does "
                    "(and fine-tuning everything trains as many as training from scratch)",
              detail=f"trainable parameters {trainable}")
    ctx.value("seeds", len(seeds))
    ctx.value("labels_max", counts[-1])
    for name in makers:
        for n, a in mean[name].items():
            if n in TRY_LABELS or n == counts[-1]:
                ctx.value(f"acc_{name}_{n}", 100 * a, "{:.1f} %")
    ctx.value("acc_probe_max", 100 * mean["probe"][counts[-1]], "{:.1f} %")
    ctx.value("acc_scratch_max", 100 * mean["scratch"][counts[-1]], "{:.1f} %")

    pair = (METHODS["probe"], METHODS["scratch"])
    lo, hi = counts[0], counts[-1]
    w = _compare(mean["probe"][lo], mean["scratch"][lo], pair)
    ctx.value("few_comparison", _points(mean["probe"][lo], mean["scratch"][lo]), ja=w["ja"], en=w["en"])
    w = _compare(mean["probe"][hi], mean["scratch"][hi], pair)
    ctx.value("many_comparison", _points(mean["probe"][hi], mean["scratch"][hi]), ja=w["ja"], en=w["en"])

    # do the ranges over the picks of examples overlap at the fewest labels?
    pr = [r["accuracy"] for r in runs["probe"][lo]]
    sc = [r["accuracy"] for r in runs["scratch"][lo]]
    overlap = min(pr) <= max(sc) and min(sc) <= max(pr)
    ctx.value("few_overlap", overlap,
              ja="ただし、例の選び方による最小から最大までの幅は二つのあいだで重なっていて、選び方しだいで順位が入れ替わることがありました"
                 if overlap else "例の選び方による最小から最大までの幅も、二つのあいだで重なりませんでした",
              en="The ranges from the lowest to the highest pick overlapped, though, so some picks reversed the order"
                 if overlap else "Even the ranges from the lowest to the highest pick did not overlap")

    # where (if anywhere) training from scratch first overtakes the probe
    over = [n for n in counts if mean["scratch"][n] > mean["probe"][n]]
    if not over:
        ja = "試した範囲では、一から学習したネットワークが平均で線形プローブを上回ることはありませんでした"
        en = "Within the range tried, the network trained from scratch never overtook the linear probe on average"
    elif over[0] == lo:
        ja = "一から学習したネットワークは、ラベルが最も少ないときから平均で線形プローブを上回っていました"
        en = "The network trained from scratch was ahead of the linear probe on average from the fewest labels on"
    else:
        ja = f"一から学習したネットワークが平均で線形プローブを初めて上回ったのは、数字ごとに {over[0]} 枚のときでした"
        en = f"The network trained from scratch first overtook the linear probe on average at {over[0]} labels per digit"
    ctx.value("crossover", over[0] if over else 0, ja=ja, en=en)

    for n in (TRY_LABELS[0], TRY_LABELS[-1]):  # what pretraining added over the same linear layer on raw pixels
        ctx.value(f"gain_over_pixels_{n}", _points(mean["probe"][n], mean["pixels"][n]), "{:+.1f}")
    for key, n in (("best_few", TRY_LABELS[0]), ("best_many", TRY_LABELS[-1])):
        best = max(makers, key=lambda m: mean[m][n])
        ctx.value(key, best, ja=METHODS[best][0], en=METHODS[best][1])

    # -- the cost of building and the cost of using --------------------------------
    probe_seconds = float(np.mean([r["seconds"] for rs in runs["probe"].values() for r in rs]))
    ctx.value("pretrain_seconds", pretrain_seconds, "{:.1f}")
    ctx.value("probe_seconds", probe_seconds, "{:.2f}")
    ctx.value("probe_runs", sum(len(rs) for rs in runs["probe"].values()))
    ctx.value("cost_ratio", pretrain_seconds / probe_seconds, "{:.0f}")
    ctx.check(pretrain_seconds > 3 * probe_seconds,
              claim="08 page: pretraining once takes longer than one adaptation",
              detail=f"pretraining {pretrain_seconds:.2f} s, one linear-probe run {probe_seconds:.3f} s")

    # -- "Try it" 1: other pretraining settings, linear probe with 2 labels per digit ----
    ctx.value("acc2_base", 100 * mean["probe"][2], "{:.1f} %")
    other = {}
    for fraction, epochs in TRY_PRETRAIN:
        model, val, _ = _pretrain(x_train, x_val, fraction, epochs)
        acc = [adapt_on_few(lambda: linear_probe(model.encoder, WIDTHS[-1]), data, 2, s, epochs=EPOCHS)["accuracy"]
               for s in seeds]
        other[(fraction, epochs)] = (float(np.mean(acc)), val[-1])
    nomask, _ = other[TRY_PRETRAIN[0]]
    longer, long_err = other[TRY_PRETRAIN[1]]
    ctx.value("acc2_nomask", 100 * nomask, "{:.1f} %")
    ctx.value("acc2_long", 100 * longer, "{:.1f} %")
    ctx.value("long_val_error", long_err, "{:.4f}")
    ctx.check(long_err < val_err[-1],
              claim="08 page: longer pretraining rebuilds the hidden pixels better",
              detail=f"masked rebuild error {val_err[-1]:.4f} after {PRETRAIN_EPOCHS} epochs, {long_err:.4f} after {TRY_PRETRAIN[1][1]}")
    w = _compare(nomask, mean["probe"][2], (("何も隠さない事前学習", "pretraining without hiding"),
                                            ("半分を隠す事前学習", "pretraining with half hidden")))
    ctx.value("nomask_vs_base", _points(nomask, mean["probe"][2]), ja=w["ja"], en=w["en"])
    d = _points(longer, mean["probe"][2])
    if abs(d) < 0.5:
        ja, en = "適応の正解率はほぼ変わりませんでした", "while the adapted accuracy hardly changed"
    elif d > 0:
        ja, en = f"適応の正解率は {d:.1f} ポイント上がりました", f"and the adapted accuracy rose by {d:.1f} points"
    else:
        ja, en = f"適応の正解率はかえって {-d:.1f} ポイント下がりました", f"but the adapted accuracy even fell by {-d:.1f} points"
    ctx.value("long_vs_base", d, ja=ja, en=en)

    ctx.figure("foundation-probe", lambda t: draw_probe(t, counts, runs))


def draw_probe(t, counts, runs):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    labels = {"probe": t("線形プローブ (事前学習した符号化器を凍結)", "linear probe (pretrained encoder, frozen)"),
              "scratch": t("一から学習 (同じ幅、ランダムな初期値)", "from scratch (same widths, random start)")}
    for name, color in (("probe", PALETTE[0]), ("scratch", PALETTE[1])):
        acc = np.array([[100 * r["accuracy"] for r in runs[name][n]] for n in counts])
        ax.plot(counts, acc.mean(axis=1), "o-", color=color, label=labels[name])
        ax.fill_between(counts, acc.min(axis=1), acc.max(axis=1), color=color, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks(counts, [str(n) for n in counts])
    ax.minorticks_off()
    ax.set_xlabel(t("数字ごとのラベル付きの例の数 (対数目盛り)", "labelled examples per digit (log scale)"))
    ax.set_ylabel(t("検証データの正解率 (%)", "held-out accuracy (%)"))
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(t("線は例の選び方を変えた平均、帯は最小から最大", "lines: mean over picks of examples; bands: lowest to highest"),
                 fontsize=10)
    fig.tight_layout()
    return fig


def _months(a: date, b: date) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def draw_timeline(t, events):
    fig, ax = plt.subplots(figsize=(11, 4.6))
    years = [e[0].year + (e[0].timetuple().tm_yday - 1) / 365.25 for e in events]
    levels = [1.0, -1.0, 1.9, -1.9, 2.8, -2.8]   # alternate above and below the axis so labels do not collide
    for i, ((day, name, kind, source), x) in enumerate(zip(events, years)):
        color = KINDS[kind][0]
        y = levels[i % len(levels)]
        ax.vlines(x, 0, y, color=color, linewidth=1.2)
        ax.plot(x, 0, "o", color=color, markersize=6, zorder=3)
        label = t("基盤モデル (用語)", "foundation model (term)") if kind == "term" else name.replace("Stable ", "Stable\n")
        ax.text(x, y + (0.12 if y > 0 else -0.12), f"{label}\n{day:%Y-%m}",
                ha="center", va="bottom" if y > 0 else "top", fontsize=9, color=color)
    ax.axhline(0, color="#555555", linewidth=1)
    ax.set_ylim(-3.9, 3.9)
    ax.set_xlim(2012.5, 2024.3)
    ax.set_xticks(range(2013, 2025))
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.grid(False)
    for kind, (color, (ja, en)) in KINDS.items():
        ax.plot([], [], "o", color=color, label=t(ja, en))
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    ax.set_title(t("基盤モデルへの道のり (論文は arXiv 初版の日付、製品は公開日)",
                   "The road to foundation models (papers: first arXiv version; products: public release)"), fontsize=11)
    fig.tight_layout()
    return fig
