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


def test_output_sizes_are_computed(tmp_path):
    from sklearn.datasets import load_digits
    from transformers import GPT2Config

    from aicourse.experiments.generative_ai import generative_ai

    ctx = _run(generative_ai, "generative-ai", ["output-sizes"], tmp_path)
    num = lambda k: float(ctx.values[k]["en"].replace(",", ""))  # noqa: E731
    cfg = GPT2Config()
    assert num("digit_classes") == len(set(load_digits().target))
    assert num("text_scores") == cfg.n_positions * cfg.vocab_size
    assert num("img1024") == 4 * num("img512")  # twice the side, four times the pixels
    assert abs(num("text_log10_outcomes") - math.log10(cfg.vocab_size) * cfg.n_positions) < 1
