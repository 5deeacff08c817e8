"""The thin glue between mkdocs and the course's figure pipeline and page transforms.

mkdocs-static-i18n runs every event once per language, Japanese first. Files
this hook adds (figures, KaTeX, notebooks) come after the i18n plugin has
sorted the docs by language (priority -200), because it only knows files
inside ``docs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from aicourse import LANGS
from aicourse.site import interactive, pages
from aicourse.site.content import ContentError, check_twins, load_glossary, load_syllabus

HOME = "ホーム"  # translated by nav_translations in mkdocs.yml
FIGURES_ENV = "AICOURSE_FIGURES"  # "off": build pages without running experiments (benchmarks only)
NOTEBOOKS_ENV = "AICOURSE_NOTEBOOKS"  # "off": show notebooks without executing them (benchmarks only)
PROFILE_HELP = "#figures-quick-and-full"  # the README section a quick-profile figure links to
KATEX_FILES = ("katex.min.css",)  # math is typeset at build time (aicourse.site.math): no script

_state: dict = {}


def _lang(config) -> str:
    return config.theme["language"]


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def on_config(config):
    root = _root(config)
    try:
        parts, lectures = load_syllabus(Path(config.docs_dir) / "_data" / "syllabus.yml")
        terms = load_glossary(Path(config.docs_dir) / "_data" / "glossary", lectures)
        check_twins(Path(config.docs_dir))
    except ContentError as exc:
        raise PluginError(str(exc)) from None
    _state.update(root=root, parts=parts, lectures=lectures, terms=terms)
    config.nav = _navigation(config, parts, lectures)

    if _state.get("figures_for") is config:  # mkdocs-static-i18n's next language: same build
        return config
    _state["figures_for"] = config
    from concurrent.futures import ThreadPoolExecutor

    from aicourse.figures.build import default_jobs
    from aicourse.figures.profile import current_profile

    # With several jobs, notebooks run while the experiments do: neither needs the other, each phase
    # ends with a long run or two that would leave cores idle, and on a GPU machine the CPU cores
    # wait while experiments train on the device. With one job, one thing at a time.
    side_by_side = default_jobs(current_profile()) > 1
    with ThreadPoolExecutor(1) as notebook_thread:
        notebooks = notebook_thread.submit(_execute_notebooks, root, lectures) if side_by_side else None
        _state["figures"] = _build_figures()  # a failure waits for the notebooks (no kernel left behind)
        _state["executed"] = notebooks.result() if notebooks else _execute_notebooks(root, lectures)
    return config


def _build_figures():
    if os.environ.get(FIGURES_ENV) == "off":
        return None
    from aicourse.figures.build import FigureBuildError, build

    result = build()
    try:
        result.raise_errors()
    except FigureBuildError as exc:
        raise PluginError(str(exc)) from None
    return result


def _execute_notebooks(root: Path, lectures) -> dict:
    """Lecture id -> its executed copy (same run for both languages), from the notebook cache."""
    if os.environ.get(NOTEBOOKS_ENV) == "off":
        return {}
    from aicourse.figures.build import default_jobs
    from aicourse.figures.profile import current_profile
    from aicourse.notebooks import execute_all

    profile = current_profile()
    paths = {lec.id: root / lec.notebook() for lec in lectures if (root / lec.notebook()).exists()}
    done, failed = execute_all(list(paths.values()), profile, jobs=default_jobs(profile))
    if failed:
        raise PluginError("notebook execution failed:\n" + "\n".join(f"  - {exc}" for exc in failed))
    by_source = {e.source: e.path for e in done}
    return {lec_id: by_source[path.resolve()] for lec_id, path in paths.items()}


def _navigation(config, parts, lectures):
    docs = Path(config.docs_dir)
    nav = [{HOME: "index.md"}, "syllabus.md"]  # "Home", not the site's name a second time
    if (docs / "maths.ja.md").exists():
        nav.append("maths.md")  # the prerequisites, before the lectures that use them
    for part in parts:
        written = [lec.page("ja").replace(".ja.md", ".md") for lec in lectures
                   if lec.part == part["id"] and (docs / lec.page("ja")).exists()]
        if written:
            nav.append({part["title"]["ja"]: written})
    nav.append("glossary.md")
    return nav


@event_priority(-200)
def on_files(files: Files, config):
    lang, root = _lang(config), _state["root"]
    if lang == LANGS[0]:
        _add_shared_files(files, config, root)
    _add_notebooks(files, config, root, lang)
    return files


def _add_shared_files(files: Files, config, root: Path) -> None:
    """KaTeX and the figures: written once, at the site's root, by the first language's pass."""
    site_dir, urls = config.site_dir, config.use_directory_urls
    katex = root / "node_modules" / "katex" / "dist"
    for rel in KATEX_FILES + tuple(p.relative_to(katex).as_posix() for p in sorted((katex / "fonts").glob("*.woff2"))):
        if not (katex / rel).exists():
            raise PluginError(f"{katex / rel} is missing: run `make site` (it runs `npm ci`) to install KaTeX")
        files.append(File(rel, str(katex), site_dir, urls, dest_uri=f"assets/katex/{rel}"))

    for lec in _state["lectures"]:  # the clean notebook, for the notebook page's download link
        if (root / lec.notebook()).exists():
            files.append(File(lec.notebook(), str(root), site_dir, urls, dest_uri=f"notebooks/{lec.id}.ipynb"))

    result = _state.get("figures")
    if result is not None:
        for entry in result.entries:
            for rel in entry.files:
                files.append(File(rel, str(entry.directory), site_dir, urls, dest_uri=f"figures/{rel}"))


def _add_notebooks(files: Files, config, root: Path, lang: str) -> None:
    """Each lecture's notebook as a page of this language, rendered by mkdocs-jupyter."""
    site_dir, urls = config.site_dir, config.use_directory_urls
    prefix = "" if lang == LANGS[0] else f"{lang}/"
    jupyter = config.plugins.get("mkdocs-jupyter")
    for lec in _state["lectures"]:
        path = root / lec.notebook()
        if not path.exists():
            continue
        shown = _state.get("executed", {}).get(lec.id, path)  # with its outputs, when executed
        nb = File(f"notebooks/{lec.id}.ipynb", None, site_dir, urls, dest_uri=f"{prefix}notebooks/{lec.id}/index.html")
        nb.abs_src_path = str(shown)
        nb = next(iter(jupyter.on_files(Files([nb]), config))) if jupyter else nb
        nb.abs_src_path = str(shown)  # the wrapper caches its own copy
        nb.notebook_source = path.relative_to(root).as_posix()  # named in error messages
        nb.dest_path = f"{prefix}notebooks/{lec.id}/index.html"
        nb.abs_dest_path = os.path.join(site_dir, nb.dest_path)
        nb.url = f"{prefix}notebooks/{lec.id}/"
        nb.locale = nb.locale_alternate_of = lang  # read by mkdocs-static-i18n
        nb.alternates = {}
        nb.lecture = lec
        files.append(nb)


