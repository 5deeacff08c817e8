"""Lecture 01, what AI is: the "build versus use" schematic (the car metaphor), drawn by code.

No training here: the figure is a diagram. Building is a long chain (data, model
design, training, evaluation), like designing and manufacturing a car; using is a
short path (an input goes through the trained model and comes out as an output), like driving one.
"""

from __future__ import annotations

from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE


@experiment(
    name="what-is-ai",
    lecture="01-what-is-ai",
    figures=["build-vs-use"],
    quick={},
    full={},
)
def what_is_ai(ctx: Context) -> None:
    ctx.figure("build-vs-use", draw_build_vs_use)


def draw_build_vs_use(t):
    fig, ax = canvas(13, 7.2, scale=0.72)
    # Left half: building (the car factory).
    ax.text(3.4, 6.7, t("作る (AI の研究・開発)  ≈ 自動車を設計し製造する", "Building AI (research, development)\n≈ designing and making a car"),
            ha="center", va="center", fontsize=11, color=PALETTE[3])
    steps = [t("データを集めて整える", "collect and clean data"),
             t("モデルの構造を設計する", "design the model"),
             t("学習させる (計算機・時間)", "train it (compute, time)"),
             t("評価し、直して繰り返す", "evaluate, fix, repeat")]
    ys = [5.5, 4.2, 2.9, 1.6]
    for y, s in zip(ys, steps):
        box(ax, (3.4, y), s, 4.6, 0.9, PALETTE[3], fontsize=10)
    for a, b in zip(ys[:-1], ys[1:]):
        arrow(ax, (3.4, a - 0.45), (3.4, b + 0.45))
    arrow(ax, (1.05, 1.6), (1.05, 5.5), rad=-0.4, color="#777777")  # the loop back, on the left: the right side hands over
    ax.text(3.4, 0.55, t("専門知識と大きな計算資源が要る", "needs expertise and large computing resources"),
            ha="center", va="center", fontsize=10, color="#444444")
    # The hand-over: building ends in a trained model, and using goes through that same model.
    box(ax, (7.7, 3.55), t("学習済み\nモデル", "trained\nmodel"), 1.7, 1.3, PALETTE[4], fontsize=10)
    arrow(ax, (5.75, 3.55), (6.8, 3.55))
    # Right half: using (driving): input -> trained model -> output, a short path.
    ax.text(10.6, 6.7, t("使う (AI の利用)  ≈ 自動車を運転する", "Using AI\n≈ driving a car"),
            ha="center", va="center", fontsize=11, color=PALETTE[2])
    box(ax, (10.9, 5.0), t("入力\n(文章・画像)", "input\n(text, image)"), 1.9, 1.1, PALETTE[2], fontsize=10)
    box(ax, (10.9, 2.1), t("出力\n(答え・画像)", "output\n(answer, image)"), 1.9, 1.1, PALETTE[2], fontsize=10)
    arrow(ax, (9.9, 4.75), (8.6, 3.95), rad=0.25, color=PALETTE[2])
    arrow(ax, (8.6, 3.15), (9.9, 2.35), rad=0.25, color=PALETTE[2])
    ax.text(12.1, 3.55, t("数行のコードや\nアプリの画面\nから使える", "usable from\na few lines of\ncode or an app"),
            ha="center", va="center", fontsize=10, color="#444444")
    ax.text(10.6, 0.75, t("深層学習と公開された道具が\nこの側を身近にした", "deep learning and shared tools\nmade this side easy to reach"),
            ha="center", va="center", fontsize=10, color=PALETTE[2])
    return fig
