"""Read experiment declarations from source, without importing (and so without torch).

A warm build must cost about what plain mkdocs costs, so deciding whether the
cache holds an experiment's figures may not import torch. The ``@experiment(...)``
decorator's arguments are therefore literals, read here with ``ast``.
"""

from __future__ import annotations

import ast
import threading
from dataclasses import dataclass, field
from pathlib import Path

import aicourse

PACKAGE_DIR = Path(aicourse.__file__).resolve().parent
EXPERIMENTS_DIR = PACKAGE_DIR / "experiments"
REPO_ROOT = PACKAGE_DIR.parents[1]


class ExperimentError(Exception):
    """An experiment that could not be read, run or drawn; the message names it."""

    def __init__(self, name: str, source: str, message: str):
        super().__init__(f"experiment '{name}' ({source}): {message}")
        self.name = name
        self.source = source


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    module: str  # e.g. "aicourse.experiments.learning_from_data"
    path: Path
    figures: tuple[str, ...]
    params: dict = field(hash=False)  # profile name -> parameters
    lecture: str = ""

    @property
    def source(self) -> str:
        """The module's path in the repository, for source links and error messages."""
        try:
            return self.path.relative_to(REPO_ROOT).as_posix()
        except ValueError:
            return self.path.as_posix()

    def params_for(self, profile: str) -> dict:
        return dict(self.params.get(profile, {}))


def _literal(node: ast.AST, where: str):
    try:
        return ast.literal_eval(node)
    except ValueError as exc:
        raise ValueError(f"{where}: @experiment arguments must be literals ({exc})") from None


# ast.parse is not safe in threads on some CPython 3.11 releases ("AST constructor recursion
# depth mismatch"), and the site build reads experiments and notebooks side by side: every
# parse in the package holds this lock.
AST_LOCK = threading.Lock()


def read_specs(path: Path) -> list[ExperimentSpec]:
    """The experiments declared in one module file (a file may declare several)."""
    inside = path.resolve().parent == EXPERIMENTS_DIR
    module = ("aicourse.experiments." if inside else "") + path.stem
    with AST_LOCK:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    specs = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "experiment":
                kw = {k.arg: _literal(k.value, f"{path.name}:{node.lineno}") for k in deco.keywords}
                if "name" not in kw or "figures" not in kw:
                    raise ValueError(f"{path.name}:{node.lineno}: @experiment needs name= and figures=")
                specs.append(
                    ExperimentSpec(
                        name=kw["name"],
                        module=module,
                        path=path,
                        figures=tuple(kw["figures"]),
                        params={"quick": kw.get("quick", {}), "full": kw.get("full", {})},
                        lecture=kw.get("lecture", ""),
                    )
                )
    return specs


def experiments_dir() -> Path:
    """``aicourse/experiments``, or the folder named by $AICOURSE_EXPERIMENTS (tests use their own)."""
    import os

    return Path(os.environ.get("AICOURSE_EXPERIMENTS", EXPERIMENTS_DIR)).resolve()


def discover(directory: Path | None = None) -> tuple[list[ExperimentSpec], list[ExperimentError]]:
    """Every experiment under ``directory``, and one error for each module that cannot be read."""
    directory = directory or experiments_dir()
    specs: list[ExperimentSpec] = []
    errors: list[ExperimentError] = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            specs.extend(read_specs(path))
        except (SyntaxError, ValueError) as exc:
            source = path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)
            errors.append(ExperimentError(path.stem, source, f"cannot be read: {exc}"))
    seen: dict[str, ExperimentSpec] = {}
    owners: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            errors.append(ExperimentError(spec.name, spec.source, f"name already used in {seen[spec.name].source}"))
        seen[spec.name] = spec
        for fig in spec.figures:
            if fig in owners:
                errors.append(ExperimentError(spec.name, spec.source, f"figure '{fig}' is already drawn by '{owners[fig]}'"))
            owners[fig] = spec.name
    return specs, errors
