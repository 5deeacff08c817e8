"""Run what the cache lacks, and report every figure that is ready.

``build()`` never stops at the first broken experiment: it builds all the
others, leaves their cache entries intact, and returns the failures so that the
caller (CLI or site build) can fail naming each one.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

from aicourse.figures import cache
from aicourse.figures.profile import current_profile
from aicourse.figures.spec import ExperimentError, ExperimentSpec, discover


def log(message: str) -> None:
    print(f"[aicourse] {message}", file=sys.stderr, flush=True)


@dataclass
class BuildResult:
    profile: str
    entries: list[cache.Entry] = field(default_factory=list)
    errors: list[ExperimentError] = field(default_factory=list)

    def figures(self) -> dict[str, cache.Entry]:
        """Figure name -> the entry that holds it."""
        return {fig: e for e in self.entries for fig in e.spec.figures}

    def values(self) -> dict[str, dict]:
        return {e.spec.name: e.values for e in self.entries}

    def raise_errors(self) -> None:
        if self.errors:
            raise FigureBuildError(self.errors)


class FigureBuildError(Exception):
    def __init__(self, errors: list[ExperimentError]):
        self.errors = errors
        super().__init__("figure build failed:\n" + "\n".join(f"  - {e}" for e in errors))


def _device(profile: str) -> str:
    if profile != "full":
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _import(spec: ExperimentSpec) -> None:
    """Import the experiment's module: from the package, or from its file when it lives elsewhere (tests)."""
    if spec.module.startswith("aicourse."):
        importlib.import_module(spec.module)
        return
    loader_spec = importlib.util.spec_from_file_location(f"_aicourse_experiment_{spec.path.stem}", spec.path)
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)


# Torch threads per experiment, whatever --jobs and however many experiments run. Issue 17 allows
# an experiment running alone all the cores (max(1, cores // min(jobs, experiments to run))), but
# the thread count changes the results: oneDNN's convolutions sum in another order, so lecture 11's
# U-Net (quick profile) quoted other numbers with 2 threads than with 1 (mse_no_skip 0.0483 against
# 0.0472) and drew other PNG bytes. Its figures would then depend on how many experiments happened
# to be rebuilt beside it, and the cache, keyed on inputs only, could not say which. So one thread:
# the same bytes whatever N (tests/test_pipeline.py). The price: an experiment rebuilt alone on a
# CPU leaves the other cores idle (benchmarks/cpu_full.py gives its one-thread time). Beside others,
# one thread each is also the fastest (contending threads were up to 27x slower on 2 shared cores).
# An experiment that measures the CPU itself (gpus) sets its own thread count.
TORCH_THREADS = 1


