"""Interactive figures in headless Chromium, both languages: parity with torch, behaviour, loading.

For each page with an interactive figure: the experiment's exported test vectors go through the
page's own JavaScript model and match torch's outputs within 1e-4 (``aicourseInteractive.
selftest()``); pointer and keyboard each change what the figure shows; nothing loads before the
figure nears the viewport; without JavaScript and in print only the static figure shows; and, as
on every page, no console error, no failed request, nothing from another host.

``AICOURSE_BUILT_SITE=DIR`` reuses a site built beforehand instead of building one (a faster
loop while writing a figure); by default the session's strict quick build is used. Screenshots
of each figure (1280 px and 390 px wide) go to ``test-artifacts/screenshots/interactive-*``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_server import SiteServer

PAGES = {"lectures/13-vae/": "vae-latent", "lectures/06-adapting-models/": "quant-bits", "lectures/12-score-sde/": "sde-sampler", "lectures/10-clip/": "clip-zero-shot"}  # page -> its interactive figure (add lectures 06, 10, 12 here)
LANGS = {"ja": "", "en": "en/"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def site_server(request):
    prebuilt = os.environ.get("AICOURSE_BUILT_SITE")
    site = Path(prebuilt) if prebuilt else request.getfixturevalue("built_site")
    with SiteServer(site) as srv:
        yield srv


class Visit:
    """One page in a fresh context; records console errors, failed and foreign requests, requests made."""

    def __init__(self, browser, server, path: str, width: int = 1280, javascript: bool = True):
        self.errors, self.failed, self.foreign, self.requests = [], [], [], []
        self.context = browser.new_context(service_workers="block", java_script_enabled=javascript,
                                           viewport={"width": width, "height": 800})

        def route(r):
            if urlsplit(r.request.url).netloc == server.host or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)
        self.page = page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.url}: HTTP {r.status}"))
        page.goto(server.url(path), wait_until="load")

    def ready(self, name: str):
        fig = self.page.locator(f'.interactive-figure[data-interactive="{name}"]')
        fig.scroll_into_view_if_needed()
        self.page.wait_for_selector(f'.interactive-figure[data-interactive="{name}"].is-ready', timeout=20_000)
        return fig

    def close(self):
        self.context.close()
        assert not self.errors, f"console errors: {self.errors}"
        assert not self.failed, f"failed requests: {self.failed}"
        assert not self.foreign, f"requests to other hosts: {self.foreign}"


@pytest.fixture(params=[(lang, page) for page in PAGES for lang in LANGS], ids=lambda p: f"{p[0]}-{p[1].strip('/')}")
def visit(request, browser, site_server):
    lang, page = request.param
    v = Visit(browser, site_server, LANGS[lang] + page)
    v.lang, v.name = lang, PAGES[page]
    yield v
    v.close()


def test_nothing_loads_until_the_figure_nears_the_viewport(visit):
    page, name = visit.page, visit.name
    page.wait_for_load_state("networkidle")
    fig = page.locator(f'.interactive-figure[data-interactive="{name}"]')
    assert fig.is_visible(), "the loader reveals the figure's container"
    assert fig.evaluate("el => el.getBoundingClientRect().top > 2 * innerHeight"), "the figure starts far below the fold"
    early = [u for u in visit.requests if u.endswith((".safetensors", f"/{name}.js", "/nn.js"))]
    assert not early, f"loaded before the figure came near: {early}"
    visit.ready(name)
    assert any(u.endswith(f"/{name}.safetensors") for u in visit.requests)
    assert not any(u.endswith(".test.safetensors") for u in visit.requests), "test vectors load only for the self-test"


def test_the_pages_model_reproduces_torchs_outputs(visit):
    results = visit.page.evaluate(f"window.aicourseInteractive.selftest({visit.name!r})")
    assert len(results) == 1, results
    r = results[0]
    assert r["lang"] == visit.lang
    assert r["maxAbsDiff"] <= TOLERANCE, f"{visit.name} ({visit.lang}): max |JS − torch| = {r['maxAbsDiff']:.3g}: {r}"


def _digit(page):
    return page.evaluate("""() => { const c = document.querySelector('.vae-latent__digit');
        return Array.from(c.getContext('2d').getImageData(0, 0, 8, 8).data); }""")


def test_vae_moving_the_latent_point_changes_the_digit(visit):
    if visit.name != "vae-latent":
        pytest.skip("lecture 13 only")
    page = visit.page
    visit.ready(visit.name)
    before = _digit(page)
    box = page.locator(".vae-latent__map").bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.25 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.7 * box["height"], steps=4)
    page.mouse.up()
    by_pointer = _digit(page)
    assert by_pointer != before, "dragging on the map did not change the decoded digit"
    z = page.locator(".vae-latent__digit").get_attribute("data-z")
    assert z != "0,0"

    page.locator(".vae-latent__map").focus()
    for key in ("Home", "ArrowLeft", "ArrowLeft", "Shift+ArrowLeft", "Shift+ArrowUp", "Shift+ArrowUp"):
        page.keyboard.press(key)
    assert page.locator(".vae-latent__digit").get_attribute("data-z") == "-0.7,1"
    assert _digit(page) not in (before, by_pointer), "the arrow keys did not change the decoded digit"
    live = page.locator(f'.interactive-figure[data-interactive="{visit.name}"] .interactive-figure__live')
    expected = "潜在 z = (−0.70, 1.00)" if visit.lang == "ja" else "latent z = (−0.70, 1.00)"
    page.wait_for_function("([el, text]) => el.textContent === text", arg=[live.element_handle(), expected], timeout=3000)
    assert page.locator(".vae-latent__map").get_attribute("aria-valuetext") == "z = (−0.70, 1.00)"


def test_vae_drawing_with_the_keyboard_alone_moves_mu(visit):
    if visit.name != "vae-latent":
        pytest.skip("lecture 13 only")
    page = visit.page
    visit.ready(visit.name)
    readout = page.locator(".vae-latent__readout").nth(1)
    assert readout.get_attribute("data-mu") is None  # an empty grid: no μ yet
    page.locator('.vae-latent__grid [role="gridcell"]').first.focus()  # the grid's one tab stop: its cursor
    # a stroke down column 4 (a "1"), then a bar to its left along the top row (a "7")
    keys = ["ArrowRight"] * 3 + ["Space"] + ["ArrowDown", "Space"] * 6 + ["ArrowUp"] * 6 + ["ArrowLeft", "Space"] * 3
    mus = []
    for key in keys:
        page.keyboard.press(key)
        if key == "Space":
            mus.append(readout.get_attribute("data-mu"))
    assert all(mus) and len(set(mus)) == len(mus), f"μ did not change at every keystroke: {mus}"
    assert page.locator('.vae-latent__grid [aria-selected="true"]').count() == 10
    text = readout.text_content()
    assert text.startswith("μ = (") and "σ = (" in text
    live = page.locator(f'.interactive-figure[data-interactive="{visit.name}"] .interactive-figure__live')
    page.wait_for_function("([el, t]) => el.textContent.includes(t)", arg=[live.element_handle(), text], timeout=3000)
    page.keyboard.press("Space")  # Space toggles: the last cell is erased again
    assert page.locator('.vae-latent__grid [aria-selected="true"]').count() == 9


def test_the_figure_speaks_the_pages_language(visit):
    fig = visit.ready(visit.name)
    labels = fig.evaluate("""el => [el.innerText, ...Array.from(el.querySelectorAll('[aria-label]'))
        .map(e => e.getAttribute('aria-label'))].join(' | ')""")
    if visit.lang == "ja":
        assert JAPANESE.search(labels), labels[:200]
    else:
        assert not JAPANESE.search(labels), JAPANESE.findall(labels)[:20]


AXE = Path(__file__).resolve().parents[2] / "benchmarks" / "lighthouse" / "node_modules" / "axe-core" / "axe.min.js"


def test_the_mounted_figure_passes_axe(visit):
    """axe-core (what Lighthouse's accessibility score runs) on the figure once mounted and used."""
    if not AXE.exists():
        pytest.skip("axe-core comes with Lighthouse: (cd benchmarks/lighthouse && npm ci)")
    visit.ready(visit.name)
    for button in visit.page.locator(f'.interactive-figure[data-interactive="{visit.name}"] button').all():
        if button.is_enabled():
            button.click()  # leaves the last one focused: its focus style is checked too
    visit.page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    violations = visit.page.evaluate("""async name => (await axe.run(`.interactive-figure[data-interactive="${name}"]`))
        .violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')}`)""",
                                     visit.name)
    assert not violations, violations


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_figure(browser, site_server, artifacts, width):
    shots = artifacts / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for page_path, name in PAGES.items():
        for lang, prefix in LANGS.items():
            v = Visit(browser, site_server, prefix + page_path, width=width)
            fig = v.ready(name)
            if name == "vae-latent":
                v.page.locator(".vae-latent__button").nth(1).click()  # draw an example: a real 0
                v.page.locator(".vae-latent__button").nth(2).click()  # decode its μ
            sideways = v.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            v.page.add_style_tag(content=".md-header { visibility: hidden; }")  # not over the figure
            fig.screenshot(path=str(shots / f"interactive-{name}-{lang}@{width}.png"))
            v.close()
            assert sideways <= 0, f"{lang} {page_path} at {width} px scrolls sideways by {sideways} px"


def test_without_javascript_and_in_print_only_the_static_figure_shows(browser, site_server):
    for page_path, name in PAGES.items():
        for prefix in LANGS.values():
            v = Visit(browser, site_server, prefix + page_path, javascript=False)
            assert v.page.locator(f'.interactive-figure[data-interactive="{name}"]').is_hidden()
            assert v.page.locator(".course-figure img").count() > 0
            v.close()
            v = Visit(browser, site_server, prefix + page_path)
            v.ready(name)
            v.page.emulate_media(media="print")
            assert v.page.locator(f'.interactive-figure[data-interactive="{name}"]').is_hidden()
            v.close()
