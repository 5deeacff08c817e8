"""Math typeset at build time with KaTeX, so pages ship finished HTML and no math script.

Typesetting in the browser moved the text under each formula once KaTeX had loaded (Lighthouse
counted it as layout shift) and cost ~270 KB of script on every page with math. Here the build
does it: one Node process (``katex_render.js``) serves the whole build, and a page then needs only
KaTeX's stylesheet and fonts. A formula KaTeX cannot parse fails the build, naming the file.

Two kinds of input:
- Markdown pages: ``pymdownx.arithmatex`` (generic mode) wraps math as
  ``<span class="arithmatex">\\( … \\)</span>`` and ``<div class="arithmatex">\\[ … \\]</div>``.
- Notebook pages: nbconvert leaves ``$ … $`` and ``$$ … $$`` as text inside rendered Markdown cells.
"""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path

RENDERER = Path(__file__).with_name("katex_render.js")

ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])\s*</(?P=tag)>',
    re.S,
)
MARKDOWN_CELL = re.compile(r'(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>)(.*?)(</div>)', re.S)
TAG = re.compile(r"(<[^>]+>)")
# $$ … $$ first, then $ … $ on one line; "\$" is a literal dollar sign.
DOLLARS = re.compile(r"(?<!\\)\$\$(?P<display>.+?)(?<!\\)\$\$|(?<![\\$])\$(?P<inline>[^$\n]+?)(?<!\\)\$", re.S)


class MathError(Exception):
    """A formula KaTeX cannot typeset, or KaTeX itself missing."""


class Katex:
    """A KaTeX process for the whole build; the same formula is typeset once."""

    def __init__(self, katex_dir: Path):
        self.katex_dir = Path(katex_dir).resolve()  # node resolves a bare relative name as a package
        self._proc: subprocess.Popen | None = None
        self._memo: dict[tuple[str, bool], str] = {}

    def render(self, tex: str, display: bool) -> str:
        key = (tex, display)
        if key not in self._memo:
            answer = self._ask({"tex": tex, "display": display})
            if "error" in answer:
                raise MathError(answer["error"])
            self._memo[key] = answer["html"]
        return self._memo[key]

    def _ask(self, request: dict) -> dict:
        proc = self._start()
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            self.close()
            raise MathError(f"the KaTeX process ({RENDERER}) stopped without an answer")
        return json.loads(line)

    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            node = shutil.which("node")
            if node is None:
                raise MathError("Node.js is not installed: the build typesets math with KaTeX under node")
            if not (self.katex_dir / "package.json").is_file():
                raise MathError(f"KaTeX is missing at {self.katex_dir}: run `make site` (it runs `npm ci`)")
            self._proc = subprocess.Popen(
                [node, str(RENDERER), str(self.katex_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, encoding="utf-8", bufsize=1,
            )
        return self._proc

    def close(self) -> None:
        if self._proc is not None:
            self._proc.stdin.close()
            self._proc.wait(timeout=10)
            self._proc = None


def _typeset(katex: Katex, tex: str, display: bool, src: str) -> str:
    try:
        return katex.render(tex.strip(), display)
    except MathError as exc:
        raise MathError(f"{src}: cannot typeset ${tex.strip()}$: {exc}") from None


def render_page_math(html: str, katex: Katex, src: str) -> tuple[str, int]:
    """Typeset arithmatex's math in a Markdown page's HTML. Returns the HTML and the formula count."""
    count = 0

    def one(m: re.Match) -> str:
        nonlocal count
        count += 1
        display = m.group("display") is not None
        tex = htmllib.unescape(m.group("display") if display else m.group("inline"))
        out = _typeset(katex, tex, display, src)
        return f'<{m["tag"]} class="arithmatex">{out}</{m["tag"]}>'

    return ARITHMATEX.sub(one, html), count


def render_notebook_math(html: str, katex: Katex, src: str) -> tuple[str, int]:
    """Typeset ``$ … $``/``$$ … $$`` in a notebook page's Markdown cells (never in code)."""
    count = 0

    def text(segment: str) -> str:
        nonlocal count

        def one(m: re.Match) -> str:
            nonlocal count
            count += 1
            display = m.group("display") is not None
            tex = htmllib.unescape(m.group("display") if display else m.group("inline"))
            return _typeset(katex, tex, display, src)

        return DOLLARS.sub(one, segment)

    def cell(m: re.Match) -> str:
        parts, depth = TAG.split(m.group(2)), 0
        for i, part in enumerate(parts):
            if i % 2:  # a tag: track whether we are inside code
                name = re.match(r"</?\s*(\w+)", part)
                if name and name[1].lower() in ("code", "pre"):
                    depth += -1 if part.startswith("</") else 1
            elif depth == 0 and "$" in part:
                parts[i] = text(part)
        return m.group(1) + "".join(parts) + m.group(3)

    return MARKDOWN_CELL.sub(cell, html), count
