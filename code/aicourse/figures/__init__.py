"""The figure pipeline: experiments → cached figures in both languages → the site.

It knows nothing about mkdocs; ``aicourse.site.mkdocs_hook`` is the thin glue.

An experiment is a function in ``aicourse/experiments/`` decorated with
:func:`experiment`. It receives a :class:`Context`, trains or measures something
real, records the numbers a page quotes with ``ctx.value`` and draws its figures
with ``ctx.figure`` (once per language). Runs are cached by content, see ``cache``.
"""

from aicourse.figures.experiment import Context, as_exported, experiment

__all__ = ["Context", "as_exported", "experiment"]
