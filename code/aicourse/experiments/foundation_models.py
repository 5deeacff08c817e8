"""Lecture 08, foundation models: a timeline of the models that led to them.

Data: release dates of models and papers, each with its source (arXiv identifier of the
paper, or the day of the public release). Figure: the events on a time axis, coloured by
kind (text, images / text and images, the term itself).
"""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt

from aicourse.figures import Context, experiment
from aicourse.figures.style import PALETTE

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


@experiment(
    name="foundation-models",
    lecture="08-foundation-models",
    figures=["foundation-timeline"],
    quick={},
    full={},
)
def foundation_models(ctx: Context) -> None:
    events = sorted(EVENTS)
    ctx.value("first_year", events[0][0].year)
    ctx.value("last_year", events[-1][0].year)
    ctx.value("events", len(events))
    term = next(e for e in events if e[2] == "term")[0]
    ctx.value("months_term_to_sd", _months(term, next(e[0] for e in events if e[1] == "Stable Diffusion")))
    ctx.figure("foundation-timeline", lambda t: draw_timeline(t, events))


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
