"""The site's search index: Pagefind, run over the built HTML once both languages are written.

Material's built-in search (lunr + TinySegmenter) misses Japanese compounds as typed
(拡散モデル, 損失関数, ノイズを除去); Pagefind's extended build segments Japanese and finds them.
The pages mark what is indexed with ``data-pagefind-body`` (``docs/overrides/main.html``), and
each page's ``<html lang>`` puts it in its language's index, so a Japanese page searches Japanese
pages only. Kept free of mkdocs: ``python -m aicourse.site.search_index SITE_DIR`` works too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BUNDLE = "pagefind"  # the folder under the site that holds the index and the search UI


class SearchIndexError(RuntimeError):
    pass


def build_index(site_dir: str | Path) -> Path:
    """Index ``site_dir`` with Pagefind (extended, for Japanese); returns the bundle's folder."""
    site = Path(site_dir)
    try:
        import pagefind_bin_extended  # noqa: F401  (the binary with Japanese segmentation)
    except ImportError:
        raise SearchIndexError(
            "Pagefind's extended build is missing: install `pagefind[extended]` (make setup does)") from None
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-subdir", BUNDLE, "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not (site / BUNDLE / "pagefind-ui.js").exists():
        raise SearchIndexError(f"pagefind failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return site / BUNDLE


if __name__ == "__main__":
    print(build_index(sys.argv[1] if len(sys.argv) > 1 else "site"))
