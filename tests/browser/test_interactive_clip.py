"""Lecture 10's interactive zero-shot figure (clip-zero-shot.js): behaviour by pointer and keyboard.

Parity with torch, language, axe, lazy loading, screenshots and print come from the shared tests in
test_interactive.py (PAGES lists lectures/10-clip/); this file checks what only this figure does.
"""

from __future__ import annotations

import pytest
from test_interactive import LANGS, Visit, site_server  # noqa: F401  (the fixture is reused)

NAME, PAGE = "clip-zero-shot", "lectures/10-clip/"


@pytest.fixture(params=list(LANGS))
def visit(request, browser, site_server):  # noqa: F811
    v = Visit(browser, site_server, LANGS[request.param] + PAGE)
    v.lang = request.param
    yield v
    v.close()


def _probs(page):
    raw = page.locator(".clip-zero-shot__bars").get_attribute("data-probs")
    return [float(p) for p in raw.split(",")] if raw else None


def _similarity(page):
    raw = page.locator(".clip-zero-shot__similarity").get_attribute("data-similarity")
    return float(raw) if raw else None


def test_a_digit_drawn_by_pointer_gives_ten_probabilities_summing_to_one(visit):
    page = visit.page
    visit.ready(NAME)
    assert _probs(page) is None
    box = page.locator(".clip-zero-shot__grid").bounding_box()
    cell = lambda r, c: (box["x"] + (c + 0.5) * box["width"] / 8, box["y"] + (r + 0.5) * box["height"] / 8)  # noqa: E731
    page.mouse.move(*cell(0, 4))
    page.mouse.down()
    page.mouse.move(*cell(7, 4), steps=10)
    page.mouse.up()
    probs = _probs(page)
    assert probs and len(probs) == 10 and abs(sum(probs) - 1) < 1e-5 and all(p >= 0 for p in probs)
    assert page.locator('.clip-zero-shot__grid [aria-selected="true"]').count() >= 6
    assert page.locator(".clip-zero-shot__row[aria-label]").count() == 10


def test_keyboard_alone_draws_and_types_a_caption(visit):
    page = visit.page
    visit.ready(NAME)
    page.locator('.clip-zero-shot__grid [role="gridcell"]').first.focus()
    keys = ["ArrowRight"] * 3 + ["Space"] + ["ArrowDown", "Space"] * 6
    seen = []
    for key in keys:
        page.keyboard.press(key)
        if key == "Space":
            seen.append(_probs(page))
    assert all(seen) and len({tuple(p) for p in seen}) == len(seen), "the probabilities did not change at each stroke"
    assert all(abs(sum(p) - 1) < 1e-5 and len(p) == 10 for p in seen)
    live = page.locator(f'.interactive-figure[data-interactive="{NAME}"] .interactive-figure__live')
    page.wait_for_function("el => el.textContent.length > 0", arg=live.element_handle(), timeout=3000)

    # Tab from the grid to the template, then to the caption: every control is reachable by keyboard.
    page.keyboard.press("Tab")  # the Clear button
    page.keyboard.press("Tab")  # the template
    before_template = _probs(page)
    page.keyboard.press("ArrowDown")
    assert _probs(page) != before_template, "choosing another template did not change the probabilities"
    page.keyboard.press("Tab")  # the caption
    assert page.evaluate("document.activeElement.classList.contains('clip-zero-shot__caption')")
    before = _similarity(page)
    assert before is not None
    page.keyboard.press("Control+A")
    page.keyboard.type("a photo of the digit one" if visit.lang == "en" else "手書きの「一」")
    after = _similarity(page)
    assert after is not None and after != before, "typing a caption did not change its similarity"
    assert page.locator(".clip-zero-shot__unknown").text_content() == ""
    page.keyboard.type("☃")
    assert "☃" in page.locator(".clip-zero-shot__unknown").text_content(), "an unknown character is not named"
