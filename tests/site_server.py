"""Serve a built site on 127.0.0.1 (a random free port, a thread) under the sub-path of ``site_url``.

Shared by the browser tests, the link check and ``benchmarks/lighthouse.py``. Serving under the
same sub-path as GitHub Pages (``/ai2-course/``) makes a link that escapes the site's root fail
here as it would there.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import re
import socketserver
import threading
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def mkdocs_setting(name: str) -> str:
    """A top-level scalar of mkdocs.yml (read by pattern: the file holds python tags safe_load refuses)."""
    m = re.search(rf"^\s*{re.escape(name)}:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.M)
    if not m:
        raise LookupError(f"mkdocs.yml has no {name}")
    return m[1]


def site_prefix() -> str:
    """The path the site lives under, from ``site_url`` (``/ai2-course/``), always ending in /."""
    path = urlsplit(mkdocs_setting("site_url")).path or "/"
    return path if path.endswith("/") else path + "/"


COMPRESSIBLE = {".html", ".css", ".js", ".svg", ".json", ".xml", ".txt"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"
    compress = False  # gzip text as GitHub Pages does (for the Lighthouse benchmark)

    def do_GET(self):
        if self.compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if path.is_file() and path.suffix in COMPRESSIBLE and self.path.split("?")[0].endswith(("/", path.name)):
                body = gzip.compress(path.read_bytes(), mtime=0)
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        super().do_GET()

    def log_message(self, *args):  # quiet
        pass

    def end_headers(self):
        # linkchecker throttles a host to 10 requests/s unless the server answers with this header.
        self.send_header("LinkChecker", "allow")
        super().end_headers()

    def translate_path(self, path):
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(self.prefix) and clean + "/" != self.prefix:
            return str(Path(self.directory) / ".outside-the-site" / "missing")  # 404
        return super().translate_path("/" + clean[len(self.prefix):])


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):  # a client that hangs up early is no error here
        pass


class SiteServer:
    """``with SiteServer(site) as srv: srv.url("lectures/x/")``"""

    def __init__(self, site_dir: Path, prefix: str | None = None, compress: bool = False):
        self.site_dir = Path(site_dir)
        self.prefix = prefix or site_prefix()
        handler = type("Handler", (_Handler,), {"prefix": self.prefix, "compress": compress})
        self._httpd = _Server(("127.0.0.1", 0), functools.partial(handler, directory=str(self.site_dir)))
        self.host = f"127.0.0.1:{self._httpd.server_port}"
        self.base = f"http://{self.host}{self.prefix}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


def site_pages(site_dir: Path) -> list[str]:
    """Every HTML page of the built site as a path relative to its root (``lectures/x/``), 404 excluded."""
    site = Path(site_dir)
    pages = []
    for html in sorted(site.rglob("*.html")):
        rel = html.relative_to(site).as_posix()
        if rel == "404.html" or rel.startswith(("pagefind/", "assets/")):
            continue
        pages.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return pages
