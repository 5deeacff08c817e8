"""Exports for interactive figures (no browser): in the cache entry, readable, faithful to torch.

The export API (``Context.export``) on a throwaway experiment, the page glue
(``aicourse.site.interactive``) on Markdown, and lecture 13's real export: its test vectors
reproduced by a numpy forward pass from the exported weights alone.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from aicourse.figures import cache
from aicourse.figures.build import build
from aicourse.site import interactive
from aicourse.site.pages import PageError

EXPORTS = '''
import numpy as np
import torch

from aicourse.figures import experiment


@experiment(name="exports", figures=[], quick={"n": 3}, full={"n": 3})
def run(ctx):
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, ctx.params["n"])
    x = torch.randn(2, 4)
    ctx.export("tiny-model", layer.state_dict(), tests={"x": x, "y": layer(x)}, meta={"note": "ノート"})
'''


@pytest.fixture
def lab(tmp_path, monkeypatch):
    """A private experiments folder and cache (as in test_pipeline), holding one exporting experiment."""
    exp_dir = tmp_path / "experiments"
    exp_dir.mkdir()
    (exp_dir / "exports.py").write_text(textwrap.dedent(EXPORTS), encoding="utf-8")
    monkeypatch.setenv("AICOURSE_EXPERIMENTS", str(exp_dir))
    monkeypatch.setenv("AICOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AICOURSE_JOBS", "1")
    return exp_dir


def test_an_export_is_a_hashed_file_of_the_entry(lab):
    entry = build("quick").entries[0]
    assert entry.exports() == {"tiny-model": ("interactive/tiny-model.safetensors", "interactive/tiny-model.test.safetensors")}
    sealed = json.loads((entry.directory / cache.ENTRY_FILE).read_text(encoding="utf-8"))["files"]
    for rel in entry.exports()["tiny-model"]:
        assert sealed[rel] == cache.file_sha256(entry.directory / rel)
    tensors, meta = cache.read_export(entry.directory / "interactive/tiny-model.safetensors")
    assert sorted(tensors) == ["bias", "weight"] and tensors["weight"].dtype == np.float32
    assert meta == {"dtype": "float32", "experiment": "exports", "note": "ノート", "profile": "quick"}
    tests, _ = cache.read_export(entry.directory / "interactive/tiny-model.test.safetensors")
    np.testing.assert_allclose(tests["x"] @ tensors["weight"].T + tensors["bias"], tests["y"], atol=1e-6)


def test_exports_are_byte_for_byte_reproducible(lab):
    first = dict(build("quick").entries[0].files)
    again = build("quick", force=True).entries[0]
    assert not again.from_cache and again.files == first


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_damaged_export_is_named_and_rebuilt(lab, damage, capsys):
    entry = build("quick").entries[0]
    path = entry.directory / "interactive" / "tiny-model.safetensors"
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    with pytest.raises(cache.ExportError, match=r"tiny-model\.safetensors"):
        cache.read_export(path)
    with pytest.raises(cache.CorruptEntry, match=r"tiny-model\.safetensors"):
        cache.load(entry.spec, "quick", entry.key)
    rebuilt = build("quick").entries[0]  # the build names the file, discards the entry and runs again
    assert "tiny-model.safetensors" in capsys.readouterr().err
    assert not rebuilt.from_cache and cache.read_export(path)[0]["weight"].shape == (3, 4)


def test_export_rejects_bad_names_and_values(tmp_path):
    from aicourse.figures.experiment import Context

    ctx = Context("x", "quick", {}, (), tmp_path)
    with pytest.raises(ValueError, match="lower-case"):
        ctx.export("Bad_Name", {"w": np.zeros(2)})
    with pytest.raises(ValueError, match="tensor 'w' holds non-finite"):
        ctx.export("good", {"w": np.array([1.0, np.nan])})
    with pytest.raises(ValueError, match="dtype"):
        ctx.export("good", {"w": np.zeros(2)}, dtype="bfloat16")
    with pytest.raises(ValueError, match="'a.weight.scale' would collide"):
        ctx.export("good", {"a.weight": np.ones((2, 2)), "a.weight.scale": np.ones(2)}, dtype="int8")
    ctx.export("half", {"w": np.array([1 / 3], dtype=np.float32)}, dtype="float16")
    assert load_file(str(tmp_path / "interactive" / "half.safetensors"))["w"].dtype == np.float16


def test_an_int8_export_stores_weight_matrices_per_row_and_reads_back_as_the_page_computes(tmp_path):
    import torch

    from aicourse.figures import as_exported
    from aicourse.figures.experiment import Context

    torch.manual_seed(0)
    conv, lin = torch.nn.Conv1d(3, 4, 3), torch.nn.Linear(5, 6)
    with torch.no_grad():
        lin.weight[2] = 0  # an all-zero row must survive
        lin.weight[3] *= 100  # rows of very different sizes get scales of their own
    tensors = {**{f"conv.{k}": v for k, v in conv.state_dict().items()},
               **{f"lin.{k}": v for k, v in lin.state_dict().items()}, "data.x": torch.randn(7, 2)}
    Context("x", "quick", {}, (), tmp_path).export("q", tensors, dtype="int8")
    path = tmp_path / "interactive" / "q.safetensors"
    raw, _ = cache.read_export(path, raw=True)
    assert raw["conv.weight"].dtype == raw["lin.weight"].dtype == np.int8
    assert raw["lin.weight.scale"].shape == (6,) and raw["conv.weight.scale"].shape == (4,)
    assert raw["lin.bias"].dtype == raw["data.x"].dtype == np.float16  # vectors and data: float16
    assert np.abs(raw["lin.weight"]).max(axis=1).tolist() == [127, 127, 0, 127, 127, 127]
    values, _ = cache.read_export(path)
    assert set(values) == set(tensors)  # the scales are folded in, not listed
    expected = as_exported(tensors, "int8")
    for key, value in values.items():
        assert value.dtype == np.float32
        np.testing.assert_array_equal(value, expected[key].numpy(), err_msg=key)
        # per-row rounding: each weight within half a step of its row's scale
        step = np.abs(tensors[key].detach().numpy()).reshape(len(value), -1).max(axis=1) / 127
        if key.endswith(".weight"):
            err = np.abs(value - tensors[key].detach().numpy()).reshape(len(value), -1).max(axis=1)
            assert (err <= step / 2 + 1e-7).all(), key
    # a file whose int8 tensor lost its scales is refused, naming the file and the tensor
    from safetensors.numpy import save_file
    save_file({"w.weight": raw["lin.weight"]}, str(tmp_path / "broken.safetensors"))
    with pytest.raises(cache.ExportError, match=r"broken\.safetensors.*'w\.weight' has no 'w\.weight\.scale'"):
        cache.read_export(tmp_path / "broken.safetensors")


# -- the page glue ---------------------------------------------------------------

def _ref(name):
    return interactive.InteractiveRef(f"../../figures/interactive/{name}.safetensors",
                                      f"../../figures/interactive/{name}.test.safetensors",
                                      "../../assets/javascripts/interactive/loader.js", "code/x.py", "https://e/x.py")


def test_the_marker_becomes_a_hidden_figure_and_one_loader_script():
    md = 'Text.\n\n{{ interactive: vae-latent "A caption & more" }}\n\n{{ interactive: other }}\n'
    out = interactive.render(md, "docs/p.en.md", "en", _ref)
    assert out.count("<figure class=\"interactive-figure\"") == 2 and out.count(" hidden>") == 2
    assert 'data-interactive="vae-latent"' in out and 'data-lang="en"' in out
    assert 'data-weights="../../figures/interactive/vae-latent.safetensors"' in out
    assert 'data-tests="../../figures/interactive/vae-latent.test.safetensors"' in out
    assert out.count('<script type="module" src="../../assets/javascripts/interactive/loader.js"></script>') == 1
    assert "A caption &amp; more" in out and 'aria-live="polite"' in out
    assert "code that trained this model" in out
    assert "このモデルを学習したコード" in interactive.render(md, "docs/p.ja.md", "ja", _ref)
    assert "<script" not in interactive.render("No marker here.\n", "docs/p.en.md", "en", _ref)
    assert "trained in the quick profile" not in out
    quick = lambda name: dataclasses.replace(_ref(name), profile="quick", profile_help_url="https://e/R.md#q")  # noqa: E731
    assert '<a class="figure-profile" href="https://e/R.md#q">trained in the quick profile' in \
        interactive.render(md, "docs/p.en.md", "en", quick)


def test_an_unknown_or_moduleless_figure_fails_naming_page_and_name(tmp_path):
    with pytest.raises(PageError, match=r"docs/p\.en\.md: interactive figure 'nope' has no export"):
        interactive.render("{{ interactive: nope }}\n", "docs/p.en.md", "en", lambda name: None)
    assert interactive.render("{{ interactive: nope }}\n", "docs/p.en.md", "en", None).strip() == ""  # figures off

    class Spec:
        source = "code/x.py"

    class Entry:
        spec = Spec()

    found = {"ghost": (Entry(), "interactive/ghost.safetensors", "interactive/ghost.test.safetensors")}
    lookup = interactive.lookup_for(found, "lectures/13-vae/", tmp_path, lambda p: p)
    with pytest.raises(PageError, match=r"docs/p\.en\.md: .*ghost\.js is missing"):
        interactive.render("{{ interactive: ghost }}\n", "docs/p.en.md", "en", lookup)
    (tmp_path / interactive.SCRIPTS).mkdir(parents=True)
    (tmp_path / interactive.SCRIPTS / "ghost.js").write_text("export function mount() {}\n")
    ref = lookup("ghost")
    assert ref.weights_url == "../../figures/interactive/ghost.safetensors"
    assert ref.loader_url == "../../assets/javascripts/interactive/loader.js"


# -- lecture 13's export ---------------------------------------------------------

@pytest.fixture(scope="module")
def vae_entry():
    """The course's own vae entry in the shared cache (runs the experiment if it is not there)."""
    result = build("quick", only=["vae"])
    result.raise_errors()
    return result.entries[0]


