"""Glossary marks and notebook heading anchors (aicourse.site.glossary_marks), on HTML strings: no build."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from aicourse.site import pages
from aicourse.site.content import Term, load_glossary, load_syllabus
from aicourse.site.glossary_marks import (
    Matcher, drop_unused_scripts, mark_terms, note_html, notebook_headings, strip_parens, term_anchors, term_forms, tokenize,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
HREF = "../../glossary/"


def term(ja, en, note_ja="意味", note_en="meaning", reading=""):
    return Term(ja, en, reading, "13-vae", {"ja": note_ja, "en": note_en}, "lectures/13-vae")


TERMS = [
    term("拡散モデル (diffusion model)", "diffusion model", "ノイズを除いて生成するモデル。", "A model that generates by removing noise."),
    term("オートエンコーダ (自己符号化器)", "autoencoder", "入力を作り直すネットワーク。", "A network that rebuilds its input."),
    term("変分オートエンコーダ (VAE)", "variational autoencoder (VAE)", "潜在変数 $z$ を持つ生成モデル。", "A generative model with a latent $z$."),
    term("全結合層 ($y = Wx + b$)", "fully connected layer ($y = Wx + b$)"),
    term("損失", "loss"),
    term("クラス", "class"),
    term("確率", "probability"),
    term("GPU (画像処理装置)", "GPU (graphics processing unit)"),
    term("同期 (GPU の)", "synchronization (GPU)"),
]


def marks(html: str) -> list[tuple[str, str]]:
    """(marked text, anchor it links to) of every mark, in order."""
    out = []
    for m in re.finditer(r'<span class="gloss__term"[^>]*>(.*?)</span>.*?href="[^"]*#([^"]+)"', html, re.S):
        out.append((m.group(1), m.group(2)))
    return out


def ja(html: str, terms=TERMS, **kw) -> str:
    return mark_terms(html, terms, "ja", HREF, **kw).html


def en(html: str, terms=TERMS, **kw) -> str:
    return mark_terms(html, terms, "en", HREF, **kw).html


class _WellFormed(HTMLParser):
    VOID = {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed", "track"}
    PHRASING_ONLY = {"p", "span", "a", "em", "strong", "li"}  # none of these may hold a block here
    BLOCK = {"div", "p", "ul", "ol", "table", "figure", "pre", "h1", "h2", "h3", "details"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCK and any(t in ("p", "span", "a") for t in self.stack):
            self.errors.append(f"<{tag}> inside <{self.stack[-1]}>")
        if tag == "a" and "a" in self.stack:
            self.errors.append("a link inside a link")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()


def well_formed(html: str) -> list[str]:
    p = _WellFormed()
    p.feed(html)
    p.close()
    return p.errors + [f"<{t}> never closed" for t in p.stack]


# --- Japanese ---------------------------------------------------------------------------------------

def test_japanese_compounds_are_matched_as_written():
    out = ja("<p>拡散モデルは、ノイズから画像を作ります。VAEとは何でしょう。</p>")
    assert marks(out) == [("拡散モデル", "g-diffusion-model"), ("VAE", "g-variational-autoencoder")]
    assert "拡散モデル</span>" in out and "</span>は、" in out  # the particle stays outside the mark


def test_the_longest_term_wins_and_its_parts_are_not_marked_inside_it():
    out = ja("<p>変分オートエンコーダは、オートエンコーダを確率で考え直したものです。変分オートエンコーダ。</p>")
    assert marks(out) == [("変分オートエンコーダ", "g-variational-autoencoder"), ("オートエンコーダ", "g-autoencoder"),
                          ("確率", "g-probability")]
    # a later 変分オートエンコーダ is not a place for the shorter オートエンコーダ either
    out = ja("<p>変分オートエンコーダ。変分オートエンコーダ。</p>", terms=[TERMS[1], TERMS[2]])
    assert [t for t, _ in marks(out)] == ["変分オートエンコーダ"]


def test_a_katakana_term_does_not_match_inside_a_longer_katakana_word():
    out = ja("<p>クラスターに分ける。クラスごとに数える。</p>")
    assert marks(out) == [("クラス", "g-class")]
    assert out.index("クラスター") < out.index('class="gloss"')


def test_a_term_written_with_its_parenthetical_stripped_or_with_math_in_it_is_matched():
    assert [t for t, _ in marks(ja("<p>全結合層を重ねる。</p>"))] == ["全結合層"]
    assert [t for t, _ in marks(en("<p>A fully connected layer.</p>"))] == ["fully connected layer"]


def test_an_acronym_in_a_qualifier_belongs_to_its_own_term():
    out = ja("<p>GPU と同期する。</p>")
    assert marks(out) == [("GPU", "g-gpu"), ("同期", "g-synchronization")]


def test_forms_of_a_term():
    assert term_forms(TERMS[2], "ja") == ["変分オートエンコーダ", "VAE"]
    assert term_forms(TERMS[2], "en") == ["variational autoencoder", "VAE"]
    assert strip_parens("ウィーナー過程の増分 (dw (x))") == "ウィーナー過程の増分"


# --- English ----------------------------------------------------------------------------------------

def test_english_whole_words_regardless_of_case_and_plurals():
    out = en("<p>Autoencoders and a Diffusion Model.</p>")
    assert marks(out) == [("Autoencoders", "g-autoencoder"), ("Diffusion Model", "g-diffusion-model")]
    assert [t for t, _ in marks(en("<p>Two probabilities.</p>"))] == ["probabilities"]


def test_english_never_matches_inside_a_longer_word():
    out = en("<p>The classic classifier loses. Lossless subclass.</p>")
    assert marks(out) == []
    assert [t for t, _ in marks(en("<p>A classic, then a class.</p>"))] == ["class"]


def test_only_the_first_occurrence_of_each_term_is_marked():
    out = en("<p>The loss falls.</p><p>The loss falls again, the LOSS.</p>")
    assert marks(out) == [("loss", "g-loss")]
    assert out.count('class="gloss"') == 1
    assert out.endswith("<p>The loss falls again, the LOSS.</p>")


# --- Never inside -----------------------------------------------------------------------------------

@pytest.mark.parametrize("inside", [
    "<code>loss</code>",
    "<pre><code>loss = 1</code></pre>",
    '<span class="arithmatex"><span class="katex">loss</span></span>',
    '<span class="katex-display"><span class="katex"><span class="mord">loss</span></span></span>',
    "<h2 id='x'>The loss</h2>",
    "<h1>loss</h1>", "<h6>loss</h6>",
    '<a href="x.html">the loss</a>',
    "<table><tr><td>loss</td></tr></table>",
    "<details><summary>loss</summary></details>",
    '<p class="admonition-title">Loss</p>',
    "<script>var loss = 1;</script>",
    '<figure class="interactive-figure" hidden><figcaption>loss</figcaption></figure>',
    "<p hidden>loss</p>",
])
def test_nothing_inside_code_math_headings_links(inside):
    html = f"<div>{inside}</div>"
    assert en(html) == html


def test_attributes_and_alt_text_are_never_touched():
    html = '<figure><img alt="the loss curve" src="loss.svg" title="loss"><figcaption>The loss falls.</figcaption></figure>'
    out = en(html)
    assert '<img alt="the loss curve" src="loss.svg" title="loss">' in out
    assert marks(out) == [("loss", "g-loss")]  # the caption's text is running text


def test_the_text_after_a_skipped_element_is_marked():
    out = en("<p><code>loss</code> is the loss, <a href='#'>class</a> a class.</p>")
    assert marks(out) == [("loss", "g-loss"), ("class", "g-class")]
    assert out.startswith("<p><code>loss</code> is the ")


def test_the_page_stays_well_formed_and_unchanged_outside_the_marks():
    html = ('<h1 id="t">VAE</h1>\n<p>A <strong>variational autoencoder</strong> &amp; its loss<br>\n'
            '<span class="arithmatex"><span class="katex">z</span></span> for a class.</p>\n'
            '<details class="answer"><summary>Answer</summary><p>The diffusion model &lt; GPU.</p></details>\n'
            '<ul><li>Autoencoders<li>classes</ul>\n<!-- a comment with loss -->')
    result = mark_terms(html, TERMS, "en", HREF)
    assert len(result.terms) == 6
    assert well_formed(result.html.replace("<li>classes", "</li><li>classes").replace("</ul>", "</li></ul>")) == []
    # Removing the marks gives the page back byte for byte.
    unmarked = re.sub(r'<span class="gloss"><span class="gloss__term"[^>]*>(.*?)</span><span class="gloss__tip".*?</a></span></span>',
                      r"\1", result.html, flags=re.S)
    assert unmarked == html


def test_a_term_absent_from_the_page_gives_no_mark():
    html = "<p>Nothing to see here.</p>"
    result = mark_terms(html, TERMS, "en", HREF)
    assert result.html == html and result.terms == []


# --- The tip ----------------------------------------------------------------------------------------

def test_the_tip_shows_the_twin_the_note_in_the_page_language_and_links_the_glossary_row():
    out = ja("<p>拡散モデル</p>")
    tip = re.search(r'<span class="gloss__tip"[^>]*>(.*?)</span></span>', out, re.S)
    assert tip and "data-pagefind-ignore" in out[: tip.end()]  # the tip stays out of the search index
    assert '<span class="gloss__twin" lang="en">diffusion model</span>' in out
    assert "ノイズを除いて生成するモデル。" in out and "removing noise" not in out
    assert 'href="../../glossary/#g-diffusion-model"' in out
    out = en("<p>diffusion model</p>")
    assert '<span class="gloss__twin" lang="ja">拡散モデル (diffusion model)</span>' in out
    assert "removing noise" in out and "ノイズを除いて" not in out
    term_el = re.search(r'<span class="gloss__term"([^>]*)>', out).group(1)
    assert 'tabindex="0"' in term_el and 'aria-describedby="gloss-tip-1"' in term_el  # reachable by keyboard
    assert "http" not in out  # nothing from another host


def test_the_notes_math_is_typeset_by_the_given_function():
    typeset = lambda tex: f'<span class="katex">[{tex}]</span>'  # noqa: E731
    result = mark_terms("<p>A variational autoencoder.</p>", TERMS, "en", HREF, math=typeset)
    assert '<span class="katex">[z]</span>' in result.html and "$z$" not in result.html
    assert result.math
    assert note_html("a < b & $x$", typeset) == 'a &lt; b &amp; <span class="katex">[x]</span>'
    assert not mark_terms("<p>loss</p>", TERMS, "en", HREF, math=typeset).math


def test_glossary_rows_carry_the_anchors_the_marks_link_to_in_both_languages():
    _, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    terms = load_glossary(DOCS / "_data" / "glossary", lectures)
    anchors = term_anchors(terms)
    assert len(set(anchors)) == len(anchors), "two glossary rows would share an anchor"
    for lang in ("ja", "en"):
        table = pages.glossary_table(terms, lectures, lang, lambda lec: True)
        assert re.findall(r'<span class="gloss-anchor" id="([^"]+)"></span>', table) == anchors


def test_every_glossary_term_can_be_found_in_its_own_spelling():
    _, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    terms = load_glossary(DOCS / "_data" / "glossary", lectures)
    for lang in ("ja", "en"):
        matcher = Matcher(terms, lang)
        for i, t in enumerate(terms):
            form = term_forms(t, lang)[0]
            found = [k for _, _, k in matcher.finditer(f" {form} ")]
            assert found, f"{lang}: {form!r} ({t.ja}) is not found as written"


def test_tokens_cover_the_source_exactly():
    html = '<p a="1">x &amp; y<br/>z<!-- c --></p><script>if (a<b) {}</script>tail'
    tokens = tokenize(html)
    assert "".join(html[t.start:t.end] for t in tokens) == html
    assert tokens[0].start == 0


# --- Notebook headings ------------------------------------------------------------------------------

def _slugify():
    from pymdownx.slugs import slugify
    return slugify(case="lower")


NOTEBOOK = (
    '<div class="jp-RenderedMarkdown celltag_lang-ja"><h1 id="04-ai">04 生成 AI: ノートブック<a class="anchor-link" href="#04-ai">¶</a></h1></div>'
    '<div class="jp-RenderedMarkdown celltag_lang-en"><h1 id="04-what">04 Generative AI: notebook<a class="anchor-link" href="#04-what">¶</a></h1></div>'
    '<div class="jp-RenderedMarkdown celltag_lang-ja"><h2 id="10">分類: 出力は 10 個の確率<a class="anchor-link" href="#10">¶</a></h2></div>'
    '<div class="jp-RenderedMarkdown celltag_lang-en"><h2 id="classification">Classification<a class="anchor-link" href="#classification">¶</a></h2></div>'
    '<div class="jp-RenderedMarkdown celltag_lang-ja"><h2 id="">やってみよう<a class="anchor-link" href="#">¶</a></h2>'
    '<h3 id="">成分の数 $k$ を変える</h3><h2 id="">やってみよう<a class="anchor-link" href="#">¶</a></h2></div>'
    '<div class="jp-RenderedMarkdown"><h2 id="x">Shared &amp; both</h2></div>'
)


def test_notebook_headings_get_the_lecture_pages_slugs_and_a_toc_in_the_page_language():
    result = notebook_headings(NOTEBOOK, "ja", _slugify())
    ids = re.findall(r'<h\d id="([^"]*)"', result.html)
    assert ids == ["04-生成-ai-ノートブック", "04-generative-ai-notebook", "分類-出力は-10-個の確率", "classification",
                   "やってみよう", "成分の数-k-を変える", "やってみよう_1", "shared--both"]
    assert 'href="#分類-出力は-10-個の確率">¶</a>' in result.html and 'href="#"' not in result.html
    (title,) = result.toc
    assert title["id"] == "04-生成-ai-ノートブック"
    assert [c["name"] for c in title["children"]] == ["分類: 出力は 10 個の確率", "やってみよう", "やってみよう", "Shared &amp; both"]
    assert [c["name"] for c in title["children"][1]["children"]] == ["成分の数 k を変える"]
    en_toc = notebook_headings(NOTEBOOK, "en", _slugify()).toc
    assert [c["name"] for c in en_toc[0]["children"]] == ["Classification", "Shared &amp; both"]
    # The same ids Markdown gives the same headings on a lecture page (toc with mkdocs.yml's slugify).
    import markdown

    md = markdown.Markdown(extensions=["toc"], extension_configs={"toc": {"slugify": _slugify()}})
    md.convert("# 04 生成 AI: ノートブック\n\n## 分類: 出力は 10 個の確率\n\n## やってみよう\n\n## やってみよう\n\n## Shared & both\n")
    lecture_ids = [t["id"] for t in md.toc_tokens] + [c["id"] for t in md.toc_tokens for c in t["children"]]
    assert lecture_ids == ["04-生成-ai-ノートブック", "分類-出力は-10-個の確率", "やってみよう", "やってみよう_1", "shared--both"]
    # Outside the headings nothing changes.
    assert re.sub(r"<h\d id=\"[^\"]*\"|href=\"#[^\"]*\"", "", result.html) == re.sub(r"<h\d id=\"[^\"]*\"|href=\"#[^\"]*\"", "", NOTEBOOK)


def test_notebook_pages_lose_the_scripts_the_site_never_runs():
    keep = ('<script src="../../assets/javascripts/bundle.js"></script>'
            '<script>document.addEventListener("clipboard-copy", () => {});</script>'
            '<script type="module">import("./local.js")</script>')
    html = ('<p>a</p><script type="text/x-mathjax-config">init_mathjax = function() { MathJax.Hub.Config({}) }</script>'
            + keep + '<script type="module">const d = document.querySelectorAll(".jp-Mermaid > pre.mermaid");'
            'if (d.length) import("https://cdnjs.cloudflare.com/x.mjs");</script><p>b</p>')
    assert drop_unused_scripts(html) == "<p>a</p>" + keep + "<p>b</p>"
