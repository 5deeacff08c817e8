"""The home page's gallery: one figure of each written lecture, from the build's own run.

Each lecture contributes the lightest of the figures its page shows (``figure:name`` lines), so
the home page stays light (issue 14: under 500 KB with its images). Weight is what a reader
downloads: GitHub Pages compresses SVG like text, PNG and GIF travel as they are. Animations are
left out. The same files serve the lecture pages, so a reader's browser fetches them once.
Kept free of mkdocs: the hook passes the figures' paths and URLs.
"""

from __future__ import annotations

import gzip
import html
from dataclasses import dataclass
from pathlib import Path

from aicourse.site.pages import FIGURE_RE

COMPRESSED = {".svg", ".html", ".css", ".js", ".json", ".xml", ".txt"}  # what GitHub Pages gzips
SKIPPED = {".gif"}  # animations: heavy, and moving pictures on a home page distract


def transfer_bytes(path: Path) -> int:
    """The bytes a browser downloads for ``path`` from GitHub Pages (gzip for text formats)."""
    data = Path(path).read_bytes()
    return len(gzip.compress(data, compresslevel=6, mtime=0)) if Path(path).suffix in COMPRESSED else len(data)


def page_figures(markdown: str) -> list[tuple[str, str]]:
    """``(name, alt text)`` of each figure a page shows, in order."""
    return [(m["name"], m["alt"].strip()) for m in FIGURE_RE.finditer(markdown)]


@dataclass(frozen=True)
class Item:
    number: int
    title: str
    href: str  # the lecture page, relative to the home page
    src: str  # the figure, relative to the home page
    alt: str
    width: int
    height: int


def choose(figures: list[tuple[str, str]], path_of) -> tuple[str, str] | None:
    """The lightest of ``figures`` (``path_of(name)`` gives its file, or None if the run has none)."""
    best = None
    for name, alt in figures:
        path = path_of(name)
        if path is None or Path(path).suffix in SKIPPED:
            continue
        try:
            weight = transfer_bytes(path)
        except OSError:  # gone from the cache since the run (another build replaced the entry)
            continue
        if best is None or weight < best[0]:
            best = (weight, name, alt)
    return None if best is None else (best[1], best[2])


def gallery_html(items: list[Item], lang: str) -> str:
    """A grid of links, each a lecture's figure and its number and title (raw HTML for Markdown)."""
    label = "講義の図" if lang == "ja" else "Figures from the lectures"
    cards = [
        f'<a class="course-gallery__item" href="{html.escape(it.href)}">'
        f'<img src="{html.escape(it.src)}" alt="{html.escape(it.alt)}" width="{it.width}" height="{it.height}" '
        f'loading="lazy" decoding="async">'
        f'<span><span class="course-gallery__number">{it.number:02d}</span>{html.escape(it.title)}</span></a>'
        for it in items
    ]
    return f'\n<nav class="course-gallery" aria-label="{label}">\n' + "\n".join(cards) + "\n</nav>\n"
