"""Notebook pages share one stylesheet instead of carrying ~600 KB of inline CSS each.

mkdocs-jupyter writes nbconvert's and JupyterLab's styles as ``<style>`` blocks into every
notebook page, the same bytes on every page. Each large block moves to a file named by its
content's hash under ``assets/stylesheets/``, which a browser fetches once and then reuses; the
page keeps a ``<link>`` in its place, so the cascade order is unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

STYLE = re.compile(r"<style(?:\s+type=\"text/css\")?>(?P<css>.*?)</style>", re.S)
SHARED_MIN_BYTES = 4096  # small page-specific blocks stay inline
FOLDER = "assets/stylesheets"


def share_styles(html: str, site_dir: str | Path, to_root: str) -> str:
    """Move each large ``<style>`` block of ``html`` to ``site_dir/assets/stylesheets/notebook-<hash>.css``.

    ``to_root`` is the relative URL from the page to the site's root (``"../../"``).
    """
    folder = Path(site_dir) / FOLDER

    def move(m: re.Match) -> str:
        css = m.group("css")
        if len(css.encode("utf-8")) < SHARED_MIN_BYTES:
            return m.group(0)
        name = f"notebook-{hashlib.sha256(css.encode('utf-8')).hexdigest()[:12]}.css"
        path = folder / name
        if not path.exists():  # same content, same name: the other notebook pages wrote it already
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(css, encoding="utf-8")
            tmp.replace(path)
        return f'<link rel="stylesheet" href="{to_root}{FOLDER}/{name}">'

    return STYLE.sub(move, html)
