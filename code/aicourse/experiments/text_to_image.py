"""Lecture 09, text to image: the parts of a real diffusers StableDiffusionPipeline, drawn.

Model: a StableDiffusionPipeline built from tiny randomly initialised components of the
same classes as Stable Diffusion (aicourse.models.tiny_sd), since no model hub is reachable in the
build. The figure names each part as ``pipe.components`` does, with its class and parameter
count, and shows the latent shape recorded during a real call of the pipeline.
"""

from __future__ import annotations

import torch

from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.models.tiny_sd import component_table, tiny_pipeline


@experiment(
    name="text-to-image",
    lecture="09-text-to-image",
    figures=["sd-pipeline"],
    quick={"steps": 4, "size": 64},
    full={"steps": 4, "size": 64},
)
def text_to_image(ctx: Context) -> None:
    p = ctx.params
    pipe = tiny_pipeline(seed=0)
    pipe.set_progress_bar_config(disable=True)
    rows = component_table(pipe)

    # One real call; a callback records the latents' shape at each denoising step.
    latent_shapes = []

    def record(pipeline, step, timestep, kwargs):
        latent_shapes.append(tuple(kwargs["latents"].shape))
        return kwargs

    image = pipe("a watercolour fox", num_inference_steps=p["steps"], height=p["size"], width=p["size"],
                 generator=torch.Generator().manual_seed(0), callback_on_step_end=record).images[0]
    latent = latent_shapes[0]
    scale = pipe.vae_scale_factor

    params = {name: n for name, _, n in rows}
    classes = {name: cls for name, cls, _ in rows}
    ctx.value("components", ", ".join(f"`{name}`" for name, _, _ in rows))
    for name, n in params.items():
        if n:
            ctx.value(f"params_{name}", n, "{:,}")
    ctx.value("params_total", sum(params.values()), "{:,}")
    ctx.value("latent_shape", "×".join(str(d) for d in latent[1:]))
    ctx.value("image_size", f"{image.size[0]}×{image.size[1]}")
    ctx.value("vae_scale_factor", scale)
    ctx.value("steps", len(latent_shapes))  # rounds really taken; PNDM may take one more than requested
    ctx.value("requested_steps", p["steps"])
    ctx.value("scheduler", classes["scheduler"])
    ctx.value("sd_latent_512", f"{latent[1]}×{512 // scale}×{512 // scale}")
    ctx.value("pixels_per_latent", (image.size[0] * image.size[1] * 3) / (latent[1] * latent[2] * latent[3]), "{:.0f}")

    ctx.figure("sd-pipeline", lambda t: draw_pipeline(t, classes, params, latent, image.size, len(latent_shapes)))


def draw_pipeline(t, classes, params, latent, image_size, steps):
    fig, ax = canvas(13.4, 7.2, scale=0.78)

    def label(name, ja, en):
        n = params.get(name, 0)
        count = t(f"\nパラメータ {n:,}", f"\n{n:,} parameters") if n else ""
        return f"{name}\n{classes[name]}\n" + t(ja, en) + count

    c, h, w = latent[1:]
    y_top, y_bot = 4.6, 1.6
    box(ax, (1.3, y_top), t("プロンプト\n\"a watercolour fox\"", "prompt\n\"a watercolour fox\""), 2.2, 1.1, "#777777", fontsize=9)
    box(ax, (4.1, y_top), label("tokenizer", "文字列 → トークン ID", "text → token ids"), 2.6, 1.5, PALETTE[4], fontsize=9)
    box(ax, (7.3, y_top), label("text_encoder", "トークン → 文の埋め込み", "tokens → text embeddings"), 3.0, 1.7, PALETTE[0], fontsize=9)
    box(ax, (1.3, y_bot), t(f"乱数の潜在変数\n{c}×{h}×{w}", f"random latents\n{c}×{h}×{w}"), 2.2, 1.1, "#777777", fontsize=9)
    box(ax, (5.0, y_bot), label("unet", "ノイズを予測\n(クロスアテンションで文を参照)", "predicts the noise\n(reads the text by cross-attention)"),
        3.6, 2.1, PALETTE[2], fontsize=9)
    box(ax, (5.0, -0.9), label("scheduler", "ノイズを引いて次の潜在変数へ", "removes noise: next latents"), 3.6, 1.2, PALETTE[1], fontsize=9)
    box(ax, (9.6, y_bot), label("vae", "復号化器: 潜在変数 → 画像", "decoder: latents → image"), 3.2, 1.7, PALETTE[3], fontsize=9)
    box(ax, (12.4, y_bot), t(f"画像\n{image_size[0]}×{image_size[1]}×3", f"image\n{image_size[0]}×{image_size[1]}×3"), 1.6, 1.1, "#777777", fontsize=9)

    arrow(ax, (2.4, y_top), (2.8, y_top))
    arrow(ax, (5.4, y_top), (5.8, y_top))
    arrow(ax, (7.3, y_top - 0.85), (5.6, y_bot + 1.05), t("条件", "condition"), text_offset=(0.45, -0.1))
    arrow(ax, (2.4, y_bot), (3.2, y_bot))
    arrow(ax, (4.2, y_bot - 1.1), (4.2, -0.25), color=PALETTE[1])
    arrow(ax, (5.8, -0.25), (5.8, y_bot - 1.1), color=PALETTE[1])
    ax.text(6.95, -0.9, t(f"この往復を\n{steps} 回", f"{steps} rounds\nof this loop"), fontsize=10, color=PALETTE[1], va="center")
    arrow(ax, (6.8, y_bot), (8.0, y_bot), t(f"{c}×{h}×{w}", f"{c}×{h}×{w}"))
    arrow(ax, (11.2, y_bot), (11.6, y_bot))
    ax.set_ylim(-1.7, 5.6)
    ax.set_title(t("diffusers の StableDiffusionPipeline の部品 (pipe.components の名前とクラス)",
                   "The parts of diffusers' StableDiffusionPipeline (names and classes from pipe.components)"), fontsize=12)
    return fig
