"""A content-addressed cache of experiment runs.

An entry's key covers everything that can change its output: the experiment's
source and the source of every project module it imports (followed through
imports, read with ``ast``), its parameters, the profile, and the versions of
the libraries that compute and draw. An entry is a folder written under a
temporary name and renamed into place, with ``entry.json`` (file hashes, quoted
values) written last; an entry whose files do not match their hashes is
treated as absent and rebuilt, never served.

Exports for interactive figures (``Context.export``) are files of the entry like any figure,
under ``interactive/``: the same key, hashes and rebuild. ``Entry.exports()`` lists them and
``read_export`` opens one, failing with the file's name if it is missing or damaged.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import platform
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from aicourse.figures.experiment import EXPORT_DIR, EXPORT_META_KEY, dequantize
from aicourse.figures.spec import AST_LOCK, PACKAGE_DIR, ExperimentSpec

LIBRARIES = ("torch", "diffusers", "matplotlib", "numpy", "scikit-learn", "pillow")
ENTRY_FILE = "entry.json"
CACHE_ENV = "AICOURSE_CACHE"



def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV, ".cache/figures")).resolve()


def _module_path(name: str) -> Path | None:
    """The file of an ``aicourse`` module, or None for anything outside the project."""
    if name != "aicourse" and not name.startswith("aicourse."):
        return None
    parts = name.split(".")[1:]
    if not parts:
        return PACKAGE_DIR / "__init__.py"
    rel = Path(*parts)
    for candidate in (PACKAGE_DIR / rel.with_suffix(".py"), PACKAGE_DIR / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


# A build asks for the same modules' imports many times (every experiment and notebook walks
# aicourse.figures, aicourse.models...): parse each file once per content (reading is cheap).
_IMPORTS: dict[tuple[Path, str], frozenset[str]] = {}


def _imports(path: Path) -> frozenset[str]:
    key = (path, hashlib.sha256(path.read_bytes()).hexdigest())
    if key not in _IMPORTS:
        _IMPORTS[key] = frozenset(_parse_imports(path))
    return _IMPORTS[key]


def _parse_imports(path: Path) -> set[str]:
    names: set[str] = set()
    if path.is_relative_to(PACKAGE_DIR):
        module = ".".join(("aicourse",) + path.relative_to(PACKAGE_DIR).with_suffix("").parts)
    else:  # an experiment kept outside the package (tests): only absolute imports matter
        module = path.stem
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    with AST_LOCK:
        tree = ast.parse(path.read_bytes())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.removesuffix(".__init__").split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    # importing a.b.c runs a/__init__ and a/b/__init__ too
    for name in list(names):
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return names


def project_sources(path: Path) -> list[Path]:
    """``path`` and every project module it imports, directly or not, sorted."""
    seen: set[Path] = set()
    todo = [path.resolve()]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name in _imports(current):
            found = _module_path(name)
            if found is not None and found.resolve() not in seen:
                todo.append(found.resolve())
    return sorted(seen)


def library_versions() -> dict[str, str]:
    return dict(_library_versions())


@functools.lru_cache(maxsize=1)  # installed versions do not change while a build runs
def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for lib in LIBRARIES:
        try:
            versions[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            versions[lib] = "absent"
    return versions


def cache_key(spec: ExperimentSpec, profile: str) -> str:
    h = hashlib.sha256()
    for src in project_sources(spec.path):
        name = src.relative_to(PACKAGE_DIR).as_posix() if src.is_relative_to(PACKAGE_DIR) else src.name
        h.update(name.encode() + b"\0")
        h.update(src.read_bytes() + b"\0")
    h.update(json.dumps(spec.params_for(profile), sort_keys=True).encode())
    h.update(json.dumps({"name": spec.name, "profile": profile, **library_versions()}, sort_keys=True).encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Entry:
    """A complete cache entry: where its files are, what they hash to, what values it quotes."""

    spec: ExperimentSpec
    profile: str
    key: str
    directory: Path
    files: dict[str, str]  # "ja/loss-curve.svg" -> sha256
    values: dict
    seconds: float
    from_cache: bool

    def figure_path(self, figure: str, lang: str) -> tuple[str, Path]:
        """The relative name and path of one figure in one language."""
        for rel in self.files:
            lang_dir, _, filename = rel.partition("/")
            if lang_dir == lang and filename.rsplit(".", 1)[0] == figure:
                return rel, self.directory / rel
        raise KeyError(f"{self.spec.name} made no '{figure}' in '{lang}'")

    def exports(self) -> dict[str, tuple[str, str]]:
        """Export name -> (weights file, test file), as paths relative to the entry."""
        out = {}
        for rel in self.files:
            folder, _, filename = rel.partition("/")
            if folder == EXPORT_DIR and filename.endswith(".safetensors") and not filename.endswith(".test.safetensors"):
                name = filename.removesuffix(".safetensors")
                out[name] = (rel, f"{EXPORT_DIR}/{name}.test.safetensors")
        return out


class ExportError(Exception):
    """An export file that is missing or unreadable; the message names the file."""


def read_export(path: Path, raw: bool = False) -> tuple[dict, dict]:
    """The tensors (name -> float32 numpy array, int8 ones multiplied by their scales: the values
    the page computes with; ``raw``: as stored) and metadata of one export file (``Context.export``)."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: export file is missing (rerun its experiment: python -m aicourse figures build)")
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        data = path.read_bytes()
        tensors = load(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + header_len])
        meta = json.loads(header.get("__metadata__", {}).get(EXPORT_META_KEY, "{}"))
        if not raw:
            tensors = dequantize(tensors)
    except (OSError, ValueError, SafetensorError) as exc:
        raise ExportError(f"{path}: not a readable safetensors export ({exc})") from None
    return tensors, meta


