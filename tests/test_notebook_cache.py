"""Notebook execution cached by content (aicourse.notebooks), on throwaway notebooks and a private cache."""

from __future__ import annotations

import json

import nbformat
import pytest

from aicourse import notebooks


def _write(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) if not c.startswith("#md ") else nbformat.v4.new_markdown_cell(c[4:]) for c in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def nbcache(tmp_path, monkeypatch):
    monkeypatch.setenv(notebooks.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path


def test_outputs_are_kept_and_a_second_run_comes_from_the_cache(nbcache):
    path = _write(nbcache / "a.ipynb", "#md # Title", "print(6 * 7)")
    first = notebooks.execute(path, "quick")
    assert not first.from_cache
    outputs = nbformat.read(first.path, as_version=4).cells[1].outputs
    assert outputs[0]["text"].strip() == "42"
    assert json.loads(path.read_text())["cells"][1]["outputs"] == []  # the source stays clean
    assert notebooks.execute(path, "quick").from_cache
    assert not notebooks.execute(path, "full").from_cache  # the profile is part of the key


def test_editing_one_notebook_reexecutes_only_that_one(nbcache):
    a = _write(nbcache / "a.ipynb", "x = 1")
    b = _write(nbcache / "b.ipynb", "y = 2")
    notebooks.execute_all([a, b], "quick", jobs=2)
    _write(b, "y = 3")
    done, failed = notebooks.execute_all([a, b], "quick", jobs=2)
    assert not failed
    assert {r.source.name: r.from_cache for r in done} == {"a.ipynb": True, "b.ipynb": False}


def test_course_code_a_notebook_imports_is_in_its_key(nbcache):
    uses = _write(nbcache / "uses.ipynb", "from aicourse.models.vae import VAE")
    other = _write(nbcache / "other.ipynb", "from aicourse.data import digits")
    sources = {p.name for p in notebooks.imported_sources(uses)}
    assert "vae.py" in sources and "data.py" not in sources
    assert "data.py" in {p.name for p in notebooks.imported_sources(other)}


def test_a_damaged_entry_is_rebuilt_not_served(nbcache, capsys):
    path = _write(nbcache / "a.ipynb", "print('fine')")
    executed = notebooks.execute(path, "quick").path
    executed.write_text(executed.read_text().replace("fine", "forged"))
    again = notebooks.execute(path, "quick")
    assert not again.from_cache and "fine" in again.path.read_text() and "forged" not in again.path.read_text()
    assert "damaged" in capsys.readouterr().err


def test_a_failing_cell_names_notebook_and_cell_and_caches_nothing(nbcache):
    good = _write(nbcache / "good.ipynb", "print('ok')")
    bad = _write(nbcache / "bad.ipynb", "#md intro", "a = 1", "raise ValueError('the data went missing')")
    done, failed = notebooks.execute_all([good, bad], "quick", jobs=2)
    assert [r.source.name for r in done] == ["good.ipynb"]
    message = str(failed[0])
    assert "bad.ipynb" in message and "cell 3" in message and "ValueError: the data went missing" in message
    assert not list((nbcache / "cache").glob("bad/*/entry.json"))
    assert notebooks.execute(good, "quick").from_cache


def test_kernels_side_by_side_share_the_cores(nbcache, monkeypatch):
    monkeypatch.setattr(notebooks.os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert notebooks.kernel_threads(1) is None  # alone: torch's own default
    assert [notebooks.kernel_threads(j) for j in (2, 4, 8)] == [2, 1, 1]
    cell = "import os; print(os.environ.get('OMP_NUM_THREADS', 'unset'))"
    a, b = _write(nbcache / "a.ipynb", cell), _write(nbcache / "b.ipynb", cell + "  # b")
    printed = {}
    for path, jobs in ((a, 4), (b, 1)):  # four jobs on four cores: one thread each; one job: untouched
        done, failed = notebooks.execute_all([path], "quick", jobs=jobs)
        assert not failed
        printed[path.name] = nbformat.read(done[0].path, as_version=4).cells[0].outputs[0]["text"].strip()
    assert printed == {"a.ipynb": "1", "b.ipynb": "unset"}
