"""Lectures 01 and 04: their experiments run, draw both languages, and compute the sizes they quote."""

from __future__ import annotations

import math

from aicourse.figures.experiment import Context


def _run(fn, name, figures, tmp_path):
    ctx = Context(name, "quick", {}, tuple(figures), tmp_path)
    fn(ctx)
    for lang in ("ja", "en"):
        for f in figures:
            assert (tmp_path / lang / f"{f}.svg").stat().st_size > 1000
    return ctx


def test_build_vs_use_draws(tmp_path):
    from aicourse.experiments.what_is_ai import what_is_ai

    _run(what_is_ai, "what-is-ai", ["build-vs-use"], tmp_path)


def _run_generative_ai(tmp_path):
    """Lecture 04's experiment with its quick parameters (read from the decorator, as the pipeline does)."""
    from aicourse.experiments.generative_ai import generative_ai
    from aicourse.figures.spec import EXPERIMENTS_DIR, read_specs

    spec = next(s for s in read_specs(EXPERIMENTS_DIR / "generative_ai.py") if s.name == "generative-ai")
    ctx = Context(spec.name, "quick", spec.params_for("quick"), spec.figures, tmp_path)
    generative_ai(ctx)
    assert spec.figures == ("output-sizes", "pixels-vs-whole")
    for lang in ("ja", "en"):
        assert (tmp_path / lang / "output-sizes.svg").stat().st_size > 1000
        assert (tmp_path / lang / "pixels-vs-whole.png").stat().st_size > 1000
    return ctx


def test_output_sizes_are_computed(tmp_path):
    from sklearn.datasets import load_digits
    from transformers import GPT2Config

    ctx = _run_generative_ai(tmp_path)
    num = lambda k: float(ctx.values[k]["en"].replace(",", ""))  # noqa: E731
    cfg = GPT2Config()
    assert num("digit_classes") == len(set(load_digits().target))
    assert num("text_scores") == cfg.n_positions * cfg.vocab_size
    assert num("img1024") == 4 * num("img512")  # twice the side, four times the pixels
    assert abs(num("text_log10_outcomes") - math.log10(cfg.vocab_size) * cfg.n_positions) < 1
    assert num("cov_digits") == 64 * 65 / 2
    # The per-pixel model has a mean and a spread per pixel; a K-component mixture K·(64 + 64·65/2) + K − 1.
    assert num("params_independent") == 128
    assert num("params_mixture") == 10 * (64 + 2080) + 9


def test_pixels_made_on_their_own_do_not_fit_together():
    """The heart of the page's new figure, on small samples: independent pixels are uncorrelated."""
    import numpy as np

    from aicourse.experiments.generative_ai import mixture_parameters, neighbour_correlation

    rng = np.random.default_rng(0)
    stripes = np.repeat(rng.random((500, 8, 1)), 8, axis=2)  # every row one grey level: neighbours equal
    assert neighbour_correlation(stripes) > 0.99
    assert abs(neighbour_correlation(rng.random((2000, 64)))) < 0.05
    assert mixture_parameters(1, d=2) == 2 + 3
