"""Reading aids in headless Chromium: glossary tips, notebook pages at phone width, the home page's
gallery and its weight, printing.

- On every lecture page in both languages, hovering each marked glossary term shows its tip with
  the term in the other language; reaching it with Tab does the same; a tap pins it, Escape hides it.
- On notebook pages nothing is wider than the window at 390 px, and the right-hand column lists
  the page's headings, each leading to a heading of the page.
- The home page shows one figure per written lecture, each linking to its lecture, and weighs
  under 500 KB with its images as GitHub Pages serves it (text compressed).
- Printed (A4): no header, navigation or search; figures are not cut; every answer is open while
  printing and closed again afterwards.
Screenshots of a tip in each language and a PDF of a printed lecture go to
``test-artifacts/reading-aids/``.

``AICOURSE_BUILT_SITE=/path/to/site`` runs these against a site already built (while working on
them); by default they use the session's strict build.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest
from site_server import ROOT, SiteServer, site_pages

from aicourse.site.content import load_glossary, load_syllabus
from aicourse.site.glossary_marks import strip_parens, term_anchors

HOME_LIMIT = 500_000  # bytes, the home page with its images (issue 14)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def site(request) -> Path:
    prebuilt = os.environ.get("AICOURSE_BUILT_SITE")
    if prebuilt:
        return Path(prebuilt)
    return request.getfixturevalue("built_site")


@pytest.fixture(scope="session")
def served(site):
    with SiteServer(site) as srv:
        yield srv


@pytest.fixture(scope="session")
def shots(artifacts) -> Path:
    path = artifacts / "reading-aids"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def twins() -> dict[tuple[str, str], str]:
    """(page language, anchor) -> the twin term a tip must show (its words, without parentheticals or math)."""
    _, lectures = load_syllabus(ROOT / "docs" / "_data" / "syllabus.yml")
    terms = load_glossary(ROOT / "docs" / "_data" / "glossary", lectures)
    out = {}
    for term, anchor in zip(terms, term_anchors(terms)):
        out[("ja", anchor)] = strip_parens(term.en)
        out[("en", anchor)] = strip_parens(term.ja)
    return out


def lecture_pages(site: Path) -> list[str]:
    pages = [p for p in site_pages(site) if re.fullmatch(r"(?:en/)?lectures/[\w.-]+/", p)]
    assert pages, "no lecture pages in the built site"
    return pages


def _fail_on(problems: dict[str, list[str]], what: str):
    problems = {k: v for k, v in problems.items() if v}
    if problems:
        lines = [f"{what} on {len(problems)} page(s):"]
        for path, items in problems.items():
            lines.append(f"  /{path}")
            lines += [f"      {item}" for item in items[:8]]
        pytest.fail("\n".join(lines), pytrace=False)


# What each mark shows, read in the page: whether its tip is displayed, inside the window, and its text.
TIP_STATE = r"""(gloss) => {
  const tip = gloss.querySelector('.gloss__tip');
  const r = tip.getBoundingClientRect();
  const shown = getComputedStyle(tip).display !== 'none' && r.width > 0 && r.height > 0;
  return {shown, left: r.left, right: r.right, width: document.documentElement.clientWidth,
          twin: shown ? tip.querySelector('.gloss__twin').innerText : '',
          href: tip.querySelector('a.gloss__more').getAttribute('href')};
}"""

OPEN_ALL_DETAILS = "document.querySelectorAll('details').forEach(d => d.open = true)"


def _open(browser, served, path: str, viewport=DESKTOP, **kw):
    context = browser.new_context(viewport=viewport, service_workers="block", **kw)
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(served.base) else r.abort())
    page = context.new_page()
    page.goto(served.url(path), wait_until="load")
    return context, page


def _anchor(href: str) -> str:
    return href.rsplit("#", 1)[-1]


def test_every_lecture_has_marked_terms_that_link_to_glossary_rows(site, twins):
    problems = {}
    rows = {lang: set(re.findall(r'class="gloss-anchor" id="([^"]+)"', (site / prefix / "glossary" / "index.html").read_text(encoding="utf-8")))
            for lang, prefix in (("ja", ""), ("en", "en"))}
    for path in lecture_pages(site):
        lang = "en" if path.startswith("en/") else "ja"
        html = (site / path / "index.html").read_text(encoding="utf-8")
        hrefs = re.findall(r'<a class="gloss__more" href="([^"]+)"', html)
        items = [] if len(hrefs) >= 5 else [f"only {len(hrefs)} glossary terms marked"]
        for href in hrefs:
            if not href.startswith("../../glossary/#") or _anchor(href) not in rows[lang]:
                items.append(f"{href}: no such row in the glossary")
            if (lang, _anchor(href)) not in twins:
                items.append(f"{href}: no glossary term has this anchor")
        tips = re.findall(r'<span class="gloss__tip"[^>]*>', html)
        items += [f"a tip without data-pagefind-ignore: {t}" for t in tips if "data-pagefind-ignore" not in t]
        problems[path] = items
    _fail_on(problems, "glossary mark problems")


# The tests below run one small script per step in the page, to keep the round trips few.
MARK_JS = r"""
window.__marks = () => Array.from(document.querySelectorAll('.md-content .gloss'));
window.__tip = (gloss) => {
  const tip = gloss.querySelector('.gloss__tip'), r = tip.getBoundingClientRect();
  const shown = getComputedStyle(tip).display !== 'none' && r.width > 0 && r.height > 0;
  return {shown, twin: shown ? tip.querySelector('.gloss__twin').innerText : '',
          href: tip.querySelector('a.gloss__more').getAttribute('href')};
};
true;  // the value of this script (a function would be called)
"""

# Whether mark `left` still shows its tip now that the pointer has gone; then mark `next` brought to
# the middle of the window, whether it shows a tip before any hover, and a point on its first line.
HOVER_STEP = r"""([left, next]) => {
  const marks = __marks(), out = {};
  if (left >= 0) out.after = __tip(marks[left]).shown;
  if (next >= 0) {
    const term = marks[next].querySelector('.gloss__term');
    term.scrollIntoView({block: 'center'});
    const r = term.getClientRects()[0];
    out.before = __tip(marks[next]).shown;
    out.point = r ? [r.left + Math.min(r.width / 2, 10), r.top + r.height / 2] : null;
  }
  return out;
}"""

HOVERED = r"""(i) => __tip(__marks()[i])"""

# What Tab landed on (the probe goes), then a focusable probe just before mark `next`, focused: the
# next Tab must land on that mark.
TAB_STEP = r"""(next) => {
  document.getElementById('tab-probe')?.remove();
  const el = document.activeElement, marks = __marks();
  let out = {index: -1, on: el ? el.outerHTML.slice(0, 80) : ''};
  if (el && el.classList.contains('gloss__term')) out = {index: marks.indexOf(el.closest('.gloss')), ...__tip(el.closest('.gloss'))};
  if (next >= 0) {
    const probe = document.createElement('span');
    probe.tabIndex = 0; probe.id = 'tab-probe';
    marks[next].before(probe); probe.focus();
  }
  return out;
}"""


def _check_tip(state: dict, expected: str, i: int, how: str) -> list[str]:
    if not state["shown"]:
        return [f"mark {i + 1} ({expected}): {how} shows no tip"]
    if expected not in state["twin"]:
        return [f"mark {i + 1}: {how} shows {state['twin']!r}, expected the twin {expected!r}"]
    return []


def _lecture(browser, served, path):
    context, page = _open(browser, served, path)
    page.evaluate(MARK_JS)
    page.evaluate(OPEN_ALL_DETAILS)  # marks inside collapsed answers too
    page.mouse.move(1, 1)
    return context, page, page.evaluate("__marks().length")


def test_hovering_a_marked_term_shows_its_twin(browser, served, site, twins):
    problems = {}
    for path in lecture_pages(site):
        lang = "en" if path.startswith("en/") else "ja"
        context, page, count = _lecture(browser, served, path)
        items = [] if count else ["no marked glossary term"]
        for i in range(count + 1):
            step = page.evaluate(HOVER_STEP, [i - 1, i if i < count else -1])
            if step.get("after"):
                items.append(f"mark {i}: the tip stays after the pointer has left")
            if i == count:
                break
            if step["before"]:
                items.append(f"mark {i + 1}: tip shown before any hover")
            if step["point"] is None:
                items.append(f"mark {i + 1}: not shown on the page, so no reader can hover it")
                continue
            page.mouse.move(*step["point"])
            state = page.evaluate(HOVERED, i)
            items += _check_tip(state, twins.get((lang, _anchor(state["href"])), "?"), i, "hovering")
            page.mouse.move(1, 1)
        problems[path] = items
        context.close()
    _fail_on(problems, "hover problems")


def test_tabbing_to_a_marked_term_shows_its_twin(browser, served, site, twins):
    problems = {}
    for path in lecture_pages(site):
        lang = "en" if path.startswith("en/") else "ja"
        context, page, count = _lecture(browser, served, path)
        items = []
        page.evaluate(TAB_STEP, 0 if count else -1)
        for i in range(count):
            page.keyboard.press("Tab")
            state = page.evaluate(TAB_STEP, i + 1 if i + 1 < count else -1)
            if state["index"] != i:
                items.append(f"mark {i + 1}: Tab from just before it lands on {state.get('on') or 'mark ' + str(state['index'] + 1)}")
                continue
            items += _check_tip(state, twins.get((lang, _anchor(state["href"])), "?"), i, "focus by Tab")
        problems[path] = items
        context.close()
    _fail_on(problems, "keyboard problems")


@pytest.mark.parametrize("path", ["lectures/13-vae/", "en/lectures/13-vae/"])
def test_a_tap_pins_the_tip_inside_the_window_and_escape_hides_it(browser, served, site, shots, path):
    if not (site / path / "index.html").exists():
        path = next(p for p in lecture_pages(site) if p.startswith("en/") == path.startswith("en/"))
    context, page = _open(browser, served, path, viewport=PHONE, has_touch=True, is_mobile=True)
    page.evaluate(OPEN_ALL_DETAILS)
    marks = page.locator(".md-content .gloss")
    problems = []
    for i in range(marks.count()):
        gloss = marks.nth(i)
        try:
            gloss.locator(".gloss__term").tap(timeout=5_000)
        except Exception as exc:
            problems.append(f"mark {i + 1}: cannot be tapped: {str(exc).splitlines()[0]}")
            continue
        state = gloss.evaluate(TIP_STATE)
        if not state["shown"]:
            problems.append(f"mark {i + 1}: a tap shows no tip")
            continue
        if state["left"] < 0 or state["right"] > state["width"]:
            problems.append(f"mark {i + 1}: the tip spans {state['left']:.0f}–{state['right']:.0f} px, the window {state['width']} px")
        if i == 0:
            page.screenshot(path=str(shots / f"tip-{'en' if path.startswith('en/') else 'ja'}@390.png"))
        page.keyboard.press("Escape")
        if gloss.evaluate(TIP_STATE)["shown"]:
            problems.append(f"mark {i + 1}: Escape leaves the tip shown")
    sideways = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if sideways > 0:
        problems.append(f"the page scrolls {sideways} px sideways after the taps")
    context.close()
    assert not problems, f"/{path}:\n  " + "\n  ".join(problems[:12])


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_screenshot_of_a_tip(browser, served, site, shots, lang):
    """For a human to look at: a tip on a desktop, hovered, in each language."""
    path = "lectures/13-vae/" if lang == "ja" else "en/lectures/13-vae/"
    if not (site / path / "index.html").exists():
        path = next(p for p in lecture_pages(site) if p.startswith("en/") == (lang == "en"))
    context, page = _open(browser, served, path)
    gloss = page.locator(".md-content .gloss").nth(1)
    gloss.scroll_into_view_if_needed()
    gloss.locator(".gloss__term").hover()
    box = gloss.locator(".gloss__tip").bounding_box()
    assert box and box["width"] > 0
    term = gloss.locator(".gloss__term").bounding_box()
    clip = {"x": max(0, min(box["x"], term["x"]) - 40), "y": max(0, term["y"] - 60),
            "width": min(DESKTOP["width"], max(box["width"], term["width"]) + 120), "height": box["height"] + term["height"] + 100}
    page.screenshot(path=str(shots / f"tip-{lang}@1280.png"), clip=clip)
    context.close()


# ---- Notebook pages -------------------------------------------------------------------------------

SIDEWAYS = r"""() => {
  const w = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; })
    .map(e => `${e.tagName.toLowerCase()}.${String(e.className).split(" ")[0]} ends at ${Math.round(e.getBoundingClientRect().right)} px`);
  const scroll = document.documentElement.scrollWidth - w;
  return scroll > 0 ? [`the page scrolls ${scroll} px sideways`].concat(wide.slice(0, 5)) : [];
}"""

TOC = r"""() => Array.from(document.querySelectorAll('.md-sidebar--secondary .md-nav__link')).map(a => {
  const id = decodeURIComponent((a.getAttribute('href') || '').replace(/^#/, ''));
  const target = document.getElementById(id);
  return {id, text: a.innerText.trim(), heading: !!target && /^H[1-6]$/.test(target.tagName),
          shown: !!target && target.getBoundingClientRect().height > 0};
})"""


def notebook_pages(site: Path) -> list[str]:
    pages = [p for p in site_pages(site) if re.fullmatch(r"(?:en/)?notebooks/[\w.-]+/", p)]
    assert pages, "no notebook pages in the built site"
    return pages


def test_notebook_pages_fit_a_phone(browser, served, site):
    problems = {}
    for path in notebook_pages(site):
        context, page = _open(browser, served, path, viewport=PHONE)
        page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
        try:
            page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=15_000)
        except Exception:
            pass
        problems[path] = page.evaluate(SIDEWAYS)
        context.close()
    _fail_on(problems, "content wider than the window at 390 px")


def test_notebook_pages_list_their_headings_in_the_right_hand_column(browser, served, site):
    problems = {}
    for path in notebook_pages(site):
        context, page = _open(browser, served, path)
        items = []
        toc = page.evaluate(TOC)
        if not toc:
            items.append("the table of contents is empty")
        for entry in toc:
            if not entry["heading"]:
                items.append(f"#{entry['id']} ({entry['text']}) leads to no heading")
            elif not entry["shown"]:
                items.append(f"#{entry['id']} ({entry['text']}) is a heading of the other language")
            if re.fullmatch(r"[\d_-]*", entry["id"]):
                items.append(f"#{entry['id']} ({entry['text']}) is no readable anchor")
        problems[path] = items
        context.close()
    _fail_on(problems, "notebook table-of-contents problems")


# ---- Home page ------------------------------------------------------------------------------------

def test_home_page_gallery_shows_one_figure_per_lecture(browser, served, site):
    written = sorted(p.name.removesuffix(".ja.md") for p in (ROOT / "docs" / "lectures").glob("*.ja.md"))
    problems = {}
    for path in ("", "en/"):
        context, page = _open(browser, served, path)
        page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
        page.wait_for_function("Array.from(document.querySelectorAll('.course-gallery img')).every(i => i.complete)", timeout=20_000)
        cards = page.evaluate(r"""() => Array.from(document.querySelectorAll('.course-gallery a')).map(a => ({
            href: a.href, img: a.querySelector('img') && a.querySelector('img').naturalWidth,
            alt: a.querySelector('img') && a.querySelector('img').alt, src: a.querySelector('img') && a.querySelector('img').src}))""")
        items = []
        lectures = [re.search(r"/lectures/([\w.-]+)/$", c["href"]) for c in cards]
        got = [m[1] if m else c["href"] for m, c in zip(lectures, cards)]
        if got != written:
            items.append(f"gallery links {got}, expected one per lecture {written}")
        for c in cards:
            if not c["img"]:
                items.append(f"{c['src']}: not loaded")
            if not (c["alt"] or "").strip():
                items.append(f"{c['src']}: no alt text")
            if f"/{path}figures/" in c["src"] and path:
                items.append(f"{c['src']}: a figure outside the site's shared figures")
            if "/figures/ja/" in c["src"] and path == "en/" or "/figures/en/" in c["src"] and path == "":
                items.append(f"{c['src']}: a figure in the other language")
        problems[path or "(home)"] = items
        context.close()
    _fail_on(problems, "gallery problems")


def _weight(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    compressed = len(gzip.compress(data, compresslevel=6, mtime=0)) if path.suffix in (".html", ".svg", ".css", ".js") else len(data)
    return len(data), compressed


def test_home_page_with_its_images_stays_under_500_kb(browser, site, shots):
    """Measured twice: in the built site (its HTML and the images it shows, as stored and as GitHub
    Pages sends them), and in the browser (every response of the page, served compressed)."""
    report = []
    for prefix in ("", "en/"):
        html_path = site / prefix / "index.html"
        html = html_path.read_text(encoding="utf-8")
        raw, sent = _weight(html_path)
        for src in re.findall(r'<img [^>]*src="([^"]+)"', html):
            r, s = _weight((html_path.parent / src).resolve())
            raw, sent = raw + r, sent + s
        report.append(f"/{prefix}: HTML and images {raw / 1000:.0f} KB stored, {sent / 1000:.0f} KB sent")
        assert sent <= HOME_LIMIT, report[-1]

    with SiteServer(site, compress=True) as srv:
        for prefix in ("", "en/"):
            context = browser.new_context(viewport=DESKTOP, service_workers="block")
            page = context.new_page()
            finished = []
            page.on("requestfinished", lambda r: finished.append(r))
            page.goto(srv.url(prefix), wait_until="load")
            page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
            page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=20_000)
            page.wait_for_load_state("networkidle")
            sizes = [r.sizes()["responseBodySize"] for r in finished]
            total = sum(sizes)
            report.append(f"/{prefix}: in the browser, {len(sizes)} responses, {total / 1000:.0f} KB transferred "
                          "(HTML, CSS, scripts, fonts, images)")
            context.close()
            assert total <= HOME_LIMIT, report[-1]
    (shots / "home-weight.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))


# ---- Print ----------------------------------------------------------------------------------------

HIDDEN_IN_PRINT = (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-search", ".md-footer",
                   ".md-tabs", ".md-content__button", ".course-search")

PRINT_STATE = r"""(selectors) => ({
  shown: selectors.filter(s => Array.from(document.querySelectorAll(s)).some(e => {
    const r = e.getBoundingClientRect(); return getComputedStyle(e).display !== 'none' && r.width > 0 && r.height > 0; })),
  figures: Array.from(document.querySelectorAll('.course-figure')).map(f => getComputedStyle(f).breakInside),
  details: Array.from(document.querySelectorAll('.md-content details')).map(d => d.open),
  answers: Array.from(document.querySelectorAll('.md-content details')).map(d => {
    const body = d.querySelector(':scope > :not(summary)'); return !!body && body.getBoundingClientRect().height > 0; }),
})"""


@pytest.mark.parametrize("path", ["lectures/03-autoencoders/", "en/lectures/03-autoencoders/"])
def test_a_printed_lecture_has_no_chrome_no_cut_figures_and_every_answer_open(browser, served, site, shots, path):
    if not (site / path / "index.html").exists():
        path = next(p for p in lecture_pages(site) if p.startswith("en/") == path.startswith("en/"))
    context, page = _open(browser, served, path)
    before = page.evaluate(PRINT_STATE, list(HIDDEN_IN_PRINT))
    assert before["details"] and not any(before["details"]), "the lecture's answers should start collapsed"
    page.emulate_media(media="print")
    state = page.evaluate(PRINT_STATE, list(HIDDEN_IN_PRINT))
    assert not state["shown"], f"shown in print: {state['shown']}"
    assert state["figures"] and all(b == "avoid" for b in state["figures"]), f"figures may be cut: {state['figures']}"
    assert all(state["answers"]), "print CSS alone shows every answer's text"
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert all(page.evaluate(PRINT_STATE, [])["details"]), "beforeprint opens every answer"
    lang = "en" if path.startswith("en/") else "ja"
    page.pdf(path=str(shots / f"print-{lang}.pdf"), format="A4", print_background=True)
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert not any(page.evaluate(PRINT_STATE, [])["details"]), "afterprint closes again the answers it opened"
    context.close()

    # Without JavaScript the print CSS alone opens them: all open, never half.
    context, page = _open(browser, served, path, java_script_enabled=False)
    page.emulate_media(media="print")
    answers = page.evaluate(PRINT_STATE, [])["answers"]
    context.close()
    assert all(answers) or not any(answers), f"without JavaScript some answers print open, some closed: {answers}"
