"""Page transforms and course data: bad input gets an error that names the file and the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aicourse.site import pages
from aicourse.site.content import ContentError, check_twins, load_glossary, load_syllabus

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def ref(name):
    return pages.FigureRef(url=f"../figures/ja/{name}.svg", width=640, height=480,
                           source_path="code/aicourse/experiments/x.py", source_url="https://github.com/o/r/blob/main/code/x.py")


def test_a_figure_reference_becomes_a_figure_with_its_source_link():
    md = '# T\n\n![損失の曲線](figure:loss-curve "キャプション")\n'
    out = pages.render_figures(md, "docs/p.ja.md", "ja", lambda n: ref(n) if n == "loss-curve" else None)
    assert '<img src="../figures/ja/loss-curve.svg" alt="損失の曲線" width="640" height="480"' in out
    assert '<a class="figure-zoom" href="../figures/ja/loss-curve.svg"><img' in out  # opens alone to zoom
    assert "キャプション" in out and 'href="https://github.com/o/r/blob/main/code/x.py"' in out
    assert "figure:" not in out


def test_a_missing_figure_names_the_page_and_the_figure():
    with pytest.raises(pages.PageError, match=r"docs/p\.en\.md: figure 'nope' does not exist"):
        pages.render_figures("![alt](figure:nope)\n", "docs/p.en.md", "en", lambda n: None)


def test_a_figure_without_alt_text_is_refused():
    with pytest.raises(pages.PageError, match="no alt text"):
        pages.render_figures("![](figure:x)\n", "docs/p.en.md", "en", ref)


def test_values_come_from_runs_and_unknown_ones_are_named():
    values = {"exp": {"acc": {"ja": "95.0 %", "en": "95.0 %"}, "dev": {"ja": "なし", "en": "none"}}}
    assert pages.render_values("acc {{ exp.acc }}, {{exp.dev}}", "p", "ja", values) == "acc 95.0 %, なし"
    with pytest.raises(pages.PageError, match=r"p: experiment 'exp' recorded no value 'loss' \(it records: acc, dev\)"):
        pages.render_values("{{ exp.loss }}", "p", "en", values)
    with pytest.raises(pages.PageError, match="names no experiment 'other'"):
        pages.render_values("{{ other.acc }}", "p", "en", values)


def test_colab_url_is_built_from_the_repository_url():
    url = pages.colab_url("https://github.com/owner/repo", "main", "lectures/02-x.ipynb")
    assert url == "https://colab.research.google.com/github/owner/repo/blob/main/lectures/02-x.ipynb"
    with pytest.raises(ValueError, match="not a GitHub repository"):
        pages.colab_url("https://gitlab.com/owner/repo", "main", "x.ipynb")


def test_a_page_without_its_twin_is_named(tmp_path):
    (tmp_path / "lectures").mkdir()
    (tmp_path / "index.ja.md").write_text("# a")
    (tmp_path / "index.en.md").write_text("# a")
    (tmp_path / "lectures" / "02-x.ja.md").write_text("# b")
    with pytest.raises(ContentError, match=r"lectures/02-x\.ja\.md has no translation: .*lectures/02-x\.en\.md is missing"):
        check_twins(tmp_path)


def test_a_page_without_a_language_suffix_is_named(tmp_path):
    (tmp_path / "notes.md").write_text("# a")
    with pytest.raises(ContentError, match=r"notes\.md: a page's name must end in \.ja\.md or \.en\.md"):
        check_twins(tmp_path)


def test_the_course_pages_all_have_twins():
    check_twins(DOCS)


def test_syllabus_lists_fourteen_lectures_and_glossary_terms_are_unique():
    parts, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    assert [lec.number for lec in lectures] == list(range(1, 15))
    terms = load_glossary(DOCS / "_data" / "glossary", lectures)
    assert terms, "the glossary is empty"
    seen = {}
    for term in terms:
        assert term.ja not in seen, f"glossary term {term.ja} is in {seen.get(term.ja)} and {term.lecture}"
        seen[term.ja] = term.lecture


def test_a_glossary_file_for_an_unknown_lecture_is_named(tmp_path):
    _, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    (tmp_path / "99-nothing.yml").write_text("- {ja: 語, en: word, note: {ja: あ, en: a}}\n")
    with pytest.raises(ContentError, match=r"99-nothing\.yml: no lecture '99-nothing'"):
        load_glossary(tmp_path, lectures)


def test_the_maths_page_has_its_own_glossary_terms_linked_to_it():
    _, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    terms = load_glossary(DOCS / "_data" / "glossary", lectures)
    maths = [t for t in terms if t.page == "maths"]
    assert maths and all(not t.lecture for t in maths), "docs/_data/glossary/maths.yml gives no terms to the maths page"
    assert terms.index(maths[0]) > max(i for i, t in enumerate(terms) if t.lecture), "page terms come after the lectures'"
    for lang, label in (("ja", "数学"), ("en", "Maths")):
        table = pages.glossary_table(maths[:1], lectures, lang, lambda lec: True)
        assert f"[{label}](maths.md)" in table


def test_a_quick_profile_figure_says_so_in_the_page_language_and_a_full_one_does_not():
    from dataclasses import replace

    quick = lambda n: replace(ref(n), profile="quick", profile_help_url="https://github.com/o/r/blob/main/README.md#figures-quick-and-full")  # noqa: E731
    full = lambda n: replace(ref(n), profile="full")  # noqa: E731
    md = "![alt](figure:x)\n"
    ja = pages.render_figures(md, "docs/p.ja.md", "ja", quick)
    en = pages.render_figures(md, "docs/p.en.md", "en", quick)
    assert "quick プロファイル" in ja and "README.md#figures-quick-and-full" in ja
    assert "quick profile" in en and "プロファイル" not in en
    assert "figure-profile" not in pages.render_figures(md, "docs/p.en.md", "en", full)


def _term_forms(term: str) -> list[str]:
    """How a glossary term may be written in prose: without its parenthetical, or the parenthetical alone."""
    forms = [re.sub(r"\s*\(.*?\)", "", term).strip()] + [inner.strip() for inner in re.findall(r"\((.*?)\)", term)]
    return [f for f in forms if f]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_glossary_term_is_used_on_the_page_it_belongs_to(lang):
    """A term listed under a lecture must occur on that lecture's page (issue 12), in each language."""
    _, lectures = load_syllabus(DOCS / "_data" / "syllabus.yml")
    unused = []
    for term in load_glossary(DOCS / "_data" / "glossary", lectures):
        text = (DOCS / f"{term.page}.{lang}.md").read_text(encoding="utf-8")
        word = term.ja if lang == "ja" else term.en
        if lang == "ja":
            found = any(f in text for f in _term_forms(word))
        else:
            found = any(re.search(rf"(?<!\w){re.escape(f)}", text, re.I) for f in _term_forms(word))
        if not found:
            unused.append(f"{word} (docs/{term.page}.{lang}.md)")
    assert not unused, f"glossary terms never used on their page: {unused}"


