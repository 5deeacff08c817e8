"""Lecture 12's score sampler (sde-sampler.js) in headless Chromium, both languages: the time slider
changes the score field and the perturbed data; the sampler, started by pointer or by keyboard
alone, produces a few hundred finite points. Parity and loading are in test_interactive.py."""

from __future__ import annotations

import pytest
from test_interactive import LANGS, Visit, site_server  # noqa: F401  (site_server: the fixture)

PAGE, NAME = "lectures/12-score-sde/", "sde-sampler"


@pytest.fixture(params=list(LANGS), ids=lambda lang: f"{lang}-12-score-sde")
def visit(request, browser, site_server):  # noqa: F811
    v = Visit(browser, site_server, LANGS[request.param] + PAGE)
    v.lang = request.param
    v.ready(NAME)
    yield v
    v.close()


def _pixels(page):
    return page.evaluate("""() => { const c = document.querySelector('.sde-sampler__plot');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 7 === 0)); }""")


def _live(visit):
    return visit.page.locator(f'.interactive-figure[data-interactive="{NAME}"] .interactive-figure__live')


def test_the_time_slider_changes_the_field_by_keyboard_and_pointer(visit):
    page, plot = visit.page, visit.page.locator(".sde-sampler__plot")
    before, t0 = _pixels(page), plot.get_attribute("data-t")
    page.locator(".sde-sampler__time").focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    assert plot.get_attribute("data-t") != t0
    by_keys = _pixels(page)
    assert by_keys != before, "the arrow keys on the time slider did not change the figure"
    expected = "時刻 t = " if visit.lang == "ja" else "time t = "
    page.wait_for_function("([el, t]) => el.textContent.startsWith(t)", arg=[_live(visit).element_handle(), expected],
                           timeout=3000)
    box = page.locator(".sde-sampler__time").bounding_box()
    page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + box["height"] / 2)
    assert _pixels(page) not in (before, by_keys), "clicking the time slider did not change the figure"


@pytest.mark.parametrize("method", ["sde", "ode"])
def test_the_sampler_produces_points_by_keyboard_alone(visit, method):
    page = visit.page
    page.locator(".sde-sampler__method").focus()
    page.keyboard.press("ArrowDown" if method == "ode" else "ArrowUp")
    assert page.locator(".sde-sampler__method").input_value() == method
    page.locator(".sde-sampler__steps").focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")  # 100 → 70 steps
    assert page.locator(".sde-sampler__steps").input_value() == "70"
    before = _pixels(page)
    page.locator(".sde-sampler__run").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector('.sde-sampler[data-state="done"]', timeout=30_000)
    points = int(page.locator(".sde-sampler").get_attribute("data-points"))
    assert 200 <= points <= 1000, f"{points} finite points"
    assert _pixels(page) != before
    page.wait_for_function("el => /70/.test(el.textContent) && /300/.test(el.textContent)",
                           arg=_live(visit).element_handle(), timeout=3000)
