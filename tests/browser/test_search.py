"""The site search (Pagefind, in the header) finds Japanese compounds as typed, per language.

Material's built-in search (lunr + TinySegmenter) missed 拡散モデル, ノイズを除去 and
交差エントロピー on pages that contain them, and mixed the languages; the site indexes with
Pagefind instead (code/aicourse/site/search_index.py). A query is tested against whatever lecture
pages contain it in the built site at test time, so new lectures are covered as they land.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_server import site_pages

JA_QUERIES = ("拡散モデル", "潜在変数", "損失関数", "ノイズを除去", "交差エントロピー")
EN_QUERIES = ("gradient descent", "latent variable", "diffusion model")
LECTURE = re.compile(r"^(?:en/)?lectures/[\w.-]+/$")


def _text(path: Path) -> str:
    """The indexed text of a built page: what is inside data-pagefind-body, less what Pagefind ignores."""
    from bs4 import BeautifulSoup

    body = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("[data-pagefind-body]")
    if body is None:
        return ""
    for el in body.select("script, style, [data-pagefind-ignore]"):
        el.decompose()
    return body.get_text(" ")


@pytest.fixture(scope="session")
def lecture_texts(built_site) -> dict[str, str]:
    return {p: re.sub(r"\s+", " ", _text(built_site / p / "index.html"))
            for p in site_pages(built_site) if LECTURE.match(p)}


def _search(browser, server, page_path: str, query: str) -> list[str]:
    """Type ``query`` into the header's search on ``page_path``; every result's path under the site."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto(server.url(page_path))
    page.click(".course-search__open")
    box = page.locator(".pagefind-ui__search-input")
    box.wait_for(state="visible", timeout=15_000)
    box.press_sequentially(query, delay=20)
    page.wait_for_selector(".pagefind-ui__message", timeout=15_000)
    page.wait_for_function(
        "() => !document.querySelector('.pagefind-ui__message').textContent.match(/^\\s*$/) &&"
        " !document.querySelector('.pagefind-ui__result--loading')", timeout=15_000)
    while page.locator("button.pagefind-ui__button").count():  # "load more results"
        page.click("button.pagefind-ui__button")
        page.wait_for_timeout(300)
    hrefs = page.eval_on_selector_all("a.pagefind-ui__result-link", "as => as.map(a => a.href)")
    context.close()
    assert not errors, f"errors while searching {query!r} on /{page_path}: {errors}"
    return [h.removeprefix(server.base).split("#")[0].split("?")[0] for h in hrefs]


@pytest.mark.parametrize("query", JA_QUERIES)
def test_japanese_query_finds_its_lectures(browser, server, lecture_texts, query):
    expected = sorted(p for p, text in lecture_texts.items() if not p.startswith("en/") and query in text)
    if not expected:
        pytest.skip(f"no Japanese lecture page contains {query!r} yet")
    found = _search(browser, server, "", query)
    assert found, f"{query!r} on the Japanese home page: no results (expected {expected})"
    other = [p for p in found if p.startswith("en/")]
    assert not other, f"{query!r} on a Japanese page returned English pages: {other}"
    missing = [p for p in expected if p not in found]
    assert not missing, f"{query!r}: lectures containing it not found: {missing} (results: {found})"


@pytest.mark.parametrize("query", EN_QUERIES)
def test_english_query_finds_its_lectures(browser, server, lecture_texts, query):
    expected = sorted(p for p, text in lecture_texts.items()
                      if p.startswith("en/") and re.search(re.escape(query), text, re.I))
    if not expected:
        pytest.skip(f"no English lecture page contains {query!r} yet")
    found = _search(browser, server, "en/", query)
    assert found, f"{query!r} on the English home page: no results (expected {expected})"
    other = [p for p in found if not p.startswith("en/")]
    assert not other, f"{query!r} on an English page returned Japanese pages: {other}"
    missing = [p for p in expected if p not in found]
    assert not missing, f"{query!r}: lectures containing it not found: {missing} (results: {found})"
