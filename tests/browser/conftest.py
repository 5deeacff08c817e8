"""Browser fixtures: one headless Chromium per session, the built site served locally.

No Chromium, or no Playwright: the browser tests skip with a message on a laptop, and fail
where ``CI=true`` (CI must never pass by skipping them). Install Chromium with ``make browser``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from site_server import SiteServer

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    if os.environ.get("CHROME_PATH") and Path(os.environ["CHROME_PATH"]).exists():
        return os.environ["CHROME_PATH"]
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return next((shutil.which(c) for c in CANDIDATES if shutil.which(c)), None)


def _unavailable(why: str):
    msg = f"browser tests need {why}; run `make browser` (Debian: apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {msg}", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("Chromium (none at $CHROME_PATH, /usr/bin/chromium or on PATH)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(built_site):
    with SiteServer(built_site) as srv:
        yield srv


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
