"""Lecture 05, GPUs: matrix-multiplication throughput measured on the machine that builds the site.

Multiplying two n×n matrices takes 2n³ floating-point operations (n³ multiplications and
n³ additions), so dividing by the measured time gives operations per second. The CPU is
always measured; a GPU too when PyTorch sees one. Every curve carries the device's real name.

The page's sentences about the run are worded from the measured values: how much slower the
smallest size ran than the best (``size_effect``), how the GPU compared (``gpu_result``), and the
results of the notebook's two "Try it" tasks, quoted in the page's exercises: one CPU thread
against all of them (``threads_result``), and a product written as a plain-Python triple loop
(``python_result``).
"""

from __future__ import annotations

import os
import time

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
    cpu_small_ratio = cpu_peak / results["cpu"][0]
    ctx.value("size_effect", cpu_small_ratio, **size_effect_wording(
        sizes[0], cpu_sizes[results["cpu"].index(cpu_peak)], cpu_sizes[-1], cpu_small_ratio))

    # Try it 1 of the notebook (exercise 1 on the page): the same product on one CPU thread.
    threads = torch.get_num_threads()
    thread_n = max(n for n in cpu_sizes if n <= 512)
    reps = max(p["repeats"], 5)  # both sides measured here, one after the other, best of several runs
    all_threads = matmul_gflops(thread_n, "cpu", reps)
    all_threads_small = matmul_gflops(sizes[0], "cpu", reps)
    torch.set_num_threads(1)
    try:
        one_thread = matmul_gflops(thread_n, "cpu", reps)
        one_thread_small = matmul_gflops(sizes[0], "cpu", reps)
    finally:
        torch.set_num_threads(threads)
    speedup = all_threads / one_thread
    small_speedup = all_threads_small / one_thread_small
    ctx.value("thread_n", thread_n)
    ctx.value("one_thread", one_thread, "{:,.1f} GFLOP/s")
    ctx.value("all_threads", all_threads, "{:,.1f} GFLOP/s")
    ctx.value("threads_result", speedup, **threads_wording(threads, thread_n, sizes[0], speedup, small_speedup))

    # Try it 2 (exercise 2): a plain-Python triple loop against PyTorch, at the notebook's n = 32.
    py_n = 32
    py_gflops = python_matmul_gflops(py_n)
    torch_gflops = matmul_gflops(py_n, "cpu", p["repeats"])
    ctx.value("python_n", py_n)
    ctx.value("python_gflops", py_gflops, "{:.4f} GFLOP/s")
    ctx.value("python_torch_gflops", torch_gflops, "{:,.2f} GFLOP/s")
    ctx.value("python_slower", torch_gflops / py_gflops, "{:,.0f}")
    ctx.check(torch_gflops > 10 * py_gflops,
              claim="05 page, exercise 2: the plain-Python triple loop is far slower than PyTorch's product",
              detail=f"n = {py_n}: Python {py_gflops:.4f} GFLOP/s, PyTorch {torch_gflops:.2f} GFLOP/s")
    if has_gpu:
        gpu_peak = max(results["cuda"])
        props = torch.cuda.get_device_properties(0)
        ctx.value("gpu_sms", props.multi_processor_count)
        ctx.value("gpu_result", gpu_peak, **gpu_wording(
            names["cuda"], gpu_peak, sizes[results["cuda"].index(gpu_peak)], gpu_peak / cpu_peak,
            results["cuda"][0], sizes[0]))
    else:
        ctx.value("gpu_sms", "-")
        ctx.value("gpu_result", 0,
                  ja="このページを作ったマシンには GPU がなかったため、GPU は測定していません。図は CPU だけの結果です。",
                  en="The machine that built this page had no GPU, so no GPU was measured; the figure shows the CPU only.")

    ctx.figure("cpu-vs-gpu-cores", lambda t: draw_cores(t))
    ctx.figure("matmul-throughput", lambda t: draw_throughput(t, sizes, results, names))


def size_effect_wording(smallest: int, peak_n: int, cpu_largest: int, ratio: float) -> dict:
    """The page's sentence on how the CPU's speed depended on the size, chosen by the measurement."""
    if peak_n == smallest:
        return {"ja": f"この実行では、CPU は最小の $n$ = {smallest} で最も速く、行列を大きくするとかえって遅くなりました。"
                      "ふつうとは逆の結果で、このマシンで同時に動いていたほかの作業の影響を受けた可能性があります。",
                "en": f"In this run the CPU was fastest at the smallest size, $n$ = {smallest}, and slower for larger matrices: "
                      "the opposite of the usual pattern, possibly because other work was running on the machine at the same time."}
    if peak_n == cpu_largest:
        where_ja, where_en = f"測った中で最大の $n$ = {peak_n} で最も速くなり", f"was fastest at the largest size measured, $n$ = {peak_n}"
    else:
        where_ja = f" $n$ = {peak_n} で最も速くなり、それより大きな行列ではかえって遅くなり"
        where_en = f"was fastest at $n$ = {peak_n} and slower again for larger matrices"
    if ratio >= 1.5:
        return {"ja": f"この実行では、CPU は{where_ja}、最小の $n$ = {smallest} ではその {ratio:,.1f} 分の 1 の速さしか出ませんでした。",
                "en": f"In this run the CPU {where_en}; at the smallest size, $n$ = {smallest}, it ran at only 1/{ratio:,.1f} of that speed."}
    return {"ja": f"この実行では、CPU は{where_ja}ましたが、最小の $n$ = {smallest} との差は {ratio:,.1f} 倍にとどまり、"
                  "大きさによる違いははっきり出ませんでした。",
            "en": f"In this run the CPU {where_en}, but it was only {ratio:,.1f} times as fast as at the smallest size, $n$ = {smallest}: "
                  "the size made little difference here."}


