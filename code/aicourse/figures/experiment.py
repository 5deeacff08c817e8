"""The ``@experiment`` decorator and the :class:`Context` an experiment works with.

Besides figures, an experiment can export what an interactive figure runs in the page
(``Context.export``): its weights and a few test inputs with torch's outputs, written into the
same cache entry as its figures and published with them (see ``aicourse.site.interactive``).
"""

from __future__ import annotations

import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Callable

from aicourse import LANGS
from aicourse.i18n import Text

_REGISTRY: dict[str, Callable] = {}

EXPORT_DIR = "interactive"  # an entry's exports: interactive/<name>.safetensors and <name>.test.safetensors
EXPORT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
EXPORT_DTYPES = ("float32", "float16", "int8")
SCALE_SUFFIX = ".scale"  # int8 exports: tensor K holds integers, K + SCALE_SUFFIX one float32 scale per row
EXPORT_META_KEY = "aicourse"  # safetensors metadata: one key holding sorted JSON, so the bytes are reproducible


def experiment(*, name: str, figures: tuple | list, quick: dict | None = None, full: dict | None = None, lecture: str = ""):
    """Declare an experiment. Arguments must be literals: the pipeline reads them without importing.

    ``figures`` names every figure the run draws; ``quick`` and ``full`` are the
    parameters of the two profiles, passed to the function as ``ctx.params``.
    """

    def register(fn: Callable[["Context"], None]) -> Callable[["Context"], None]:
        fn.experiment_name = name
        _REGISTRY[name] = fn
        return fn

    return register


def registered(name: str) -> Callable | None:
    return _REGISTRY.get(name)


class ClaimError(AssertionError):
    """A page says something about a run that this run does not show."""


class Context:
    """What an experiment receives: its parameters and the means to record results."""

    def __init__(self, name: str, profile: str, params: dict, figures: tuple[str, ...], out: Path, device: str = "cpu"):
        self.name = name
        self.profile = profile
        self.params = params
        self.declared = figures
        self.out = out
        self.device = device
        self.values: dict[str, dict[str, str]] = {}
        self._last_report = 0.0

    # -- numbers a page quotes -------------------------------------------------
    def value(self, key: str, value, fmt: str = "{}", *, ja: str | None = None, en: str | None = None) -> None:
        """Record a number (or word) for the pages: ``{{ experiment.key }}`` shows ``fmt.format(value)``.

        ``ja``/``en`` give a wording per language when the text itself differs.
        """
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"value '{key}' is {value}: the run diverged")
        text = fmt.format(value)
        self.values[key] = {"ja": ja if ja is not None else text, "en": en if en is not None else text}

    def check(self, holds: bool, claim: str, detail: str = "") -> None:
        """Guard a sentence a page states about this run: if the run disagrees, the build fails.

        ``claim`` quotes the sentence (and names its page); ``detail`` gives the numbers that
        contradict it, so the author can rewrite the sentence or word it from ``ctx.value``.
        """
        if not holds:
            raise ClaimError(f"the run contradicts the claim {claim!r}" + (f": {detail}" if detail else ""))

    # -- figures ----------------------------------------------------------------
    def _path(self, figure: str, lang: str, ext: str) -> Path:
        if figure not in self.declared:
            raise ValueError(f"figure '{figure}' is not declared in @experiment(figures=...)")
        path = self.out / lang / f"{figure}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def figure(self, figure: str, draw: Callable[[Text], "object"], fmt: str = "svg", dpi: int = 150) -> None:
        """Draw ``figure`` once per language: ``draw(t)`` returns a matplotlib Figure labelled with ``t(ja, en)``."""
        from aicourse.figures.render import save_figure

        for lang in LANGS:
            fig = draw(Text(lang))
            save_figure(fig, self._path(figure, lang, fmt), dpi=dpi)

    def animation(self, figure: str, frames: Callable[[Text], list], duration_ms: int = 80) -> None:
        """Write ``figure`` as a looping GIF per language: ``frames(t)`` returns PIL images."""
        from aicourse.figures.render import save_gif

        for lang in LANGS:
            save_gif(frames(Text(lang)), self._path(figure, lang, "gif"), duration_ms)

    # -- interactive figures -------------------------------------------------------
    def export(self, name: str, tensors: dict, *, tests: dict | None = None, meta: dict | None = None,
               dtype: str = "float32") -> None:
        """Export what the interactive figure ``name`` runs in the page, into this run's cache entry.

        Writes ``interactive/<name>.safetensors`` with ``tensors`` (name -> torch tensor or numpy
        array: the weights, under their ``state_dict`` names, and any data the figure draws) and
        ``interactive/<name>.test.safetensors`` with ``tests`` (test inputs and torch's outputs for
        them; the browser check runs the inputs through the page's model and compares). ``meta``
        (JSON-serialisable: thresholds, labels, layer sizes) goes into the weights file's metadata
        under the key ``"aicourse"``, with ``experiment`` and ``profile`` added.

        ``dtype="float16"`` halves the bytes a page loads; ``dtype="int8"`` quarters them: every
        weight matrix (a ``state_dict`` name ending in ``.weight``, two or more dimensions: Linear,
        Conv, Embedding) is stored as integers in [−127, 127] with one float32 scale per output row
        (lecture 06's symmetric quantization, row by row), the rest (biases, data the figure draws)
        in float16. The page then runs the rounded weights, so compute ``tests`` from
        ``as_exported(tensors, dtype)``, not from the trained float32 ones.
        A page shows the export with ``{{ interactive: name }}`` and ``docs/assets/javascripts/
        interactive/<name>.js`` (see the README, "Interactive figures").
        """
        from safetensors.numpy import save_file

        if not EXPORT_NAME.match(name):
            raise ValueError(f"export name {name!r}: use lower-case letters, digits and '-' (it names a .js module)")
        if dtype not in EXPORT_DTYPES:
            raise ValueError(f"export '{name}': dtype {dtype!r} is not one of {', '.join(EXPORT_DTYPES)}")
        out = self.out / EXPORT_DIR
        out.mkdir(parents=True, exist_ok=True)
        info = {**(meta or {}), "experiment": self.name, "profile": self.profile, "dtype": dtype}
        metadata = {EXPORT_META_KEY: json.dumps(info, sort_keys=True, ensure_ascii=False)}
        save_file(_arrays(name, tensors, dtype), str(out / f"{name}.safetensors"), metadata=metadata)
        save_file(_arrays(name, tests or {}, "float32"), str(out / f"{name}.test.safetensors"),
                  metadata={EXPORT_META_KEY: json.dumps({"experiment": self.name, "export": name}, sort_keys=True)})

    # -- progress -------------------------------------------------------------
    def progress(self, step: int, total: int, what: str = "step", **numbers) -> None:
        """Report progress to the terminal, at most every two seconds (and at the last step)."""
        now = time.monotonic()
        if step < total and now - self._last_report < 2.0:
            return
        self._last_report = now
        extra = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in numbers.items())
        print(f"  [{self.name}] {what} {step}/{total} {extra}".rstrip(), file=sys.stderr, flush=True)