def run_one(spec: ExperimentSpec, profile: str, key: str) -> cache.Entry:
    """Import, run and seal one experiment; any failure becomes an ExperimentError naming it."""
    from aicourse.figures.experiment import Context, registered

    root = cache.cache_root()
    root.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".tmp-{spec.name}-", dir=root)
    started = time.perf_counter()
    try:
        import matplotlib

        # Files only, never a window. Set here, not when the style is imported, so that a
        # notebook importing course code keeps its inline plots.
        matplotlib.use("Agg")
        _import(spec)
        fn = registered(spec.name)
        if fn is None:
            raise RuntimeError(f"{spec.module} declares '{spec.name}' but registered no such function")
        from pathlib import Path

        import torch

        torch.manual_seed(0)
        threads = torch.get_num_threads()
        torch.set_num_threads(TORCH_THREADS)
        ctx = Context(spec.name, profile, spec.params_for(profile), spec.figures, Path(tmp), _device(profile))
        try:
            fn(ctx)
        finally:
            torch.set_num_threads(threads)
        made = {p.stem for p in Path(tmp).glob("*/*")}
        missing = [f for f in spec.figures if f not in made]
        if missing:
            raise RuntimeError(f"declared figures were not drawn: {', '.join(missing)}")
        return cache.store(spec, profile, key, Path(tmp), ctx.values, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001  (reported with the experiment's name, never swallowed)
        shutil.rmtree(tmp, ignore_errors=True)
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{fr.filename}:{fr.lineno}" for fr in reversed(tb) if "aicourse" in fr.filename), "")
        raise ExperimentError(spec.name, spec.source, f"{detail}" + (f" (at {where})" if where else "")) from exc


JOBS_ENV = "AICOURSE_JOBS"  # the site build's --jobs


def default_jobs(profile: str) -> int:
    """As many experiments at once as the machine holds: a core each on the CPU, four sharing a GPU."""
    env = os.environ.get(JOBS_ENV, "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise SystemExit(f"{JOBS_ENV}={env!r}: give a whole number of jobs, 1 or more")
        return int(env)
    if _device(profile) == "cuda":
        return 4  # the course's models are small: one alone leaves most of the GPU idle
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _run_in_worker(spec: ExperimentSpec, profile: str, key: str, cache_dir: str):
    """One experiment in a worker process; errors come back as plain data (they pickle safely)."""
    os.environ[cache.CACHE_ENV] = cache_dir
    log(f"{spec.name}: running ({profile} profile) from {spec.source}")
    try:
        return run_one(spec, profile, key), None
    except ExperimentError as exc:
        return None, (exc.name, exc.source, str(exc).split("): ", 1)[-1])


def build(profile: str | None = None, only: list[str] | None = None, force: bool = False,
          jobs: int | None = None) -> BuildResult:
    """Make sure every experiment's figures exist in the cache for ``profile``.

    Experiments missing from the cache run ``jobs`` at a time, each in its own process (one
    torch thread each on the CPU, so that the bytes do not depend on ``jobs``).
    """
    profile = current_profile(profile)
    specs, errors = discover()
    result = BuildResult(profile, errors=list(errors))
    if only:
        unknown = set(only) - {s.name for s in specs}
        if unknown:
            raise SystemExit(f"no such experiment: {', '.join(sorted(unknown))}")
        specs = [s for s in specs if s.name in only]
    started = time.perf_counter()
    ready: dict[str, cache.Entry] = {}
    todo: list[tuple[ExperimentSpec, str]] = []
    for spec in specs:
        key = cache.cache_key(spec, profile)
        entry = None
        if not force:
            try:
                entry = cache.load(spec, profile, key)
            except cache.CorruptEntry as exc:
                log(f"{spec.name}: damaged cache entry ignored and rebuilt: {exc}")
                cache.discard(spec, profile, key)
        if entry is None:
            todo.append((spec, key))
        else:
            ready[spec.name] = entry
    jobs = min(jobs or default_jobs(profile), max(1, len(todo)))
    ran: dict[str, float] = {}

    def finished(spec: ExperimentSpec, entry: cache.Entry | None, error: ExperimentError | None) -> None:
        if error is not None:
            log(f"{spec.name}: FAILED: {error}")
            result.errors.append(error)
            return
        ready[spec.name] = entry
        ran[spec.name] = entry.seconds
        log(f"{spec.name}: done in {entry.seconds:.1f} s")

    if todo:
        log(f"running {len(todo)} experiment(s), {jobs} at a time, {profile} profile")
    if jobs == 1:
        for spec, key in todo:
            log(f"{spec.name}: running ({profile} profile) from {spec.source}")
            try:
                finished(spec, run_one(spec, profile, key), None)
            except ExperimentError as exc:
                finished(spec, None, exc)
    elif todo:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: a fresh interpreter per worker, so no torch thread pool is inherited half-made.
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {}
            for spec, key in todo:
                futures[pool.submit(_run_in_worker, spec, profile, key, str(cache.cache_root()))] = spec
            for future in as_completed(futures):
                spec = futures[future]
                try:
                    entry, failure = future.result()
                except Exception as exc:  # noqa: BLE001  (a worker that died: named, the others go on)
                    entry, failure = None, (spec.name, spec.source, f"worker process failed: {exc}")
                finished(spec, entry, ExperimentError(*failure) if failure else None)
    result.entries = [ready[s.name] for s in specs if s.name in ready]  # declaration order, whatever finished first
    total = time.perf_counter() - started
    log(f"figures: {len(result.entries)} experiments ready ({len(ran)} run, {len(result.entries) - len(ran)} cached), "
        f"profile {profile}, {jobs} job(s), {total:.1f} s")
    if ran:
        width = max(len(n) for n in ready)
        for name in ready:
            log(f"  {name:<{width}}  " + (f"ran {ran[name]:7.1f} s" if name in ran else "cached"))
    return result