def _figure_lookup(page, lang, config):
    result = _state.get("figures")
    if result is None:
        return lambda name: pages.FigureRef(
            url=get_relative_url("assets/images/figure-off.svg", page.url), width=1, height=1,
            source_path="", source_url="")
    owners = result.figures()
    branch = config.extra.get("branch", "main")

    def lookup(name):
        entry = owners.get(name)
        if entry is None:
            return None
        rel, path = entry.figure_path(name, lang)
        width, height = _pixel_size(path)
        return pages.FigureRef(
            url=get_relative_url(f"figures/{rel}", page.url), width=width, height=height,
            source_path=entry.spec.source, source_url=pages.source_url(config.repo_url, branch, entry.spec.source),
            profile=entry.profile, profile_help_url=pages.source_url(config.repo_url, branch, "README.md") + PROFILE_HELP,
        )

    return lookup


def _interactive_lookup(page, config):
    """Exported models for ``{{ interactive: NAME }}`` (aicourse.site.interactive); None without figures."""
    result = _state.get("figures")
    if result is None:
        return None
    branch = config.extra.get("branch", "main")
    return interactive.lookup_for(interactive.exports(result.entries), page.url, Path(config.docs_dir),
                                  lambda path: pages.source_url(config.repo_url, branch, path),
                                  pages.source_url(config.repo_url, branch, "README.md") + PROFILE_HELP)