def gpu_wording(name: str, peak: float, peak_n: int, vs_cpu: float, small: float, smallest: int) -> dict:
    """The page's sentence on the GPU, chosen by how it compared with the CPU."""
    if vs_cpu >= 1.5:
        if small * 3 <= peak:
            small_ja = f"最小の $n$ = {smallest} では {small:,.1f} GFLOP/s で、GPU は大きな行列でこそ力を出しました。"
            small_en = f"; at the smallest size, $n$ = {smallest}, it reached {small:,.1f} GFLOP/s: the GPU showed its strength on large matrices."
        else:
            small_ja = f"最小の $n$ = {smallest} でも {small:,.1f} GFLOP/s 出ていました。"
            small_en = f"; even at the smallest size, $n$ = {smallest}, it reached {small:,.1f} GFLOP/s."
        return {"ja": f"GPU ({name}) の最高は $n$ = {peak_n} での {peak:,.1f} GFLOP/s で、CPU の最高の {vs_cpu:,.0f} 倍でした。" + small_ja,
                "en": f"The GPU ({name}) peaked at {peak:,.1f} GFLOP/s at $n$ = {peak_n}, {vs_cpu:,.0f} times the CPU's best" + small_en}
    return {"ja": f"GPU ({name}) の最高は {peak:,.1f} GFLOP/s で、CPU の最高の {vs_cpu:,.1f} 倍にとどまりました。"
                  "この大きさの範囲では、GPU は CPU にほとんど差をつけられませんでした。",
            "en": f"The GPU ({name}) peaked at {peak:,.1f} GFLOP/s, only {vs_cpu:,.1f} times the CPU's best: "
                  "over these sizes the GPU gained little over the CPU."}


def threads_wording(threads: int, n: int, smallest: int, speedup: float, small_speedup: float) -> dict:
    """Exercise 1's result: all threads against one, worded by what was measured."""
    if threads == 1:
        return {"ja": "このサイトを構築したマシンでは PyTorch のスレッドがもともと 1 本だったので、差は出ようがありませんでした。",
                "en": "On the machine that built this site PyTorch had a single thread to begin with, so there was no difference to see."}
    if speedup >= 1.3:
        more_ja = ("大きな行列ほど、スレッドに分けられる仕事が多いからです。" if small_speedup < speedup else
                   "この実行では小さな行列でも同じくらい効きましたが、ふつうは大きな行列ほど差が開きます。")
        more_en = ("A larger product has more work to hand out to the threads." if small_speedup < speedup else
                   "Here the threads helped as much with small matrices, though the gap usually widens with size.")
        if small_speedup >= 0.8:
            small_ja = f"最小の $n$ = {smallest} では {small_speedup:,.1f} 倍でした。"
            small_en = f"and {small_speedup:,.1f} times at the smallest size, $n$ = {smallest}. "
        else:
            small_ja = f"最小の $n$ = {smallest} では、かえって 1 本のほうが速くなりました ({threads} 本は 1 本の {small_speedup:,.1f} 倍)。"
            small_en = f"while at the smallest size, $n$ = {smallest}, one thread was actually faster ({threads} threads reached {small_speedup:,.1f} times its speed). "
        return {"ja": f"このサイトを構築したマシンでは、$n$ = {n} の積が {threads} 本のスレッドで 1 本のときの {speedup:,.1f} 倍の速さになり、"
                      + small_ja + more_ja,
                "en": f"On the machine that built this site, the product at $n$ = {n} ran {speedup:,.1f} times as fast on {threads} threads "
                      "as on one, " + small_en + more_en}
    if speedup >= 0.8:
        what_ja = f"{threads} 本のスレッドと 1 本とで速さがほとんど変わりませんでした ({speedup:,.1f} 倍)"
        what_en = f"{threads} threads and one ran at almost the same speed (a ratio of {speedup:,.1f})"
    else:
        what_ja = f"1 本のスレッドのほうがかえって速く、{threads} 本では 1 本の {speedup:,.1f} 倍の速さしか出ませんでした"
        what_en = f"one thread was actually faster: {threads} threads reached only {speedup:,.1f} times its speed"
    return {"ja": f"このサイトを構築したマシンでは、$n$ = {n} の積で、{what_ja}。このマシンのコアは同時に別の作業にも使われていた可能性があり、"
                  "そうなるとスレッドどうしがコアを取り合って、分けた仕事が同時には進みません。自分のマシンで試すと、違う結果になるはずです。",
            "en": f"On the machine that built this site, at $n$ = {n}, {what_en}. Its cores may well have been busy with other work at the same time; "
                  "then the threads compete for the cores and the shares of the work do not really run at once. On your own machine the result should differ."}


def python_matmul_gflops(n: int) -> float:
    """The notebook's Try it 2: an n×n product as a triple loop in plain Python (no PyTorch)."""
    gen = torch.Generator().manual_seed(n)
    a = torch.randn(n, n, generator=gen).tolist()
    b = torch.randn(n, n, generator=gen).tolist()
    start = time.perf_counter()
    [[sum(a[i][k] * b[k][j] for k in range(n)) for j in range(n)] for i in range(n)]
    return 2 * n**3 / (time.perf_counter() - start) / 1e9


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
