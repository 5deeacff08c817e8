"""Links of the built site, and what a public site must not publish.

- Internal links and their anchors resolve: LinkChecker (a maintained checker, not a crawler of
  ours) walks the site served on 127.0.0.1 under the same sub-path as ``site_url``, so a link that
  escapes the site's root fails as it would on GitHub Pages.
- No page, notebook or source page publishes a meeting link, meeting ID, passcode, e-mail address
  or Drive folder link.
- Every link to another host carries ``rel="noopener"`` (added centrally by
  ``aicourse.site.external_links``).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_server import ROOT, SiteServer, mkdocs_setting

LINKCHECKER_RC = """\
[checking]
# the local server answers with a "LinkChecker" header, which lifts the default 10 requests/s
maxrequestspersecond=1000
threads=8
[filtering]
# the whole local host is internal: a link that leaves the site's sub-path is checked (and 404s)
internlinks=^http://{host}/
ignore=
# katex.min.css lists .woff/.ttf fallbacks after the .woff2 fonts the site serves; browsers take woff2
  /assets/katex/fonts/.*\\.(woff|ttf)$
# the glossary tips link each term's row (hundreds of anchors on one large page); that every
# such anchor exists is checked by tests/test_glossary_marks.py, without a crawl
  /glossary/#g-[\\w-]+$
[AnchorCheck]
"""


def _linkchecker() -> str:
    exe = Path(sys.executable).parent / "linkchecker"
    found = str(exe) if exe.exists() else shutil.which("linkchecker")
    if not found:
        pytest.fail("linkchecker is not installed: pip install -c requirements/lock.txt -e '.[dev]'")
    return found


def test_internal_links_and_anchors_resolve(built_site, tmp_path):
    with SiteServer(built_site) as srv:
        rc = tmp_path / "linkcheckerrc"
        rc.write_text(LINKCHECKER_RC.format(host=re.escape(srv.host)), encoding="utf-8")
        proc = subprocess.run([_linkchecker(), "-f", str(rc), "--no-status", "-o", "csv", srv.url()],
                              capture_output=True, text=True, timeout=1200)
    body = "\n".join(line for line in proc.stdout.splitlines() if not line.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    assert proc.returncode in (0, 1) and (rows or proc.returncode == 0), \
        f"linkchecker did not run ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    bad = [r for r in rows if r["valid"] != "True" or "Anchor" in (r["warningstring"] or "")]
    assert not bad, "broken links:\n" + "\n".join(
        f"  {r['parentname'].removeprefix(srv.base)} -> {r['urlname']}: {r['result']} {r['warningstring']}".rstrip()
        for r in bad)


# --- What a public course site must not publish --------------------------------------------------

PRIVATE = {
    "meeting link": re.compile(r"meet\.google\.com/|zoom\.us/(?:j|my|s|w)/|teams\.microsoft\.com/l/meetup-join|webex\.com/meet", re.I),
    "meeting ID": re.compile(r"(?:meeting\s*id|ミーティング\s*ID|会議\s*ID)\s*[:：]?\s*\d", re.I),
    "passcode": re.compile(r"(?:passcode|password|パスコード|パスワード)\s*[:：=]\s*\S", re.I),
    "e-mail address": re.compile(
        r"(?<![\w.+-])[\w.+-]+@(?!github\.com\b)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|jp|io|ai|dev|me|info|co|uk|de)\b", re.I),
    "Drive folder link": re.compile(r"drive\.google\.com/(?:drive/(?:u/\d+/)?folders|open\?id=|folderview)", re.I),
}


def _published_files(site: Path) -> list[Path]:
    files = [p for p in site.rglob("*") if p.suffix in {".html", ".ipynb", ".json", ".xml"}
             and "pagefind" not in p.relative_to(site).parts]
    files += sorted((ROOT / "lectures").glob("*.ipynb"))
    files += [p for p in (ROOT / "docs").rglob("*") if p.suffix in {".md", ".yml", ".yaml", ".html"}]
    return files


def find_private(text: str) -> list[tuple[str, str]]:
    return [(what, m.group(0)) for what, rx in PRIVATE.items() for m in rx.finditer(text)]


def test_no_meeting_details_or_addresses_published(built_site):
    problems = []
    for path in _published_files(built_site):
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(built_site) if path.is_relative_to(built_site) else path.relative_to(ROOT)
        problems += [f"  {where}: {what}: {hit[:80]!r}" for what, hit in find_private(text)]
    assert not problems, "private details in published files:\n" + "\n".join(sorted(set(problems)))


def test_private_patterns_catch_what_they_should():
    caught = {what for what, _ in find_private(
        # assembled from pieces, so that this file itself carries no such link or label
        "https://meet." + "google.com/abc-defg-hij zoom.us/j/123 " + "Meeting" + " ID: 123 456 7890 パスコード：abc "
        "teacher@example.ac.jp https://drive." + "google.com/drive/folders/1AbC")}
    assert caught == set(PRIVATE)
    assert not find_private("pip install git+https://github.com/o/r  x = a@b.T  @torch.no_grad()  git@github.com:o/r")


# --- Links to other hosts ------------------------------------------------------------------------

A_TAG = re.compile(r"<a\b[^>]*>", re.I)
ATTR = re.compile(r"""\s(href|rel)\s*=\s*(["'])(.*?)\2""", re.I | re.S)


def test_external_links_have_noopener(built_site):
    site_host = urlsplit(mkdocs_setting("site_url")).netloc
    problems = []
    for page in sorted(built_site.rglob("*.html")):
        for tag in A_TAG.findall(page.read_text(encoding="utf-8")):
            attrs = {k.lower(): v for k, _, v in ATTR.findall(tag)}
            href = attrs.get("href", "")
            parts = urlsplit(href)
            if parts.scheme in ("http", "https") and parts.netloc and parts.netloc != site_host:
                if "noopener" not in attrs.get("rel", "").lower().split():
                    problems.append(f"  {page.relative_to(built_site)}: {href}")
    assert not problems, 'links to other hosts without rel="noopener":\n' + "\n".join(sorted(set(problems)))


def test_add_noopener():
    from aicourse.site.external_links import add_noopener

    html = ('<a href="https://x.org/a">x</a><a href="../y/">y</a><a rel="nofollow" href="http://z.com">z</a>'
            '<a href="https://s.io/site/p">own</a><a href="https://a.b" rel="noopener">ok</a>')
    assert add_noopener(html, "https://s.io/site/") == (
        '<a href="https://x.org/a" rel="noopener">x</a><a href="../y/">y</a>'
        '<a rel="nofollow noopener" href="http://z.com">z</a><a href="https://s.io/site/p">own</a>'
        '<a href="https://a.b" rel="noopener">ok</a>')
