"""The figure pipeline on throwaway experiments: cache hits, invalidation, damage, failures, determinism."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aicourse.figures import cache
from aicourse.figures.build import build

EXPERIMENT = '''
"""A throwaway experiment: a tiny seeded computation drawn as SVG, PNG and GIF."""
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from aicourse.figures import experiment


@experiment(name="{name}", figures=["{name}-plot", "{name}-grid", "{name}-anim"],
            quick={{"n": {n}}}, full={{"n": 50}})
def run(ctx):
    rng = np.random.default_rng(0)
    ys = rng.normal(size=ctx.params["n"]).cumsum()
    ctx.value("last", float(ys[-1]), "{{:.3f}}")
    ctx.value("word", 1, ja="いち", en="one")

    def plot(t):
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.plot(ys, label=t("系列", "series"))
        ax.legend()
        return fig

    ctx.figure("{name}-plot", plot)
    ctx.figure("{name}-grid", plot, fmt="png", dpi=40)
    ctx.animation("{name}-anim", lambda t: [Image.new("RGB", (8, 8), (i * 40, 0, 0)) for i in range(4)])
'''

TRAINS = '''
"""A throwaway experiment that trains with torch, so that thread counts could matter."""
import matplotlib.pyplot as plt
import torch

from aicourse.figures import experiment


@experiment(name="trains", figures=["trains-loss"], quick={"steps": 30}, full={"steps": 30})
def run(ctx):
    x = torch.randn(256, 16)
    y = x @ torch.randn(16, 1) + 0.1 * torch.randn(256, 1)
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(ctx.params["steps"]):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    ctx.value("final", losses[-1], "{:.6f}")
    ctx.figure("trains-loss", lambda t: _plot(t, losses))


def _plot(t, losses):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(losses, label=t("損失", "loss"))
    ax.legend()
    return fig
'''

THREADS = '''
"""A throwaway experiment that records the torch threads it was given."""
import torch

from aicourse.figures import experiment


@experiment(name="{name}", figures=[], quick={{}}, full={{}})
def run(ctx):
    ctx.value("threads", torch.get_num_threads())
'''

CLAIMS = '''
from aicourse.figures import experiment


@experiment(name="claims", figures=[], quick={}, full={})
def run(ctx):
    accuracy = 0.42
    ctx.check(accuracy > 0.9, claim="99 page: the model reads almost every digit", detail=f"accuracy {accuracy:.2f}")
'''

BROKEN = '''
from aicourse.figures import experiment


@experiment(name="broken-one", figures=["broken-fig"], quick={}, full={})
def run(ctx):
    raise RuntimeError("the model diverged on purpose")
'''


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A private experiments folder and cache, so tests never touch the course's own."""
    exp_dir = tmp_path / "experiments"
    exp_dir.mkdir()
    monkeypatch.setenv("AICOURSE_EXPERIMENTS", str(exp_dir))
    monkeypatch.setenv("AICOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AICOURSE_JOBS", "1")  # in-process unless a test asks for workers

    def write(name: str, text: str) -> Path:
        path = exp_dir / f"{name}.py"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def test_second_build_hits_the_cache(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    first = build("quick")
    assert not first.errors
    assert [e.from_cache for e in first.entries] == [False]
    second = build("quick")
    assert [e.from_cache for e in second.entries] == [True]
    assert second.entries[0].files == first.entries[0].files
    assert second.values()["alpha"]["word"] == {"ja": "いち", "en": "one"}


def test_editing_one_experiment_reruns_only_that_one(lab):
    path = lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    lab("beta", EXPERIMENT.format(name="beta", n=20))
    build("quick")
    path.write_text(path.read_text() + "\n# an edit\n")
    again = {e.spec.name: e.from_cache for e in build("quick").entries}
    assert again == {"alpha": False, "beta": True}


def test_parameters_and_profile_are_part_of_the_key(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    spec = build("quick").entries[0].spec
    assert cache.cache_key(spec, "quick") != cache.cache_key(spec, "full")
    lab("alpha", EXPERIMENT.format(name="alpha", n=21))
    assert not build("quick").entries[0].from_cache


def test_project_modules_an_experiment_imports_are_in_its_key(lab):
    path = lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    sources = {p.name for p in cache.project_sources(path)}
    # the experiment imports aicourse.figures, which imports the Context and the figure writers
    assert {"experiment.py", "render.py", "style.py"} <= sources


def test_a_damaged_entry_is_rebuilt_not_served(lab, capsys):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    entry = build("quick").entries[0]
    victim = entry.directory / "ja" / "alpha-plot.svg"
    good = victim.read_bytes()
    victim.write_bytes(good[: len(good) // 2])  # a partial write
    rebuilt = build("quick").entries[0]
    assert not rebuilt.from_cache
    assert victim.read_bytes() == good
    assert "damaged cache entry" in capsys.readouterr().err


def test_an_entry_without_its_seal_is_rebuilt(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    entry = build("quick").entries[0]
    (entry.directory / cache.ENTRY_FILE).unlink()
    assert not build("quick").entries[0].from_cache


def test_a_broken_experiment_is_named_and_the_others_survive(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    lab("broken", BROKEN)
    result = build("quick")
    assert [e.spec.name for e in result.entries] == ["alpha"]
    assert len(result.errors) == 1
    message = str(result.errors[0])
    assert "broken-one" in message and "diverged on purpose" in message
    assert "broken.py" in message
    # the good experiment's entry is intact and served from the cache next time
    assert build("quick").entries[0].from_cache


def test_an_unreadable_module_is_named(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    lab("typo", "def oops(:\n")
    result = build("quick")
    assert any("typo" in str(e) for e in result.errors)
    assert [e.spec.name for e in result.entries] == ["alpha"]


def test_the_cli_fails_with_the_experiment_name(lab):
    lab("broken", BROKEN)
    proc = subprocess.run([sys.executable, "-m", "aicourse", "figures", "build", "--profile", "quick"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "broken-one" in proc.stdout + proc.stderr


def test_same_inputs_give_the_same_bytes(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    first = build("quick").entries[0]
    digests = dict(first.files)
    second = build("quick", force=True).entries[0]
    assert not second.from_cache
    assert second.files == digests
    assert {Path(rel).suffix for rel in digests} == {".svg", ".png", ".gif"}


def test_every_figure_exists_in_both_languages(lab):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    entry = build("quick").entries[0]
    for fig in entry.spec.figures:
        for lang in ("ja", "en"):
            rel, path = entry.figure_path(fig, lang)
            assert path.is_file() and rel.startswith(lang + "/")
    meta = json.loads((entry.directory / cache.ENTRY_FILE).read_text())
    assert meta["profile"] == "quick"


def _digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): cache.file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_one_job_and_two_jobs_give_the_same_bytes(lab, tmp_path, monkeypatch):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    lab("beta", EXPERIMENT.format(name="beta", n=30))
    lab("trains", TRAINS)
    monkeypatch.setenv("AICOURSE_CACHE", str(tmp_path / "one"))
    one = build("quick", jobs=1)
    monkeypatch.setenv("AICOURSE_CACHE", str(tmp_path / "two"))
    two = build("quick", jobs=2)
    assert not one.errors and not two.errors
    assert [e.spec.name for e in two.entries] == [e.spec.name for e in one.entries]  # declaration order
    a, b = _digests(tmp_path / "one"), _digests(tmp_path / "two")
    figures = [rel for rel in a if not rel.endswith(cache.ENTRY_FILE)]
    assert len(figures) >= 13 and {rel: a[rel] for rel in figures} == {rel: b.get(rel) for rel in figures}
    assert one.values() == two.values()


def test_each_experiment_gets_one_torch_thread_alone_or_beside_others(lab, tmp_path, monkeypatch):
    """More threads change the last bits (see TORCH_THREADS in build.py): one, whatever --jobs and the number run."""
    import torch

    before = torch.get_num_threads()
    lab("solo", THREADS.format(name="solo"))
    alone = build("quick", jobs=1)  # in this process, the only experiment to run
    assert alone.values()["solo"]["threads"]["en"] == "1" and torch.get_num_threads() == before
    lab("pair", THREADS.format(name="pair"))
    monkeypatch.setenv("AICOURSE_CACHE", str(tmp_path / "side-by-side"))
    beside = build("quick", jobs=2)  # two worker processes
    assert {name: v["threads"]["en"] for name, v in beside.values().items()} == {"pair": "1", "solo": "1"}


def test_in_parallel_a_broken_experiment_fails_alone(lab, capsys):
    lab("alpha", EXPERIMENT.format(name="alpha", n=20))
    lab("beta", EXPERIMENT.format(name="beta", n=30))
    lab("broken", BROKEN)
    result = build("quick", jobs=2)
    assert sorted(e.spec.name for e in result.entries) == ["alpha", "beta"]
    assert len(result.errors) == 1 and "broken-one" in str(result.errors[0]) and "diverged on purpose" in str(result.errors[0])
    again = build("quick", jobs=2)
    assert all(e.from_cache for e in again.entries)
    summary = capsys.readouterr().err
    assert "alpha" in summary and "cached" in summary  # the closing summary names each experiment


def test_a_claim_the_run_contradicts_fails_naming_experiment_and_sentence(lab):
    lab("claims", CLAIMS)
    result = build("quick")
    assert not result.entries and len(result.errors) == 1
    message = str(result.errors[0])
    assert "'claims'" in message and "reads almost every digit" in message and "accuracy 0.42" in message
