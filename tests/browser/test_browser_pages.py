"""Every page of the built site, both languages, in headless Chromium.

Each page is visited once (one browser for the session, ``reports``); the tests below then
each check one property over all pages and name every page that fails it:
no console error, no failed request, nothing fetched from another host, images loaded with alt
text in the page's language, math rendered by KaTeX, the language switcher landing on the same
page, the Colab badge opening this lecture's notebook. Screenshots at 390 px and 1280 px wide
go to ``test-artifacts/screenshots/`` for a human to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from site_server import ROOT, mkdocs_setting, site_pages

WIDTHS = (1280, 390)
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
RAW_MATH = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|(?<![\w$])\$[^$\s][^$\n]*?\$(?![\w$])")

# Collected in the page, in one go, after the load: images, math, switcher, Colab links, text.
PAGE_FACTS = r"""() => {
  const content = document.querySelector(".md-content");
  let text = "";
  if (content) {
    const clone = content.cloneNode(true);
    clone.querySelectorAll("pre, code, script, style, .katex, .highlight, .jp-CodeCell .jp-InputArea, .jp-OutputArea-output pre")
      .forEach(e => e.remove());
    text = clone.innerText || clone.textContent;
  }
  return {
    lang: document.documentElement.lang,
    images: Array.from(document.images).map(i => ({
      src: i.currentSrc || i.src, alt: i.getAttribute("alt"), width: i.naturalWidth,
      figure: !!i.closest(".course-figure"), badge: !!i.closest("a.colab-badge, a[href*='colab.research.google.com']"),
    })),
    arithmatex: document.querySelectorAll(".md-content .arithmatex").length,
    arithmatexUnrendered: Array.from(document.querySelectorAll(".md-content .arithmatex"))
      .filter(e => !e.querySelector(".katex")).map(e => e.textContent.slice(0, 60)),
    katex: document.querySelectorAll(".md-content .katex").length,
    katexErrors: Array.from(document.querySelectorAll(".md-content .katex-error")).map(e => e.textContent.slice(0, 60)),
    switcher: Array.from(document.querySelectorAll("a.md-select__link[hreflang]"))
      .map(a => ({lang: a.getAttribute("hreflang"), href: a.href})),
    colab: Array.from(document.querySelectorAll("a[href*='colab.research.google.com']")).map(a => a.href),
    text,
  };
}"""


# What sticks out past the right edge of the window, making the whole page scroll sideways.
SIDEWAYS = r"""() => {
  const w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w) return [];
  return Array.from(document.querySelectorAll("body *"))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
    .slice(0, 3).map(e => `${e.tagName.toLowerCase()}.${String(e.className).split(" ")[0]} ends at ${Math.round(e.getBoundingClientRect().right)} px`);
}"""


@dataclass
class PageReport:
    path: str                      # relative to the site's root, e.g. "en/lectures/02-learning-from-data/"
    lang: str = ""
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    sideways: dict = field(default_factory=dict)  # window width -> what makes the page scroll sideways


def _page_lang(path: str) -> str:
    return "en" if path.startswith("en/") else "ja"


def _visit(context, server, path: str, shots: Path) -> PageReport:
    report = PageReport(path=path, lang=_page_lang(path))
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and report.console.append(f"{m.text} ({m.location.get('url', '')})"))
    page.on("pageerror", lambda e: report.console.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: r.url.startswith("http://127.0.0.1") and report.failed.append(f"{r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and report.failed.append(f"{r.url}: HTTP {r.status}"))
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    page.goto(server.url(path), wait_until="load")
    # Lazy images load when scrolled to; make them all load now so each is checked.
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
    try:
        page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=15_000)
        page.wait_for_load_state("networkidle", timeout=15_000)
    except Exception:  # reported below as unloaded images
        pass
    report.facts = page.evaluate(PAGE_FACTS)
    name = path.strip("/").replace("/", "__") or "home"
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}@{width}.png"), full_page=True)
        report.sideways[width] = page.evaluate(SIDEWAYS)
    page.close()
    return report


@pytest.fixture(scope="session")
def reports(browser, server, built_site, artifacts) -> dict[str, PageReport]:
    shots = artifacts / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(service_workers="block")
    foreign: dict[str, list[str]] = {}
    current = {"path": ""}

    def route(r):  # requests to any other host are recorded and never leave the machine
        if urlsplit(r.request.url).netloc == server.host or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            foreign.setdefault(current["path"], []).append(r.request.url)
            r.abort()

    context.route("**/*", route)
    out = {}
    for path in site_pages(built_site):
        current["path"] = path
        out[path] = _visit(context, server, path, shots)
        out[path].foreign = foreign.get(path, [])
    context.close()
    return out


def _fail_on(problems: dict[str, list[str]], what: str):
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        lines = [f"{what} on {len(problems)} page(s):"]
        for path, items in problems.items():
            lines.append(f"  /{path}")
            lines += [f"      {item}" for item in items[:8]]
        pytest.fail("\n".join(lines), pytrace=False)


def test_every_page_in_both_languages(reports):
    paths = set(reports)
    assert "" in paths and "en/" in paths, sorted(paths)
    missing = sorted({f"en/{p}" for p in paths if not p.startswith("en/")} ^ {p for p in paths if p.startswith("en/")})
    assert not missing, f"pages without their twin in the other language: {missing}"
    for path, report in reports.items():
        assert report.facts["lang"] == report.lang, f"/{path}: <html lang={report.facts['lang']!r}>, expected {report.lang}"


def test_no_console_errors(reports):
    _fail_on({p: r.console for p, r in reports.items()}, "console errors")


def test_no_failed_requests(reports):
    _fail_on({p: r.failed for p, r in reports.items()}, "failed requests")


def test_nothing_from_other_hosts(reports):
    _fail_on({p: r.foreign for p, r in reports.items()}, "requests to other hosts")


def test_no_page_scrolls_sideways(reports):
    _fail_on({p: [f"{w} px wide: {item}" for w, items in r.sideways.items() for item in items]
              for p, r in reports.items()}, "content wider than the window")


def test_images_load_with_alt_text(reports):
    problems = {}
    for path, r in reports.items():
        items = []
        for img in r.facts["images"]:
            src = img["src"].rsplit("/", 1)[-1]
            if img["width"] <= 0:
                items.append(f"not loaded: {img['src']}")
            alt = (img["alt"] or "").strip()
            if not alt:
                items.append(f"no alt text: {src}")
            elif r.lang == "ja" and img["figure"] and not JAPANESE.search(alt):
                items.append(f"figure alt not in Japanese: {src}: {alt[:60]!r}")
            elif r.lang == "en" and img["figure"] and JAPANESE.search(alt):
                items.append(f"figure alt in Japanese on an English page: {src}: {alt[:60]!r}")
        problems[path] = items
    _fail_on(problems, "image problems")


def test_math_rendered(reports):
    problems = {}
    for path, r in reports.items():
        f, items = r.facts, []
        items += [f"arithmatex not rendered: {t!r}" for t in f["arithmatexUnrendered"]]
        items += [f"KaTeX error: {t!r}" for t in f["katexErrors"]]
        if f["arithmatex"] and not f["katex"]:
            items.append("math on the page but no KaTeX output")
        items += [f"raw math in the text: {m.group(0)[:60]!r}" for m in RAW_MATH.finditer(f["text"])]
        problems[path] = items
    _fail_on(problems, "math problems")


def test_language_switcher_leads_to_the_same_page(reports, server):
    problems = {}
    for path, r in reports.items():
        same = path.removeprefix("en/")
        expected = {"ja": server.url(same), "en": server.url(f"en/{same}")}
        links = {s["lang"]: s["href"] for s in r.facts["switcher"]}
        items = []
        if set(links) != set(expected):
            items.append(f"switcher languages {sorted(links)}, expected {sorted(expected)}")
        for lang, href in links.items():
            if lang in expected and href.split("#")[0] != expected[lang]:
                items.append(f"{lang} link {href}, expected {expected[lang]}")
            target = href.removeprefix(server.base).split("#")[0]
            if target not in reports:
                items.append(f"{lang} link {href} is no page of the site")
        problems[path] = items
    _fail_on(problems, "language switcher problems")


def test_colab_badge_opens_this_lectures_notebook(reports):
    owner_repo = urlsplit(mkdocs_setting("repo_url")).path.strip("/").removesuffix(".git")
    branch = mkdocs_setting("branch")
    problems, badges = {}, 0
    for path, r in reports.items():
        m = re.match(r"(?:en/)?(?:lectures|notebooks)/([\w.-]+)/$", path)
        items = []
        for href in r.facts["colab"]:
            badges += 1
            if m is None:
                # The syllabus's notebook column links every notebook in Colab; no other page may.
                nb = re.fullmatch(rf"https://colab\.research\.google\.com/github/{re.escape(owner_repo)}/blob/"
                                  rf"{re.escape(branch)}/lectures/([\w.-]+)\.ipynb", href)
                if not re.fullmatch(r"(?:en/)?syllabus/", path):
                    items.append(f"Colab link on a page of no lecture: {href}")
                elif nb is None or not (ROOT / "lectures" / f"{nb[1]}.ipynb").exists():
                    items.append(f"syllabus: Colab link to no notebook of the repository: {href}")
                continue
            lecture = m[1]
            expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/lectures/{lecture}.ipynb"
            if href != expected:
                items.append(f"{href}, expected {expected}")
            if not (ROOT / "lectures" / f"{lecture}.ipynb").exists():
                items.append(f"lectures/{lecture}.ipynb does not exist in the repository")
        problems[path] = items
        if m and "/lectures/" in f"/{path}" and (ROOT / "lectures" / f"{m[1]}.ipynb").exists() and not r.facts["colab"]:
            items.append("a lecture with a notebook but no Colab badge")
    _fail_on(problems, "Colab badge problems")
