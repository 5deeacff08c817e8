"""Lecture notebooks executed once per content, cached like the figures.

The site shows each notebook with its outputs, and the tests check those outputs: both ask
:func:`execute` and share its cache, so ``make test`` runs a notebook once. An entry's key
covers the notebook's bytes, the source of every course module its code cells import
(followed through imports), the profile and the library versions. An entry is written
under a temporary name, sealed with the executed notebook's SHA-256 and renamed into place;
an entry that does not match its seal is rebuilt, never served.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from aicourse.figures import cache

CACHE_ENV = "AICOURSE_NOTEBOOK_CACHE"
SEAL = "entry.json"
# Per cell. Quick cells train for seconds; a full one on a CPU runner (notebook 14's DDPM, about
# 750 s here) for many minutes, so the full profile allows an hour before calling a cell hung.
TIMEOUT_S = {"quick": 900, "full": 3600}


class NotebookError(Exception):
    """A notebook that failed to run; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class Executed:
    source: Path  # lectures/NN-slug.ipynb, without outputs
    path: Path  # the executed copy in the cache
    seconds: float
    from_cache: bool


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV, ".cache/notebooks")).resolve()


def _code(nb: dict) -> str:
    """The notebook's Python, shell and magic lines left out (they are not Python)."""
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            lines += [line for line in src.splitlines() if not line.lstrip().startswith(("!", "%"))]
    return "\n".join(lines)


def imported_sources(path: Path) -> list[Path]:
    """Every course module the notebook's code imports, directly or not."""
    with cache.AST_LOCK:  # see there: not thread-safe on some 3.11 releases
        tree = ast.parse(_code(json.loads(path.read_text(encoding="utf-8"))), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    found = set()
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            module = cache._module_path(".".join(parts[:i]))
            if module is not None:
                found.update(cache.project_sources(module))
    return sorted(found)


def notebook_key(path: Path, profile: str) -> str:
    h = hashlib.sha256(path.read_bytes() + b"\0")
    for src in imported_sources(path):
        h.update(src.relative_to(cache.PACKAGE_DIR).as_posix().encode() + b"\0" + src.read_bytes() + b"\0")
    h.update(json.dumps({"profile": profile, **cache.library_versions()}, sort_keys=True).encode())
    return h.hexdigest()


def _entry_dir(path: Path, profile: str, key: str) -> Path:
    return cache_root() / path.stem / f"{profile}-{key[:16]}"


def _load(path: Path, directory: Path) -> Executed | None:
    seal = directory / SEAL
    if not seal.exists():
        return None
    executed = directory / path.name
    try:
        meta = json.loads(seal.read_text(encoding="utf-8"))
        ok = executed.exists() and cache.file_sha256(executed) == meta["sha256"]
    except (ValueError, KeyError):
        ok = False
    if not ok:
        print(f"[aicourse] {path.name}: damaged notebook cache entry ignored and rebuilt ({directory})",
              file=sys.stderr, flush=True)
        shutil.rmtree(directory, ignore_errors=True)
        return None
    return Executed(path, executed, meta.get("seconds", 0.0), True)


def _describe(path: Path, nb, exc: Exception) -> str:
    """'lectures/x.ipynb, cell 7: ValueError: …' from nbclient's error."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    failing = next((i for i in reversed(code_cells) if any(o.get("output_type") == "error" for o in nb.cells[i].get("outputs", []))), None)
    if failing is None and isinstance(exc, CellTimeoutError):
        failing = next((i for i in code_cells if nb.cells[i].get("execution_count") is None), None)
    where = f"cell {failing + 1} (code cell {code_cells.index(failing) + 1})" if failing is not None else "a cell"
    if isinstance(exc, CellExecutionError):
        detail = f"{exc.ename}: {exc.evalue}"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    return f"{path}: {where} failed: {detail}"


def _run(path: Path, profile: str, directory: Path, threads: int | None = None) -> Executed:
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config

    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    workdir = tempfile.mkdtemp(prefix=f".run-{path.stem}-")
    # The kernel's own environment (threads run notebooks side by side: os.environ stays untouched).
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the inline backend, as on Colab
    env.update(AICOURSE_PROFILE=profile, HF_HUB_OFFLINE="1")
    if threads:  # kernels side by side share the cores: more threads than cores makes torch crawl
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    try:
        # Unix sockets in the run's folder rather than TCP on localhost: nothing listens on a port,
        # and ipykernel has no reason to warn that the traffic is unencrypted.
        config = Config()
        config.KernelManager.transport, config.KernelManager.ip = "ipc", os.path.join(workdir, "kernel")
        client = NotebookClient(nb, timeout=TIMEOUT_S[profile], kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": workdir}}, config=config)
        try:
            client.execute(env=env)
        except Exception as exc:  # noqa: BLE001  (named with notebook and cell; nothing is cached)
            raise NotebookError(_describe(path, nb, exc)) from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    seconds = time.perf_counter() - started
    nb.metadata.setdefault("aicourse", {})["profile"] = profile
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{path.stem}-", dir=directory.parent))
    nbformat.write(nb, tmp / path.name)
    (tmp / SEAL).write_text(json.dumps({"sha256": cache.file_sha256(tmp / path.name), "profile": profile,
                                        "seconds": round(seconds, 1)}), encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
    return Executed(path, directory / path.name, seconds, False)


def execute(path: Path, profile: str, threads: int | None = None) -> Executed:
    """The executed copy of ``path`` for ``profile``: from the cache, or run now (with ``threads``
    torch threads in its kernel; None: torch's default, one per core)."""
    path = Path(path).resolve()
    directory = _entry_dir(path, profile, notebook_key(path, profile))
    return _load(path, directory) or _run(path, profile, directory, threads)


def kernel_threads(jobs: int) -> int | None:
    """Torch threads for each of ``jobs`` kernels running at once: the cores shared out, at least one.

    Two kernels each spinning two threads on two cores ran notebook 03 in 210 s instead of about 30."""
    if jobs <= 1:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // jobs)


def execute_all(paths: list[Path], profile: str, jobs: int = 1) -> tuple[list[Executed], list[NotebookError]]:
    """Every notebook, ``jobs`` kernels at a time; a failing one is reported and the others still run."""
    threads = kernel_threads(jobs)

    def one(path):
        try:
            result = execute(path, profile, threads)
        except NotebookError as exc:
            print(f"[aicourse] notebook FAILED: {exc}", file=sys.stderr, flush=True)
            return exc
        how = "cached" if result.from_cache else f"ran in {result.seconds:.1f} s"
        print(f"[aicourse] notebook {path.name}: {how}", file=sys.stderr, flush=True)
        return result

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        results = list(pool.map(one, paths))
    return [r for r in results if isinstance(r, Executed)], [r for r in results if isinstance(r, NotebookError)]