def _relu(x):
    return np.maximum(x, 0)


def _linear(t, prefix, x):
    return x @ t[f"{prefix}.weight"].T + t[f"{prefix}.bias"]


def test_the_vae_export_is_in_its_entry_and_loads_with_safetensors(vae_entry):
    weights_rel, tests_rel = vae_entry.exports()["vae-latent"]
    for rel in (weights_rel, tests_rel):
        assert rel in vae_entry.files
    stored = load_file(str(vae_entry.directory / weights_rel))
    # int8 weight matrices with a float32 scale per row; biases and data in float16
    assert {k: v.dtype for k, v in stored.items() if v.dtype != np.float16} == {
        **{k: np.int8 for k in stored if k.endswith(".weight")},
        **{k: np.float32 for k in stored if k.endswith(".weight.scale")}}
    tensors, meta = cache.read_export(vae_entry.directory / weights_rel)
    assert meta["experiment"] == "vae" and meta["profile"] == vae_entry.profile and meta["threshold"] == 0.5
    hidden = meta["hidden"]
    assert tensors["encoder.0.weight"].shape == (hidden, 64) and tensors["decoder.4.weight"].shape == (64, hidden)
    assert tensors["map.mu"].shape[1] == 2 and tensors["map.label"].shape == tensors["map.mu"].shape[:1]
    assert tensors["examples.x"].shape == (10, 64) and set(np.unique(tensors["examples.x"])) <= {0.0, 1.0}


