"""Interactive figures: a model trained by the build, running in the page beside its static figure.

How to add one (lectures 06, 10, 12 follow lecture 13's ``vae-latent``):

1. In the experiment, after training: ``ctx.export("NAME", tensors, tests=..., meta=...)``
   (``aicourse.figures.experiment.Context.export``). The weights and a few test inputs with
   torch's outputs land in the experiment's cache entry, under ``interactive/``, so they share
   its cache key, profile and hashes, and the site publishes them at ``figures/interactive/``.
2. Write ``docs/assets/javascripts/interactive/NAME.js``, an ES module exporting
   ``mount(body, ctx)`` and ``selftest(ctx, tests)``; ``nn.js`` has the safetensors reader and
   the ops, ``loader.js`` documents ``ctx``. No library, no build step, nothing from another host.
3. On both language pages, on a line of its own after the static figure it extends::

       {{ interactive: NAME "caption in the page's language" }}

   This module turns the line into a hidden ``<figure class="interactive-figure">`` whose data
   attributes point at the exported files, plus (once per page) the ``<script type="module">``
   of ``loader.js``, which reveals the figure and loads the rest only when it nears the viewport.
   Without JavaScript, and in print, only the static figure shows.
4. Add the page and NAME to ``tests/browser/test_interactive.py`` (parity with torch within 1e-4,
   behaviour by pointer and keyboard) and to ``benchmarks/interactive.py`` (bytes, update time).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from aicourse.i18n import Text
from aicourse.site.pages import PageError

MARKER_RE = re.compile(r'^\{\{\s*interactive:\s*(?P<name>[\w.-]+)(?:\s+"(?P<caption>[^"]*)")?\s*\}\}[ \t]*$', re.M)
SCRIPTS = "assets/javascripts/interactive"  # under docs/: loader.js, nn.js and one NAME.js per figure


@dataclass(frozen=True)
class InteractiveRef:
    weights_url: str  # relative to the page
    tests_url: str
    loader_url: str
    source_path: str  # the experiment that trained and exported the model
    source_url: str
    profile: str = ""  # "quick": the caption says the model comes from the small run, as figures do
    profile_help_url: str = ""


def exports(entries) -> dict:
    """Export name -> (entry, weights file, test file) over a build's entries."""
    return {name: (entry, *files) for entry in entries for name, files in entry.exports().items()}


def render(markdown: str, page: str, lang: str, lookup) -> str:
    """Replace each ``{{ interactive: NAME "caption" }}`` line; ``lookup(name)`` gives an InteractiveRef.

    ``lookup`` returning None means the model does not exist: the page fails, naming NAME. A page
    built without figures (``lookup is None``) just drops the markers.
    """
    t = Text(lang)
    loader: list[str] = []

    def replace(m: re.Match) -> str:
        if lookup is None:
            return ""
        name = m["name"]
        try:
            ref = lookup(name)
        except PageError as exc:
            raise PageError(f"{page}: {exc}") from None
        if ref is None:
            raise PageError(f"{page}: interactive figure '{name}' has no export (no experiment calls ctx.export('{name}', ...))")
        caption = html.escape(m["caption"]) + " " if m["caption"] else ""
        source = (f'<a class="figure-source" href="{html.escape(ref.source_url)}">'
                  f'{t("このモデルを学習したコード", "code that trained this model")}: {html.escape(ref.source_path)}</a>')
        if ref.profile == "quick":
            source += (f' <a class="figure-profile" href="{html.escape(ref.profile_help_url)}">'
                       f'{t("quick プロファイル (CPU 向けの小さな実行) で学習。完全版 (full) の作り方", "trained in the quick profile (a small CPU run); how to build the full one")}</a>')
        script = "" if loader else f'<script type="module" src="{html.escape(ref.loader_url)}"></script>\n'
        loader.append(name)
        return (
            f'\n<figure class="interactive-figure" data-interactive="{html.escape(name)}" data-lang="{lang}" '
            f'data-weights="{html.escape(ref.weights_url)}" data-tests="{html.escape(ref.tests_url)}" hidden>\n'
            f'<div class="interactive-figure__body" data-pagefind-ignore><p class="interactive-figure__status">'
            f'{t("操作できる図を読み込んでいます…", "Loading the interactive figure…")}</p></div>\n'
            f'<p class="interactive-figure__live" aria-live="polite"></p>\n'
            f"<figcaption>{caption}{source}</figcaption>\n</figure>\n{script}"
        )

    return MARKER_RE.sub(replace, markdown)


def lookup_for(found: dict, page_url: str, docs_dir: Path, source_url_of, profile_help_url: str = ""):
    """The ``lookup`` for ``render`` on one page: URLs relative to ``page_url``; the module must exist."""
    from mkdocs.utils import get_relative_url

    def lookup(name: str) -> InteractiveRef | None:
        if name not in found:
            return None
        module = Path(docs_dir) / SCRIPTS / f"{name}.js"
        if not module.is_file():
            raise PageError(f"interactive figure '{name}': its module docs/{SCRIPTS}/{name}.js is missing")
        entry, weights, tests = found[name]
        return InteractiveRef(
            weights_url=get_relative_url(f"figures/{weights}", page_url),
            tests_url=get_relative_url(f"figures/{tests}", page_url),
            loader_url=get_relative_url(f"{SCRIPTS}/loader.js", page_url),
            source_path=entry.spec.source, source_url=source_url_of(entry.spec.source),
            profile=getattr(entry, "profile", ""), profile_help_url=profile_help_url,
        )

    return lookup
