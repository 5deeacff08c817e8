"""Math typeset at build time: arithmatex spans and notebook dollars become KaTeX HTML; code is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from aicourse.site.math import Katex, MathError, render_notebook_math, render_page_math

ROOT = Path(__file__).resolve().parents[1]
KATEX = ROOT / "node_modules" / "katex"



@pytest.fixture(scope="module")
def katex():
    k = Katex(KATEX)
    yield k
    k.close()


def test_inline_and_display_math_on_a_page(katex):
    html = ('<p>誤差 <span class="arithmatex">\\(\\hat x &lt; 1\\)</span> です。</p>\n'
            '<div class="arithmatex">\\[L = \\frac{1}{n}\\sum_i (x_i - \\hat x_i)^2\\]</div>')
    out, n = render_page_math(html, katex, "docs/p.ja.md")
    assert n == 2
    assert "\\(" not in out and "\\[" not in out
    assert out.count('class="katex"') == 2 and out.count('class="katex-display"') == 1
    # the MathML copy keeps the TeX for screen readers, unescaped once
    assert '<annotation encoding="application/x-tex">\\hat x &lt; 1</annotation>' in out
    assert "<mfrac>" in out


def test_notebook_math_in_markdown_cells_but_not_in_code(katex):
    cell = ('<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput celltag_lang-en" data-mime-type="text/markdown">\n'
            '<p>Solve $\\mathrm{d}x = -x\\,\\mathrm{d}t$ and costs \\$5; <code>plt.title("$x_t$")</code></p>\n'
            '<p>$$\\sigma(t)^2 = 1 - \\alpha(t)^2$$</p></div>')
    code = '<div class="jp-CodeCell"><pre>label = "$x_t$"</pre></div>'
    out, n = render_notebook_math(cell + code, katex, "lectures/x.ipynb")
    assert n == 2
    assert '<code>plt.title("$x_t$")</code>' in out and 'label = "$x_t$"' in out
    assert "\\$5" in out and 'class="katex-display"' in out


def test_a_bad_formula_names_the_file_and_the_formula(katex):
    html = '<p><span class="arithmatex">\\(\\frac{1}{\\)</span></p>'
    with pytest.raises(MathError, match=r"docs/bad\.en\.md: cannot typeset \$\\frac\{1\}\{\$"):
        render_page_math(html, katex, "docs/bad.en.md")


def test_missing_katex_is_a_clear_error(tmp_path):
    with pytest.raises(MathError, match="KaTeX is missing"):
        Katex(tmp_path).render("x", False)


def test_a_relative_katex_folder_works_from_anywhere(monkeypatch):
    monkeypatch.chdir(ROOT)
    k = Katex(Path("node_modules/katex"))
    try:
        assert 'class="katex"' in k.render("x^2", False)
    finally:
        k.close()
