"""Every lecture notebook runs top to bottom in the quick profile, with no model hub."""

from __future__ import annotations

import json
import re

from pathlib import Path

import nbformat
import pytest
import yaml

from aicourse.notebooks import NotebookError, execute

ROOT = Path(__file__).resolve().parents[1]

NOTEBOOKS = sorted((ROOT / "lectures").glob("*.ipynb"))


def repo_url() -> str:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("repo_url:"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path):
    # The same cached execution the site build shows (aicourse.notebooks): run once, checked here.
    try:
        executed = execute(path, "quick")
    except NotebookError as exc:  # names the notebook and the failing cell
        pytest.fail(str(exc))
    nb = nbformat.read(executed.path, as_version=4)
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert outputs, f"{path.relative_to(ROOT)}: ran but showed nothing"
    # A plot the reader never sees is a bug too (course code once switched the backend to Agg).
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "plt.show()" in cell.source:
            shown = any("image/png" in out.get("data", {}) for out in cell.outputs)
            assert shown, f"{path.relative_to(ROOT)}: cell {i} calls plt.show() but displays no figure"


HUB_NOTEBOOKS = [p for p in NOTEBOOKS if "from_pretrained(" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", HUB_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_that_loads_hub_weights_still_runs_offline_in_the_full_profile(path):
    """The deploy builds the full profile with the hub off (HF_HUB_OFFLINE=1): such a notebook must
    fall back to local parts there instead of failing to download (Colab, online, loads the real ones)."""
    try:
        execute(path, "full")
    except NotebookError as exc:
        pytest.fail(str(exc))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_carries_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    carrying = [i + 1 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not carrying, f"{path.relative_to(ROOT)}: cells {carrying} carry outputs; clear them (the site shows the build's run)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_installs_the_package_from_the_repository(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert f"git+{repo_url()}" in "".join(first_code["source"]), f"{path.name}: first code cell must install the package"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_prose_comes_in_both_languages_and_code_is_not_duplicated(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    tags = [tuple(c.get("metadata", {}).get("tags", [])) for c in nb["cells"] if c["cell_type"] == "markdown"]
    ja = sum("lang-ja" in t for t in tags)
    en = sum("lang-en" in t for t in tags)
    assert ja == en > 0, f"{path.name}: {ja} Japanese and {en} English prose cells"
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == len(set(code)), f"{path.name}: a code cell appears twice"


def test_every_notebook_belongs_to_a_lecture_of_the_syllabus():
    data = yaml.safe_load((ROOT / "docs" / "_data" / "syllabus.yml").read_text(encoding="utf-8"))
    ids = {f"{lec['number']:02d}-{lec['slug']}" for lec in data["lectures"]}
    for path in NOTEBOOKS:
        assert path.stem in ids, f"{path.name} matches no lecture in docs/_data/syllabus.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_that_plot_japanese_load_a_japanese_font(path):
    # Colab has no Japanese font: without matplotlib_fontja, labels like "エポック" draw as empty boxes.
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    strings = [line for line in code.splitlines()
               if not line.lstrip().startswith("#") and re.search(r"[\u3040-\u30ff\u3400-\u9fff]", line)
               and not line.lstrip().startswith("print(")]
    if "plt." in code and strings:
        assert "import matplotlib_fontja" in code, f"{path.name}: Japanese plot labels without matplotlib_fontja: {strings[0].strip()!r}"


def test_fork_command_points_the_install_cell_at_repo_url(tmp_path):
    from aicourse.fork import point_notebooks_at

    copy = tmp_path / NOTEBOOKS[0].name
    copy.write_text(NOTEBOOKS[0].read_text(encoding="utf-8"), encoding="utf-8")
    assert point_notebooks_at(repo_url(), [copy]) == []  # already in step with mkdocs.yml
    assert point_notebooks_at("https://github.com/some-lecturer/ai2-fork", [copy]) == [copy]
    first = next(c for c in json.loads(copy.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"])
    assert "git+https://github.com/some-lecturer/ai2-fork" in source and repo_url() not in source