def _pixel_size(path: Path) -> tuple[int, int]:
    if path.suffix == ".svg":
        import re

        head = path.read_text(encoding="utf-8")[:2000]
        w = re.search(r'width="([\d.]+)pt"', head)
        h = re.search(r'height="([\d.]+)pt"', head)
        if w and h:  # matplotlib writes points; CSS pixels are 4/3 of a point
            return round(float(w[1]) * 4 / 3), round(float(h[1]) * 4 / 3)
        return 0, 0
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def on_page_markdown(markdown, page, config, files):
    lang, src = _lang(config), f"docs/{page.file.src_uri}"
    lectures = _state["lectures"]
    docs = Path(config.docs_dir)
    exists = lambda lec: (docs / lec.page(lang)).exists()  # noqa: E731
    has_nb = lambda lec: (_state["root"] / lec.notebook()).exists()  # noqa: E731
    try:
        markdown = pages.render_tables(markdown, src, {
            "syllabus": lambda: pages.syllabus_table(
                lectures, _state["parts"], lang, exists, has_nb,
                colab=lambda lec: pages.colab_url(config.repo_url, config.extra.get("branch", "main"), lec.notebook())),
            "glossary": lambda: pages.glossary_table(_state["terms"], lectures, lang, exists),
            "gallery": lambda: _gallery(page, lang, config, exists),
        })
        result = _state.get("figures")
        if result is not None:
            markdown = pages.render_values(markdown, src, lang, {k: v for k, v in result.values().items()})
        else:
            markdown = pages.VALUE_RE.sub("…", markdown)
        markdown = pages.render_figures(markdown, src, lang, _figure_lookup(page, lang, config))
        markdown = interactive.render(markdown, src, lang, _interactive_lookup(page, config))  # loads its script
    except pages.PageError as exc:
        raise PluginError(str(exc)) from None

    lecture = next((lec for lec in lectures if page.file.src_uri == lec.page(lang)), None)
    if lecture is not None and has_nb(lecture):
        branch = config.extra.get("branch", "main")
        markdown = pages.notebook_links(
            markdown, lang,
            colab=pages.colab_url(config.repo_url, branch, lecture.notebook()),
            notebook_page=f"../notebooks/{lecture.id}.ipynb",
            badge="../assets/images/colab-badge.svg",
        )
    return markdown


def _gallery(page, lang, config, exists) -> str:
    """The home page's gallery: the lightest figure of each written lecture (aicourse.site.gallery)."""
    from aicourse.site import gallery

    docs, result = Path(config.docs_dir), _state.get("figures")
    owners = result.figures() if result is not None else {}
    lookup = _figure_lookup(page, lang, config)

    def path_of(name):
        entry = owners.get(name)
        return entry.figure_path(name, lang)[1] if entry is not None else None

    items = []
    for lec in _state["lectures"]:
        if not exists(lec):
            continue
        figures = gallery.page_figures((docs / lec.page(lang)).read_text(encoding="utf-8"))
        chosen = gallery.choose(figures, path_of) if result is not None else (figures[:1] or [None])[0]
        ref = lookup(chosen[0]) if chosen else None
        if ref is None:
            continue
        items.append(gallery.Item(lec.number, lec.title[lang], get_relative_url(f"{_lang_prefix(lang)}lectures/{lec.id}/", page.url),
                                  ref.url, chosen[1], ref.width, ref.height))
    return gallery.gallery_html(items, lang)


def _lang_prefix(lang: str) -> str:
    return "" if lang == LANGS[0] else f"{lang}/"


