"""Lecture 06's bit slider (quant-bits): moving it changes the error, by pointer and by keyboard alone.

Parity with torch and the shared checks run in test_interactive.py (PAGES); this file holds the
figure's own behaviour, reusing that file's fixtures and helpers.
"""

from __future__ import annotations

import pytest

from test_interactive import LANGS, Visit, site_server  # noqa: F401 (a fixture)

PAGE, NAME = "lectures/06-adapting-models/", "quant-bits"


def _state(page):
    return page.evaluate("""() => ({ bits: document.querySelector('.quant-bits__slider').value,
        err: document.querySelector('.quant-bits__err').textContent,
        acc: document.querySelector('.quant-bits__acc').textContent })""")


@pytest.mark.parametrize("lang", list(LANGS))
def test_quant_bits_keyboard_changes_the_error(browser, site_server, lang):  # noqa: F811
    v = Visit(browser, site_server, LANGS[lang] + PAGE)
    v.ready(NAME)
    slider = v.page.locator(".quant-bits__slider")
    assert slider.get_attribute("type") == "range"
    assert v.page.locator(f'label[for="{slider.get_attribute("id")}"]').count() == 1
    before = _state(v.page)
    assert before["bits"] == "8"
    slider.focus()
    for _ in range(6):
        v.page.keyboard.press("ArrowLeft")
    after = _state(v.page)
    assert after["bits"] == "2"
    assert after["err"] != before["err"]
    v.page.keyboard.press("End")
    assert _state(v.page) == before
    v.page.wait_for_function("() => document.querySelector('.quant-bits__slider').closest('figure')"
                             ".querySelector('.interactive-figure__live').textContent.length > 0")
    v.close()


@pytest.mark.parametrize("lang", list(LANGS))
def test_quant_bits_pointer_changes_the_error(browser, site_server, lang):  # noqa: F811
    v = Visit(browser, site_server, LANGS[lang] + PAGE)
    v.ready(NAME)
    before = _state(v.page)
    box = v.page.locator(".quant-bits__slider").bounding_box()
    v.page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    after = _state(v.page)
    assert int(after["bits"]) < 8 and after["err"] != before["err"]
    v.close()
