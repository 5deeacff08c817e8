"""The Japanese and English twin of every page say the same thing in the same shape.

For each ``docs/**/x.ja.md`` and its ``x.en.md``: the same heading levels in the same order, the
same figures (``figure:NAME``) in the same order, as many display equations, the same computed
values (``{{ name }}``), the same notebooks referenced. A translation that drops a section or a
figure fails here, naming the page and what differs. No build, no browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+\S")
FIGURE = re.compile(r"\]\(figure:([\w.-]+)")
VALUE = re.compile(r"\{\{\s*([\w.-]+)\s*\}\}")
DISPLAY_MATH = re.compile(r"\$\$|\\\[")
NOTEBOOK = re.compile(r"([\w.-]+)\.ipynb")


def _pairs() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.ja.md") if "overrides" not in p.parts)


def _prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks (a ``#`` comment in code is no heading)."""
    out, fenced = [], None
    for line in text.splitlines():
        m = FENCE.match(line)
        if m and (fenced is None or m[1] == fenced):
            fenced = None if fenced else m[1]
            continue
        if fenced is None:
            out.append(line)
    return out


def shape(text: str) -> dict:
    lines = _prose_lines(text)
    prose = "\n".join(lines)
    return {
        "heading levels": [len(m[1]) for line in lines if (m := HEADING.match(line))],
        "figures": FIGURE.findall(prose),
        "display equations": len(DISPLAY_MATH.findall(prose)),
        "values": sorted(set(VALUE.findall(prose))),
        "notebooks": sorted(set(NOTEBOOK.findall(prose))),
    }


def _diff(key: str, ja, en) -> str:
    if key == "heading levels":
        first = next((i for i, (a, b) in enumerate(zip(ja, en)) if a != b), min(len(ja), len(en)))
        return f"{key}: ja {''.join(map(str, ja))} vs en {''.join(map(str, en))} (first difference at heading {first + 1})"
    if isinstance(ja, list) and key != "figures":
        return f"{key}: only ja {sorted(set(ja) - set(en))}, only en {sorted(set(en) - set(ja))}"
    return f"{key}: ja {ja} vs en {en}"


@pytest.mark.parametrize("ja", _pairs(), ids=lambda p: p.relative_to(DOCS).as_posix().removesuffix(".ja.md"))
def test_twins_have_the_same_shape(ja: Path):
    page = ja.relative_to(DOCS).as_posix().removesuffix(".ja.md")
    en = ja.with_name(ja.name.replace(".ja.md", ".en.md"))
    assert en.exists(), f"docs/{page}: docs/{page}.ja.md has no English twin docs/{page}.en.md"
    a, b = shape(ja.read_text(encoding="utf-8")), shape(en.read_text(encoding="utf-8"))
    problems = [_diff(k, a[k], b[k]) for k in a if a[k] != b[k]]
    assert not problems, f"docs/{page} (.ja.md vs .en.md) differ:\n  " + "\n  ".join(problems)


def test_no_english_page_without_japanese_twin():
    orphans = [p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.en.md")
               if not p.with_name(p.name.replace(".en.md", ".ja.md")).exists()]
    assert not orphans, f"English pages without a Japanese twin: {orphans}"


def test_shape_reads_the_markdown():
    text = "# T\n\n## A\n```python\n# not a heading\n```\n![x](figure:loss \"c\")\n$$\nx\n$$\n{{ a.b }} {{a.b}}\n[nb](../notebooks/02-x.ipynb)\n"
    s = shape(text)
    assert s == {"heading levels": [1, 2], "figures": ["loss"], "display equations": 2,
                 "values": ["a.b"], "notebooks": ["02-x"]}
