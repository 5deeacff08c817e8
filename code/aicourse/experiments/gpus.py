"""Lecture 05, GPUs: matrix-multiplication throughput measured on the machine that builds the site.

Multiplying two n×n matrices takes 2n³ floating-point operations (n³ multiplications and
n³ additions), so dividing by the measured time gives operations per second. The CPU is
always measured; a GPU too when PyTorch sees one. Every curve carries the device's real name.
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import torch

from matplotlib.patches import Rectangle

from aicourse.figures import Context, experiment
from aicourse.figures.diagram import box, canvas
from aicourse.figures.style import PALETTE
from aicourse.gpus import cpu_name, matmul_gflops


@experiment(
    name="gpus",
    lecture="05-gpus",
    figures=["cpu-vs-gpu-cores", "matmul-throughput"],
    quick={"sizes": [64, 128, 256, 512, 1024], "repeats": 3, "cpu_max": 1024},
    full={"sizes": [64, 128, 256, 512, 1024, 2048, 4096, 8192], "repeats": 10, "cpu_max": 4096},
)
def gpus(ctx: Context) -> None:
    p = ctx.params
    # Measure the whole CPU: the pipeline runs experiments on one thread unless they say otherwise.
    torch.set_num_threads(os.cpu_count() or 1)
    sizes = p["sizes"]
    results = {}
    names = {"cpu": cpu_name()}
    results["cpu"] = []
    cpu_sizes = [n for n in sizes if n <= p["cpu_max"]]  # the largest products would take minutes on a CPU
    for i, n in enumerate(cpu_sizes):
        results["cpu"].append(matmul_gflops(n, "cpu", p["repeats"]))
        ctx.progress(i + 1, len(cpu_sizes), "cpu size", n=n)
    has_gpu = torch.cuda.is_available()
    if has_gpu:
        names["cuda"] = torch.cuda.get_device_name(0)
        results["cuda"] = [matmul_gflops(n, "cuda", p["repeats"]) for n in sizes]

    cpu_peak = max(results["cpu"])
    ctx.value("cpu_name", names["cpu"])
    ctx.value("cpu_cores", os.cpu_count() or 1)
    ctx.value("cpu_threads", torch.get_num_threads())
    ctx.value("cpu_peak", cpu_peak, "{:,.1f} GFLOP/s")
    ctx.value("cpu_peak_size", cpu_sizes[results["cpu"].index(cpu_peak)])
    ctx.value("cpu_small", results["cpu"][0], "{:,.1f} GFLOP/s")
    ctx.value("smallest", sizes[0])
    ctx.value("largest", sizes[-1])
    ctx.value("cpu_largest", cpu_sizes[-1])
    ctx.value("largest_flops", 2 * sizes[-1] ** 3 / 1e9, "{:,.2f}")
    if has_gpu:
        gpu_peak = max(results["cuda"])
        props = torch.cuda.get_device_properties(0)
        ctx.value("gpu_sms", props.multi_processor_count)
        ctx.value("gpu_result", gpu_peak,
                  ja=f"GPU ({names['cuda']}) の最高は {gpu_peak:,.1f} GFLOP/s で、CPU の最高の {gpu_peak / cpu_peak:,.0f} 倍でした。",
                  en=f"The GPU ({names['cuda']}) peaked at {gpu_peak:,.1f} GFLOP/s, {gpu_peak / cpu_peak:,.0f} times the CPU's best.")
    else:
        ctx.value("gpu_sms", "-")
        ctx.value("gpu_result", 0,
                  ja="このページを作ったマシンには GPU がなかったため、GPU は測定していません。図は CPU だけの結果です。",
                  en="The machine that built this page had no GPU, so no GPU was measured; the figure shows the CPU only.")

    ctx.figure("cpu-vs-gpu-cores", lambda t: draw_cores(t))
    ctx.figure("matmul-throughput", lambda t: draw_throughput(t, sizes, results, names))


def draw_cores(t):
    """A schematic: a few large cores working through tasks one after another, against many small cores at once."""
    fig, ax = canvas(12, 5.0, scale=0.72)
    box(ax, (2.9, 4.45), t("CPU: 少数の強力なコア", "CPU: a few powerful cores"), 5.2, 0.6, PALETTE[0], fontsize=10.5)
    for i in range(4):
        box(ax, (1.0 + 1.27 * i, 3.0), t(f"コア\n{i + 1}", f"core\n{i + 1}"), 1.05, 1.3, PALETTE[0], fontsize=9)
    ax.text(2.9, 1.4, t("複雑な処理を一つずつ速く\n(分岐・順番のある仕事が得意)",
                        "complex steps, one after another, fast\n(good at branching, ordered work)"),
            ha="center", va="center", fontsize=10)
    box(ax, (9.0, 4.45), t("GPU: 多数の単純なコア", "GPU: many simple cores"), 5.2, 0.6, PALETTE[2], fontsize=10.5)
    for r in range(6):
        for c in range(16):
            ax.add_patch(Rectangle((6.55 + 0.31 * c, 2.1 + 0.27 * r), 0.24, 0.2, facecolor=PALETTE[2], alpha=0.6))
    ax.text(9.0, 1.4, t("同じ単純な計算を大量に同時に\n(行列の掛け算が得意)",
                        "the same simple sum, many at once\n(good at multiplying matrices)"),
            ha="center", va="center", fontsize=10)
    ax.text(6.0, 0.35, t("模式図 (コアの数は実物を表していません)", "schematic (core counts are not to scale)"),
            ha="center", va="center", fontsize=9, color="#555555")
    return fig


def draw_throughput(t, sizes, results, names):
    fig, ax = plt.subplots(figsize=(7.2, 4.2))
    ax.plot(sizes[: len(results["cpu"])], results["cpu"], "o-", linewidth=2, color=PALETTE[0], label=f"CPU: {names['cpu']}")
    if "cuda" in results:
        ax.plot(sizes, results["cuda"], "s-", linewidth=2, color=PALETTE[2], label=f"GPU: {names['cuda']}")
        title = t("行列積の速さ (このサイトを構築したマシンで測定)", "Matrix-multiply speed (measured on the build machine)")
    else:
        title = t("行列積の速さ (構築したマシンに GPU はなく、CPU のみ測定)",
                  "Matrix-multiply speed (no GPU on the build machine: CPU only)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(n) for n in sizes])
    ax.set_xlabel(t("行列の大きさ n (n×n どうしの積)", "matrix size n (n×n times n×n)"))
    ax.set_ylabel(t(r"GFLOP/s (= $2n^3$ / 時間 / $10^9$)", r"GFLOP/s (= $2n^3$ / time / $10^9$)"))
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8.5, loc="lower right")
    fig.tight_layout()
    return fig
