"""Markdown transforms for the course's pages, independent of the site engine.

Authors write three things the engine does not know:

* ``![alt text](figure:loss-curve "caption")`` on a line of its own: a figure made
  by an experiment, in the page's language, with a link to the code that drew it;
* ``{{ learning-from-data.final_val_loss }}``: a number recorded by a run;
* ``{{ syllabus }}`` and ``{{ glossary }}``: tables built from ``docs/_data``;
  ``{{ gallery }}``: the home page's figures, one per lecture (``aicourse.site.gallery``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from aicourse.i18n import Text
from aicourse.site.content import Lecture, Term

FIGURE_RE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\(figure:(?P<name>[\w.-]+)(?:\s+"(?P<caption>[^"]*)")?\)[ \t]*$', re.M)
VALUE_RE = re.compile(r"\{\{\s*(?P<exp>[\w-]+)\.(?P<key>\w+)\s*\}\}")
TABLE_RE = re.compile(r"\{\{\s*(?P<table>syllabus|glossary|gallery)\s*\}\}")


class PageError(Exception):
    """A page asks for something that does not exist; the message names the page."""


@dataclass(frozen=True)
class FigureRef:
    url: str  # relative to the page
    width: int
    height: int
    source_path: str
    source_url: str
    profile: str = ""  # "quick": the figure says it comes from the small run
    profile_help_url: str = ""  # where the README explains the full profile


def render_figures(markdown: str, page: str, lang: str, lookup) -> str:
    """Replace figure references with ``<figure>`` blocks; ``lookup(name)`` gives a FigureRef or None."""
    t = Text(lang)

    def replace(m: re.Match) -> str:
        name, alt = m["name"], m["alt"].strip()
        if not alt:
            raise PageError(f"{page}: figure '{name}' has no alt text; write one in the page's language")
        ref = lookup(name)
        if ref is None:
            raise PageError(f"{page}: figure '{name}' does not exist (no experiment draws it)")
        caption = f"{html.escape(m['caption'])} " if m["caption"] else ""
        source = (f'<a class="figure-source" href="{html.escape(ref.source_url)}">'
                  f'{t("この図を作ったコード", "code that drew this figure")}: {html.escape(ref.source_path)}</a>')
        if ref.profile == "quick":  # a reader must know a fuller run exists
            source += (f' <a class="figure-profile" href="{html.escape(ref.profile_help_url)}">'
                       f'{t("quick プロファイル (CPU 向けの小さな実行) で作図。完全版 (full) の作り方", "drawn from the quick profile (a small CPU run); how to build the full one")}</a>')
        return (
            f'\n<figure class="course-figure">\n'
            # The image links to itself: on a phone a wide figure opens alone and can be zoomed.
            f'<a class="figure-zoom" href="{html.escape(ref.url)}">'
            f'<img src="{html.escape(ref.url)}" alt="{html.escape(alt)}" width="{ref.width}" height="{ref.height}" loading="lazy" decoding="async"></a>\n'
            f"<figcaption>{caption}{source}</figcaption>\n</figure>\n"
        )

    return FIGURE_RE.sub(replace, markdown)


def render_values(markdown: str, page: str, lang: str, values: dict) -> str:
    """Replace ``{{ experiment.key }}`` with the text a run recorded."""

    def replace(m: re.Match) -> str:
        exp, key = m["exp"], m["key"]
        if exp not in values:
            raise PageError(f"{page}: '{{{{ {exp}.{key} }}}}' names no experiment '{exp}'")
        if key not in values[exp]:
            known = ", ".join(sorted(values[exp])) or "none"
            raise PageError(f"{page}: experiment '{exp}' recorded no value '{key}' (it records: {known})")
        return values[exp][key][lang]

    return VALUE_RE.sub(replace, markdown)


def syllabus_table(lectures: list[Lecture], parts: list[dict], lang: str, exists, has_notebook, colab=None) -> str:
    """One table per part; lectures whose page does not exist yet are listed as coming.

    The notebook column links the notebook's page on this site and, given ``colab(lec)``, Colab.
    """
    t = Text(lang)
    out = []
    for part in parts:
        out.append(f"## {part['title'][lang]}\n")
        out.append(f"| # | {t('講義', 'Lecture')} | {t('内容', 'Contents')} | {t('ノートブック', 'Notebook')} |")
        out.append("|---|---|---|---|")
        for lec in (lec for lec in lectures if lec.part == part["id"]):
            if exists(lec):
                title = f"[{lec.title[lang]}]({lec.page(lang).removesuffix(f'.{lang}.md') + '.md'})"
            else:
                title = f"{lec.title[lang]} *({t('準備中', 'coming')})*"
            notebook = "—"
            if has_notebook(lec):
                notebook = f"[{t('ページ', 'page')}](notebooks/{lec.id}.ipynb)"
                if colab is not None:
                    notebook += f" · [Colab]({colab(lec)})"
            out.append(f"| {lec.number:02d} | {title} | {lec.summary[lang]} | {notebook} |")
        out.append("")
    return "\n".join(out)


# How the glossary's "Lecture" column names a page that is not a lecture.
PAGE_LABELS = {"ja": {"maths": "数学"}, "en": {"maths": "Maths"}}


def glossary_table(terms: list[Term], lectures: list[Lecture], lang: str, exists) -> str:
    t = Text(lang)
    by_id = {lec.id: lec for lec in lectures}
    rows = [f"| {t('日本語', 'Japanese')} | {t('英語', 'English')} | {t('意味', 'Meaning')} | {t('講義', 'Lecture')} |",
            "|---|---|---|---|"]
    from aicourse.site.glossary_marks import term_anchors

    for term, anchor in zip(terms, term_anchors(terms)):
        # The row's anchor, the same in both languages: the lecture pages' glossary marks link here.
        ja = f'<span class="gloss-anchor" id="{anchor}"></span>{term.ja}' + (f"<br><small>{term.reading}</small>" if term.reading else "")
        if term.lecture:
            lec = by_id[term.lecture]
            where = f"[{lec.number:02d}](lectures/{lec.id}.md)" if exists(lec) else f"{lec.number:02d}"
        else:  # a page outside the lectures (the maths page)
            where = f"[{t(PAGE_LABELS['ja'].get(term.page, term.page), PAGE_LABELS['en'].get(term.page, term.page))}]({term.page}.md)"
        rows.append(f"| {ja} | {term.en} | {term.note[lang]} | {where} |")
    return "\n".join(rows) + "\n"


def render_tables(markdown: str, page: str, tables: dict) -> str:
    def replace(m: re.Match) -> str:
        return tables[m["table"]]()

    return TABLE_RE.sub(replace, markdown)


def colab_url(repo_url: str, branch: str, path: str) -> str:
    """``https://colab.research.google.com/github/OWNER/REPO/blob/BRANCH/PATH`` from the repository's URL."""
    parts = urlsplit(repo_url)
    if parts.netloc != "github.com":
        raise ValueError(f"repo_url {repo_url!r} is not a GitHub repository; Colab opens notebooks from GitHub")
    owner_repo = parts.path.strip("/").removesuffix(".git")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"