def _quantize_rows(array):
    """Symmetric int8 per output row (axis 0): integers q in [−127, 127] and scales s, w ≈ s·q."""
    import numpy as np

    rows = array.reshape(array.shape[0], -1)
    scale = (np.abs(rows).max(axis=1) / np.float32(127)).astype(np.float32)
    scale[scale == 0] = 1  # an all-zero row: any scale gives zeros
    q = np.clip(np.rint(rows / scale[:, None]), -127, 127).astype(np.int8)
    return q.reshape(array.shape), scale


def _float32(export: str, key: str, value):
    import numpy as np

    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.ascontiguousarray(np.asarray(value, dtype=np.float32))
    if not np.isfinite(array).all():
        raise ValueError(f"export '{export}': tensor '{key}' holds non-finite values")
    return array


def _arrays(export: str, tensors: dict, dtype: str) -> dict:
    """Contiguous little-endian numpy arrays as stored; a non-finite value is named, never written."""
    import numpy as np

    arrays = {}
    for key, value in tensors.items():
        array = _float32(export, key, value)
        if dtype == "int8" and array.ndim >= 2 and key.endswith(".weight"):
            if key + SCALE_SUFFIX in tensors:
                raise ValueError(f"export '{export}': tensor '{key + SCALE_SUFFIX}' would collide with the scales of '{key}'")
            arrays[key], arrays[key + SCALE_SUFFIX] = _quantize_rows(array)
        elif dtype == "float32":
            arrays[key] = array
        else:  # float16, and the vectors of an int8 export
            arrays[key] = array.astype(np.float16)
    return arrays


def dequantize(arrays: dict) -> dict:
    """The float32 values an export's stored arrays stand for (what the page computes with).

    int8 tensors are multiplied by their per-row scales (in float32, as the page does), whose
    entries then disappear; float16 ones are widened. An int8 tensor without its scales is an error.
    """
    import numpy as np

    out = {}
    for key, array in arrays.items():
        if key.endswith(SCALE_SUFFIX) and key.removesuffix(SCALE_SUFFIX) in arrays:
            continue
        if array.dtype == np.int8:
            if key + SCALE_SUFFIX not in arrays:
                raise ValueError(f"int8 tensor '{key}' has no '{key + SCALE_SUFFIX}'")
            scale = arrays[key + SCALE_SUFFIX].astype(np.float32)
            rows = array.reshape(array.shape[0], -1).astype(np.float32) * scale[:, None]
            out[key] = rows.reshape(array.shape)
        else:
            out[key] = array.astype(np.float32)
    return out


def as_exported(tensors: dict, dtype: str) -> dict:
    """``tensors`` (a state dict) as the page will see them after ``export(..., dtype=dtype)``:
    float32 torch tensors, rounded to float16 or quantized to int8 and back. Load them into a copy
    of the model to compute the test vectors the page must reproduce."""
    import torch

    stored = _arrays("as_exported", tensors, dtype)
    return {k: torch.from_numpy(v.copy()) for k, v in dequantize(stored).items()}