def entry_dir(spec: ExperimentSpec, profile: str, key: str) -> Path:
    return cache_root() / spec.name / f"{profile}-{key[:20]}"


class CorruptEntry(Exception):
    pass


def load(spec: ExperimentSpec, profile: str, key: str) -> Entry | None:
    """The entry for this key if complete and intact; None if absent; CorruptEntry if damaged."""
    directory = entry_dir(spec, profile, key)
    meta_path = directory / ENTRY_FILE
    if not directory.exists():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") != key:
            raise CorruptEntry(f"{meta_path} belongs to another key")
        for rel, digest in meta["files"].items():
            path = directory / rel
            if not path.is_file() or file_sha256(path) != digest:
                raise CorruptEntry(f"{path} is missing or does not match its recorded hash")
    except (OSError, ValueError, KeyError) as exc:
        raise CorruptEntry(f"{meta_path} is unreadable or incomplete ({exc})") from None
    return Entry(spec, profile, key, directory, meta["files"], meta["values"], meta.get("seconds", 0.0), True)


def store(spec: ExperimentSpec, profile: str, key: str, tmp: Path, values: dict, seconds: float) -> Entry:
    """Seal a finished run in ``tmp`` as the entry for ``key``, replacing older entries of this profile."""
    files = {
        p.relative_to(tmp).as_posix(): file_sha256(p)
        for p in sorted(tmp.rglob("*"))
        if p.is_file() and p.name != ENTRY_FILE
    }
    meta = {
        "experiment": spec.name,
        "source": spec.source,
        "profile": profile,
        "key": key,
        "params": spec.params_for(profile),
        "libraries": library_versions(),
        "files": files,
        "values": values,
        "seconds": round(seconds, 3),
    }
    (tmp / ENTRY_FILE).write_text(json.dumps(meta, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    final = entry_dir(spec, profile, key)
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)
    for stale in final.parent.glob(f"{profile}-*"):
        if stale != final:
            shutil.rmtree(stale, ignore_errors=True)
    return Entry(spec, profile, key, final, files, values, seconds, False)


def discard(spec: ExperimentSpec, profile: str, key: str) -> None:
    shutil.rmtree(entry_dir(spec, profile, key), ignore_errors=True)