def on_page_content(html, page, config, files):
    from aicourse.site.external_links import add_noopener
    from aicourse.site.math import Katex, MathError, _typeset, render_notebook_math, render_page_math

    if "katex" not in _state:
        _state["katex"] = Katex(_state["root"] / "node_modules" / "katex")
    notebook = getattr(page.file, "lecture", None) is not None
    src = page.file.notebook_source if notebook else f"docs/{page.file.src_uri}"
    lang = _lang(config)
    if notebook:  # readable anchors for its headings and a table of contents in the page's language
        html = _notebook_headings(html, page, config, lang)
    try:
        html, formulas = (render_notebook_math if notebook else render_page_math)(html, _state["katex"], src)
        if not notebook and page.file.src_uri.startswith("lectures/"):  # glossary marks (glossary_marks.py)
            from aicourse.site.glossary_marks import Matcher, mark_terms

            key = (lang, id(_state["terms"]))  # the terms are read again when `mkdocs serve` rebuilds
            matchers = _state.setdefault("matchers", {})
            if key not in matchers:
                matchers[key] = Matcher(_state["terms"], lang)
            marked = mark_terms(html, _state["terms"], lang, get_relative_url(f"{_lang_prefix(lang)}glossary/", page.url),
                                math=lambda tex: _typeset(_state["katex"], tex, False, "docs/_data/glossary"),
                                matcher=matchers[key])
            html, formulas = marked.html, formulas + marked.math
    except MathError as exc:
        raise PluginError(str(exc)) from None
    page.meta["math"] = formulas > 0  # overrides/main.html links KaTeX's stylesheet only then
    if notebook:
        from aicourse.site.notebook_styles import share_styles

        html = share_styles(html, config.site_dir, to_root="../" * page.url.count("/"))
        lec, to_root = page.file.lecture, "../" * page.url.count("/")
        html = pages.notebook_page_header(
            html, _lang(config),
            colab=pages.colab_url(config.repo_url, config.extra.get("branch", "main"), lec.notebook()),
            badge=f"{to_root}assets/images/colab-badge.svg",
            download=f"{to_root}notebooks/{lec.id}.ipynb",
            lecture=f"../../lectures/{lec.id}/",
        )
    return add_noopener(html, config.site_url)


def _notebook_headings(html, page, config, lang):
    from mkdocs.structure.toc import get_toc
    from pymdownx.slugs import slugify as pymdownx_slugify

    from aicourse.site.glossary_marks import drop_unused_scripts, notebook_headings

    toc_config = config.mdx_configs.get("toc", {})
    slugify = toc_config.get("slugify") or pymdownx_slugify(case="lower")  # the lecture pages' slugs
    result = notebook_headings(html, lang, slugify, toc_config.get("separator", "-"))
    page.toc = get_toc(result.toc)
    return drop_unused_scripts(result.html)


class LanguageLinks:
    """Links to this page in each language, for ``overrides/partials/alternate.html``.

    Deliberately not iterable: Material then emits no ``<link rel="alternate">``
    tags, whose sitemap look-ups would 404 for per-page links.
    """

    def __init__(self, links: list[dict]):
        self.links = links


LANG_NAMES = {"ja": "日本語", "en": "English"}


@event_priority(-100)  # after mkdocs-static-i18n has set its own alternates
def on_page_context(context, page, config, nav):
    lang = _lang(config)
    lecture = getattr(page.file, "lecture", None)
    if lecture is not None:  # a notebook page: title it in the page's language
        page.title = f"{lecture.number:02d} {lecture.title[lang]}: " + ("ノートブック" if lang == "ja" else "notebook")
    # Every page has its twin at the same path (check_twins), so the other language's URL is a prefix away.
    path = page.url.removeprefix(f"{lang}/") if lang != LANGS[0] else page.url
    links = LanguageLinks([
        {"name": LANG_NAMES[other], "lang": other, "link": path if other == LANGS[0] else f"{other}/{path}"}
        for other in LANGS
    ])
    # mkdocs-static-i18n sets the attribute, which Jinja reads before the key: set both.
    config.extra["alternate"] = links
    config.extra.alternate = links
    return context


def on_post_build(config):
    # mkdocs-static-i18n builds the other languages inside the first one's post-build step, so
    # when the last language gets here every page of both languages is on disk: index them once.
    if _lang(config) == LANGS[-1]:
        if "katex" in _state:
            _state.pop("katex").close()
        from aicourse.site.search_index import SearchIndexError, build_index

        try:
            build_index(config.site_dir)
        except SearchIndexError as exc:
            raise PluginError(str(exc)) from None
    if _lang(config) != LANGS[0] or _state.get("figures") is None:
        return
    import json

    from aicourse.figures.manifest import manifest

    data = manifest(_state["figures"], lambda entry, rel: f"figures/{rel}")
    Path(config.site_dir, "figures.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
