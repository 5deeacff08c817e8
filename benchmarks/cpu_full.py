"""What the full profile costs on a CPU, experiment by experiment (not a test).

    .venv/bin/python benchmarks/cpu_full.py [--only NAME ...] [--shorten NAME] [--whole NAME]

Each experiment runs in its own process, full-profile parameters, on the CPU, with one torch
thread (as the pipeline runs it beside others); its cost is the CPU time of that process
(``time.process_time``), not wall time, so that a machine shared with other work still measures it.
A progress hook (``Context.progress``, which training loops call at every step or epoch) records
the process time of every call.

- measured: an experiment whose full run is short runs whole.
- extrapolated: a long one (``SHORT`` below) runs with its training lengths (steps, epochs) cut to
  1/FACTOR and every other parameter as in the full profile, so that its set-up, every training
  phase and everything after training (sampling, evaluation, figures in both languages) run and
  are measured. Each training phase's cost per step comes from its progress calls (first to last,
  so the first step's warm-up is left out); the estimate is the shortened run's CPU time plus, for
  each phase, per-step x the steps the full run has in addition. Claims (``ctx.check``) are not
  enforced in a shortened run: its numbers are not the page's.

A whole run longer than --cap is stopped at a progress call and reported as a lower bound.
Then: the total, the expected first full build on a standard GitHub runner (longest first on 4
workers, the pipeline's default of one job per core; and on 2), and a warm rebuild with one
lecture's experiment edited (that experiment alone plus a plain mkdocs build, measured once with
AICOURSE_FIGURES=off AICOURSE_NOTEBOOKS=off). Nothing is written to the project's .cache.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACTOR = 25  # a shortened run trains 1/25 (4 %) of the full profile's steps or epochs

# Experiments too long to run whole here: the parameters that set their training length, and
# training phases the experiment runs without calling ctx.progress (their cost per step is taken
# from the reported phase they repeat).
SHORT = {
    "diffusion-from-scratch": {"keys": ["steps"], "checkpoints": True},
    "score-sde": {"keys": ["steps"]},
    "clip": {"keys": ["steps"]},
    "unet": {"keys": ["steps"]},  # two phases, both reported: with and without skip connections
    "vae": {"keys": ["epochs"], "unreported": {"epoch": 1}},  # the beta-VAE run repeats the training unreported
}
# Length parameters of the others, for --shorten NAME (to check the extrapolation on a run also measured whole).
LENGTHS = {
    "autoencoders": ["epochs"], "creative-generation": ["epochs"], "learning-from-data": ["epochs"],
    "generative-ai": ["epochs"], "adapting-models": ["pretrain_epochs", "epochs"], "foundation-models": ["seeds"],
}


class _Stop(Exception):
    """Raised from the progress hook to stop a run once enough of it has been seen."""


def shortened(params: dict, rule: dict, factor: int) -> dict:
    out = dict(params)
    for key in rule["keys"]:
        out[key] = max(2, params[key] // factor)
    if rule.get("checkpoints"):  # as many sampling checkpoints as the full run, at the same fractions
        steps = out["steps"]
        out["checkpoints"] = sorted({min(steps, max(1, math.ceil(c / factor))) for c in params["checkpoints"]})
        if len(out["checkpoints"]) != len(params["checkpoints"]):
            raise SystemExit("checkpoints collapse when shortened: lower the factor")
    return out


# -- one experiment, in a child process ------------------------------------------------------
def child(name: str, short: bool, factor: int, cap: float) -> dict:
    os.environ.setdefault("MPLBACKEND", "Agg")
    t_start = time.process_time()  # interpreter start-up is before this
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from aicourse.figures.build import _import
    from aicourse.figures.experiment import Context, registered
    from aicourse.figures.spec import discover

    spec = {s.name: s for s in discover()[0]}[name]
    params = spec.params_for("full")
    rule = SHORT.get(name) or {"keys": LENGTHS.get(name, [])}
    if short:
        params = shortened(params, rule, factor)
    _import(spec)
    fn = registered(name)
    import_s = time.process_time() - t_start
    torch.manual_seed(0)
    torch.set_num_threads(1)  # as the pipeline runs each experiment beside others
    events: list[tuple[float, int, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="cpu-full-") as out:
        ctx = Context(name, "full", params, spec.figures, Path(out), "cpu")
        report = ctx.progress
        t0 = time.process_time()

        def hook(step, total, what="step", **numbers):
            now = time.process_time() - t0
            events.append((now, step, total, what))
            report(step, total, what, **numbers)
            if not short and now > cap and step < total:
                raise _Stop

        ctx.progress = hook
        if short:
            ctx.check = lambda holds, claim, detail="": None
        stopped = False
        try:
            fn(ctx)
        except _Stop:
            stopped = True
        run_s = time.process_time() - t0
        figures = sorted({p.stem for p in Path(out).glob("*/*")})
    return {"name": name, "short": short, "params": params, "import_s": import_s, "run_s": run_s,
            "stopped": stopped, "events": events, "figures": figures}


# -- extrapolation -------------------------------------------------------------------------------
def series(events) -> list[dict]:
    """Progress calls split into training phases: a new one when the label changes or the step goes back."""
    out: list[dict] = []
    for t, step, total, what in events:
        cur = out[-1] if out else None
        if cur is None or what != cur["what"] or step <= cur["last"][1]:
            out.append({"what": what, "total": total, "first": (t, step), "last": (t, step)})
        else:
            cur["last"] = (t, step)
            cur["total"] = total
    for s in out:
        (t1, s1), (t2, s2) = s["first"], s["last"]
        s["rate"] = (t2 - t1) / (s2 - s1) if s2 > s1 else None
    return out


def full_total(s: dict, name: str, short_params: dict, full_params: dict) -> int:
    keys = (SHORT.get(name) or {"keys": LENGTHS.get(name, [])})["keys"]
    for key in keys:
        if short_params[key] == s["total"]:
            return full_params[key]
    if len(keys) == 1:  # a total made of the length and constants: it scales with the length
        return round(s["total"] * full_params[keys[0]] / short_params[keys[0]])
    raise SystemExit(f"{name}: cannot tell the full length of phase '{s['what']}' ({s['total']})")


def estimate(result: dict, full_params: dict) -> tuple[float, str, list[str]]:
    name, phases = result["name"], series(result["events"])
    notes = []
    if result["short"]:
        seconds = result["run_s"]
        rule = SHORT.get(name, {})
        for s in phases:
            n_full = full_total(s, name, result["params"], full_params)
            repeat = 1 + rule.get("unreported", {}).get(s["what"], 0)
            extra = s["rate"] * (n_full - s["total"]) * repeat
            seconds += extra
            notes.append(f"  {s['what']!r}: {s['total']} of {n_full} run, {s['rate']:.4f} s each"
                         + (f", x{repeat} (repeated unreported)" if repeat > 1 else "") + f": +{extra:.0f} s")
        return seconds, f"extrapolated (1/{round(full_params[rule_keys(name)[0]] / result['params'][rule_keys(name)[0]])} run)", notes
    if result["stopped"]:
        s = phases[-1]
        rest = s["rate"] * (s["total"] - s["last"][1]) if s["rate"] else 0.0
        notes.append(f"  stopped in {s['what']!r} at {s['last'][1]}/{s['total']}: later phases and the tail not seen")
        return result["run_s"] + rest, "LOWER BOUND (stopped)", notes
    for s in phases:
        if s["rate"]:
            notes.append(f"  {s['what']!r}: {s['total']} x {s['rate']:.4f} s")
    return result["run_s"], "measured (whole run)", notes


def rule_keys(name: str) -> list[str]:
    return (SHORT.get(name) or {"keys": LENGTHS.get(name, [])})["keys"]


def makespan(seconds: dict[str, float], workers: int) -> tuple[float, list[list[str]]]:
    """Longest first, each to the least loaded worker (what a pool of `workers` does with a long-first queue)."""
    loads, plan = [0.0] * workers, [[] for _ in range(workers)]
    for name in sorted(seconds, key=seconds.get, reverse=True):
        i = loads.index(min(loads))
        loads[i] += seconds[name]
        plan[i].append(name)
    return max(loads), plan


def plain_mkdocs() -> tuple[float, float]:
    """Wall and CPU seconds of the site build with figures and notebook execution off."""
    env = {**os.environ, "AICOURSE_FIGURES": "off", "AICOURSE_NOTEBOOKS": "off", "NO_MKDOCS_2_WARNING": "1",
           "AICOURSE_PROFILE": "full"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="cpu-full-site-") as site:
        started = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "-d", site], cwd=ROOT, env=env,
                              capture_output=True, text=True)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f"mkdocs build failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def hms(s: float) -> str:
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min" if s >= 3600 else f"{s / 60:.0f} min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="these experiments only")
    parser.add_argument("--shorten", nargs="*", default=[], help="extrapolate these from a shortened run too")
    parser.add_argument("--whole", nargs="*", default=[], help="run these whole even if listed in SHORT")
    parser.add_argument("--factor", type=int, default=FACTOR, help="a shortened run trains 1/FACTOR of the steps")
    parser.add_argument("--cap", type=float, default=300.0, help="stop a whole run after this many CPU seconds")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--short", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "code"))
    if args.child:
        print("RESULT " + json.dumps(child(args.child, args.short, args.factor, args.cap)), flush=True)
        return

    from aicourse.figures.spec import discover

    specs = discover()[0]
    if args.only:
        specs = [s for s in specs if s.name in args.only]
    started = time.perf_counter()
    rows, imports = [], []
    with tempfile.TemporaryDirectory(prefix="cpu-full-cache-") as tmp:
        env = {**os.environ, "AICOURSE_CACHE": str(Path(tmp) / "figures"), "AICOURSE_PROFILE": "full",
               "AICOURSE_NOTEBOOK_CACHE": str(Path(tmp) / "notebooks"), "CUDA_VISIBLE_DEVICES": "",
               "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg"}
        for spec in specs:
            modes = []
            if spec.name in SHORT and spec.name not in args.whole:
                modes.append(True)
            else:
                modes.append(False)
                if spec.name in args.shorten:
                    modes.append(True)
            for short in modes:
                cmd = [sys.executable, __file__, "--child", spec.name, "--factor", str(args.factor), "--cap", str(args.cap)]
                print(f"[cpu_full] {spec.name}: {'shortened' if short else 'whole'} run ...", file=sys.stderr, flush=True)
                proc = subprocess.run(cmd + (["--short"] if short else []), env=env, capture_output=True, text=True)
                line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
                if proc.returncode or line is None:
                    sys.stderr.write(proc.stderr[-3000:])
                    rows.append((spec.name, "FAILED", float("nan"), [proc.stderr.strip().splitlines()[-1:]]))
                    continue
                result = json.loads(line[len("RESULT "):])
                seconds, how, notes = estimate(result, spec.params_for("full"))
                if short and spec.name not in SHORT:  # a second, shortened run of one measured whole
                    how += " [check]"
                rows.append((spec.name, how, seconds, notes))
                imports.append(result["import_s"])
                print(f"[cpu_full] {spec.name}: {seconds:.0f} s ({how}; run {result['run_s']:.0f} s CPU)",
                      file=sys.stderr, flush=True)
        wall, cpu = plain_mkdocs() if not args.only else (float("nan"), float("nan"))

    print(f"== full profile on the CPU, one torch thread, CPU seconds of each experiment's process")
    print(f"   machine: {_cpu_name()}, {os.cpu_count()} cores (shared: CPU time, not wall time, is measured)")
    print(f"   extrapolated = shortened run (training 1/{args.factor}, all else full) "
          f"+ per-step cost x the steps left, per training phase\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'experiment':<{width}}  {'seconds':>8}  {'':>9}  how")
    for name, how, seconds, _ in rows:
        print(f"{name:<{width}}  {seconds:8.0f}  {hms(seconds):>9}  {how}")
    best = {}
    for name, how, seconds, _ in rows:
        if "[check]" not in how:
            best[name] = seconds
    total = sum(best.values())
    imp = sum(imports) / len(imports) if imports else 0.0
    print(f"{'total':<{width}}  {total:8.0f}  {hms(total):>9}  (plus about {imp:.0f} s of imports per worker process)")
    print("\n== how each estimate was made")
    for name, how, _, notes in rows:
        print(f"{name}: {how}")
        for note in notes:
            print(note)
    print("\n== plain mkdocs build (AICOURSE_FIGURES=off AICOURSE_NOTEBOOKS=off), once")
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (this machine is shared: wall time includes others' load)")
    mk = cpu if math.isfinite(cpu) else 0.0
    print("\n== expected builds on a standard GitHub runner, if a runner's vCPU does a core's work here")
    print("   (figures only: notebook execution, dependency installation and the upload come on top)")
    for workers in (4, 2):
        span, plan = makespan(best, workers)
        print(f"first full build, {workers} vCPU, {workers} jobs (one per core), longest first: "
              f"{span + imp:.0f} s = {hms(span + imp)} of experiments, + {mk:.0f} s mkdocs")
        for i, names in enumerate(plan):
            print(f"    worker {i + 1}: {sum(best[n] for n in names):6.0f} s  {', '.join(names)}")
    longest = max(best, key=best.get)
    median = sorted(best, key=best.get)[len(best) // 2]
    print("warm rebuild with one lecture's experiment edited (it alone, then mkdocs):")
    for name in (longest, median):
        print(f"    {name}: {best[name] + imp + mk:.0f} s = {hms(best[name] + imp + mk)}")
    print(f"    any other cached build: {mk:.0f} s of mkdocs")
    print(f"\n(benchmark: {time.perf_counter() - started:.0f} s wall)")


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "CPU"


if __name__ == "__main__":
    main()