def test_the_vae_test_vectors_are_reproduced_in_numpy_from_the_exported_weights(vae_entry):
    weights_rel, tests_rel = vae_entry.exports()["vae-latent"]
    t = {k: v.astype(np.float64) for k, v in cache.read_export(vae_entry.directory / weights_rel)[0].items()}
    tests = load_file(str(vae_entry.directory / tests_rel))
    assert (tests["x"] == (tests["grey"] >= 0.5)).all()  # the training digits' preprocessing
    h = _relu(_linear(t, "encoder.2", _relu(_linear(t, "encoder.0", tests["x"]))))
    np.testing.assert_allclose(_linear(t, "to_mu", h), tests["mu"], atol=1e-5)
    np.testing.assert_allclose(_linear(t, "to_logvar", h), tests["logvar"], atol=1e-5)
    h = _relu(_linear(t, "decoder.2", _relu(_linear(t, "decoder.0", tests["z"]))))
    np.testing.assert_allclose(1 / (1 + np.exp(-_linear(t, "decoder.4", h))), tests["decoded"], atol=1e-5)
    assert len(tests["x"]) >= 5 and len(tests["z"]) >= 5


def test_a_missing_vae_export_is_reported_naming_the_file(vae_entry, tmp_path):
    copy = tmp_path / "entry"
    shutil.copytree(vae_entry.directory, copy)
    weights = copy / vae_entry.exports()["vae-latent"][0]
    weights.unlink()
    with pytest.raises(cache.ExportError, match=r"vae-latent\.safetensors: export file is missing"):
        cache.read_export(weights)
    weights.write_bytes(Path(copy / vae_entry.exports()["vae-latent"][1]).read_bytes()[:50])
    with pytest.raises(cache.ExportError, match=r"vae-latent\.safetensors: not a readable safetensors export"):
        cache.read_export(weights)