CROSS_REF = {"ja": re.compile(r"(?<!\[)(第 ?\d+ ?講|講義 ?\d+)"), "en": re.compile(r"(?<!\[)\b[Ll]ecture \d+\b")}
CROSS_REF_STYLE = {"ja": re.compile(r"\[第 \d+ 講\]\((?:\.\./lectures/|lectures/)?\d\d-[\w-]+\.md(?:#[\w-]+)?\)"),
                   "en": re.compile(r"\[[Ll]ecture \d+\]\((?:\.\./lectures/|lectures/)?\d\d-[\w-]+\.md(?:#[\w-]+)?\)")}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_lecture_page_names_another_lecture_only_through_a_link_in_one_style(lang):
    """Issue 12: cross-references are links, `[第 N 講](NN-slug.md)` / `[lecture N](NN-slug.md)`."""
    bad = []
    for path in sorted((DOCS / "lectures").glob(f"*.{lang}.md")):
        text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
        for n, line in enumerate(text.splitlines(), 1):
            bad += [f"{path.name}:{n}: '{m[0]}' is not a link" for m in CROSS_REF[lang].finditer(line)]
            for m in re.finditer(r"\[(第 ?\d+ ?講|講義 ?\d+|[Ll]ecture \d+)\]\([^)]*\)", line):
                if not CROSS_REF_STYLE[lang].fullmatch(m[0]):
                    bad.append(f"{path.name}:{n}: '{m[0]}' is not in the style of the other cross-references")
    assert not bad, "\n".join(bad)
