"""Lecture 09, text to image: the parts of a real diffusers StableDiffusionPipeline, drawn.

Model: a StableDiffusionPipeline built from tiny randomly initialised components of the
same classes as Stable Diffusion (aicourse.models.tiny_sd), since no model hub is reachable in the
build. The figure names each part as ``pipe.components`` does, with its class and parameter
count, and shows the latent shape recorded during a real call of the pipeline.

Measured as well, with forward hooks: the batch size the U-Net sees with classifier-free
guidance on (``guidance_scale`` > 1) and off (= 1), and which halves of the VAE run while
generating; and, with torch's FLOP counter, how the U-Net's cost grows with the number of
spatial positions (latent size against image size).
"""

from __future__ import annotations

import torch

from aicourse.figures import Context, experiment
from aicourse.figures.diagram import arrow, box, canvas
from aicourse.figures.style import PALETTE
from aicourse.models.tiny_sd import component_table, record_calls, tiny_pipeline, unet_flops


@experiment(
    name="text-to-image",
    lecture="09-text-to-image",
    figures=["sd-pipeline"],
    quick={"steps": 4, "size": 64, "guidance": 7.5},
    full={"steps": 4, "size": 64, "guidance": 7.5},
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

    # guidance_scale as the notebook uses it (7.5, diffusers' default): classifier-free guidance on.
    with record_calls(pipe) as guided:
        image = pipe("a watercolour fox", num_inference_steps=p["steps"], guidance_scale=p["guidance"],
                     height=p["size"], width=p["size"],
                     generator=torch.Generator().manual_seed(0), callback_on_step_end=record).images[0]
    # The same call with guidance off (guidance_scale = 1): no unconditional half.
    with record_calls(pipe) as plain:
        pipe("a watercolour fox", num_inference_steps=p["steps"], guidance_scale=1.0, height=p["size"], width=p["size"],
             generator=torch.Generator().manual_seed(0))
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
    ctx.value("latent_values_512", latent[1] * (512 // scale) ** 2, "{:,}")
    ctx.value("image_values_512", 512 * 512 * 3, "{:,}")

    # Classifier-free guidance: one U-Net call per round, on a batch holding both halves.
    batch_cfg, batch_plain = set(guided["unet_batch"]), set(plain["unet_batch"])
    ctx.check(batch_cfg == {2 * next(iter(batch_plain))} and len(batch_plain) == 1,
              claim="09 page: with guidance_scale > 1 every round runs the U-Net once on a doubled batch "
                    "(conditional and unconditional halves); with guidance_scale = 1 on a single one",
              detail=f"U-Net batch sizes with guidance {p['guidance']}: {guided['unet_batch']}, with 1: {plain['unet_batch']}")
    ctx.check(len(guided["unet_batch"]) == len(latent_shapes) == len(plain["unet_batch"]),
              claim="09 page: the U-Net is called once per denoising round, guided or not",
              detail=f"{len(guided['unet_batch'])} and {len(plain['unet_batch'])} U-Net calls for {len(latent_shapes)} rounds")
    ctx.value("guidance", p["guidance"], "{:g}")
    ctx.value("unet_batch_cfg", next(iter(batch_cfg)))
    ctx.value("unet_batch_nocfg", next(iter(batch_plain)))
    ctx.value("unet_calls", len(guided["unet_batch"]), **times(len(guided["unet_batch"])))
    ctx.value("text_encoder_calls_cfg", guided["text_encoder"], **times(guided["text_encoder"]))
    ctx.value("text_encoder_calls_nocfg", plain["text_encoder"], **times(plain["text_encoder"]))

    # Generating from text runs only the VAE's decoder; its encoder serves training and image-to-image.
    ctx.check(guided["vae_encoder"] == 0 and guided["vae_decoder"] == 1,
              claim="09 page: generating an image from text runs only the VAE decoder (once), never its encoder",
              detail=f"encoder ran {guided['vae_encoder']} times, decoder {guided['vae_decoder']} times")
    ctx.value("vae_encoder_calls", guided["vae_encoder"], **times(guided["vae_encoder"]))
    ctx.value("vae_decoder_calls", guided["vae_decoder"], **times(guided["vae_decoder"]))
    ctx.value("scaling_factor", pipe.vae.config.scaling_factor, "{:g}")

    # The U-Net's cost follows the number of spatial positions: count its FLOPs on the latent
    # (size / scale) and, the same network, on an input as large as the image.
    small, large = unet_flops(pipe.unet, p["size"] // scale), unet_flops(pipe.unet, p["size"])
    positions = scale ** 2
    conv_ratio = large["convolution"] / small["convolution"]
    attn_ratio = large["attention"] / small["attention"]
    ctx.check(abs(conv_ratio - positions) < 0.01 * positions,
              claim="09 page: the convolutions' FLOPs grow exactly with the number of positions",
              detail=f"convolution FLOPs ×{conv_ratio:.2f} for ×{positions} positions")
    ctx.check(attn_ratio > positions,
              claim="09 page: attention grows faster than the number of positions (self-attention is quadratic)",
              detail=f"attention FLOPs ×{attn_ratio:.1f} for ×{positions} positions")
    ctx.value("position_ratio", positions)
    ctx.value("unet_mflop_latent", small["total"] / 1e6, "{:,.0f}")
    ctx.value("unet_mflop_image", large["total"] / 1e6, "{:,.0f}")
    ctx.value("unet_flop_ratio", large["total"] / small["total"], "{:.0f}")
    ctx.value("conv_flop_ratio", conv_ratio, "{:.0f}")
    ctx.value("attn_flop_ratio", attn_ratio, "{:,.0f}")

    ctx.figure("sd-pipeline", lambda t: draw_pipeline(t, classes, params, latent, image.size, len(latent_shapes),
                                                      next(iter(batch_cfg)), p["guidance"]))


def times(n: int) -> dict[str, str]:
    """A count of calls, worded per language: ``1 回`` / ``once``."""
    return {"ja": f"{n} 回", "en": {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")}


def draw_pipeline(t, classes, params, latent, image_size, steps, unet_batch, guidance):
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
    arrow(ax, (7.3, y_top - 0.85), (5.6, y_bot + 1.05), t("条件: 文と空の文", "condition: text and empty text"),
          text_offset=(1.25, -0.1))
    arrow(ax, (2.4, y_bot), (3.2, y_bot))
    arrow(ax, (4.2, y_bot - 1.1), (4.2, -0.25), color=PALETTE[1])
    arrow(ax, (5.8, -0.25), (5.8, y_bot - 1.1), color=PALETTE[1])
    ax.text(6.95, -0.9, t(f"この往復を\n{steps} 回", f"{steps} rounds\nof this loop"), fontsize=10, color=PALETTE[1], va="center")
    arrow(ax, (6.8, y_bot), (8.0, y_bot), t(f"{c}×{h}×{w}", f"{c}×{h}×{w}"))
    arrow(ax, (11.2, y_bot), (11.6, y_bot))
    # Classifier-free guidance, as measured by a hook on the U-Net in this call.
    ax.text(0.15, 3.05, t(f"guidance_scale = {guidance:g}: unet は毎回\nバッチ {unet_batch} で呼ばれる\n(条件付き + 条件なし (空の文))",
                          f"guidance_scale = {guidance:g}: each unet call\nruns on a batch of {unet_batch}\n(conditional + unconditional (empty text))"),
            fontsize=8.5, color=PALETTE[2], va="center", ha="left")
    ax.set_ylim(-1.7, 5.6)
    ax.set_title(t("diffusers の StableDiffusionPipeline の部品 (pipe.components の名前とクラス)",
                   "The parts of diffusers' StableDiffusionPipeline (names and classes from pipe.components)"), fontsize=12)
    return fig
