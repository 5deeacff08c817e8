"""Links to other sites open without handing them this page: ``rel="noopener"`` on every one.

Applied to each page's HTML after Markdown (and notebook) rendering, so a page's author writes
plain Markdown links. Kept free of mkdocs: a function of the HTML and the site's own host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

A_TAG = re.compile(r"<a\b[^>]*>", re.I)
HREF = re.compile(r"""\shref\s*=\s*(["'])(.*?)\1""", re.I | re.S)
REL = re.compile(r"""\srel\s*=\s*(["'])(.*?)\1""", re.I | re.S)


def is_external(href: str, site_host: str = "") -> bool:
    """An absolute http(s) link to a host other than the site's own."""
    parts = urlsplit(href.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.netloc.lower() != site_host.lower()


def add_noopener(html: str, site_url: str = "") -> str:
    """Every ``<a href="http(s)://other-host/…">`` in ``html`` gets ``noopener`` in its ``rel``."""
    site_host = urlsplit(site_url or "").netloc

    def fix(m: re.Match) -> str:
        tag = m.group(0)
        href = HREF.search(tag)
        if href is None or not is_external(href.group(2), site_host):
            return tag
        rel = REL.search(tag)
        if rel is None:
            end = -2 if tag.endswith("/>") else -1
            return f'{tag[:end]} rel="noopener"{tag[end:]}'
        values = rel.group(2).split()
        if "noopener" in (v.lower() for v in values):
            return tag
        quote = rel.group(1)
        new = f" rel={quote}{' '.join(values + ['noopener'])}{quote}"
        return tag[: rel.start()] + new + tag[rel.end():]

    return A_TAG.sub(fix, html)