def source_url(repo_url: str, branch: str, path: str) -> str:
    return f"{repo_url.rstrip('/')}/blob/{branch}/{path}"


def notebook_links(markdown: str, lang: str, colab: str, notebook_page: str, badge: str) -> str:
    """Put the "Open in Colab" badge and a link to the rendered notebook under the page's title."""
    t = Text(lang)
    block = (
        f'\n[![{t("Colab で開く", "Open in Colab")}]({badge}){{ width="117" height="20" }}]({colab}){{ .colab-badge target="_blank" rel="noopener" }}'
        f" &nbsp; [{t('ノートブックをこのサイトで読む', 'Read the notebook on this site')}]({notebook_page})\n"
    )
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("# "):
            lines.insert(i + 1, block)
            return "\n".join(lines)
    return block + "\n" + markdown


NBCONVERT_ALT = 'alt="No description has been provided for this image"'


def notebook_page_header(html_text: str, lang: str, colab: str, badge: str, download: str, lecture: str) -> str:
    """Under a notebook page's title: Open in Colab, download the .ipynb, back to the lecture.

    The notebook has one title per language (cells tagged lang-ja / lang-en, one shown by CSS),
    so the links go under each. Output images get alt text in the page's language instead of
    nbconvert's English placeholder.
    """
    t = Text(lang)
    block = (
        f'<p class="notebook-links"><a class="colab-badge" href="{html.escape(colab)}" target="_blank" rel="noopener">'
        f'<img src="{html.escape(badge)}" alt="{t("Colab で開く", "Open in Colab")}" width="117" height="20"></a>'
        f' · <a href="{html.escape(download)}" download>{t(".ipynb をダウンロード", "Download the .ipynb")}</a>'
        f' · <a href="{html.escape(lecture)}">{t("講義のページに戻る", "Back to the lecture")}</a></p>'
    )
    html_text = re.sub(r"(</h1>)", lambda m: m[1] + block, html_text, count=2)
    alt = t("ノートブックのセルが描いた図 (このサイトを構築したときの実行結果)", "A plot drawn by a notebook cell, from the run made when this site was built")
    return html_text.replace(NBCONVERT_ALT, f'alt="{alt}"')
