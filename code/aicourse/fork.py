"""Point a fork at itself: the notebooks' install cell follows ``repo_url`` in ``mkdocs.yml``.

``repo_url`` is the one source of the repository's address: the Colab badges, the source links
and the notebooks' ``pip install git+…`` line all come from it. The first two are built with the
site; this rewrites the third in the committed notebooks (``python -m aicourse fork``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

INSTALL = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+?(?=[\"'\s]|\.git)")


def repo_url(root: Path) -> str:
    for line in (root / "mkdocs.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("repo_url:"):
            return line.split(":", 1)[1].strip().rstrip("/")
    raise SystemExit(f"{root / 'mkdocs.yml'}: no repo_url line")


def point_notebooks_at(url: str, notebooks: list[Path]) -> list[Path]:
    """Rewrite each notebook's install line to ``git+URL``; returns the notebooks that changed."""
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise SystemExit(f"repo_url {url!r} is not a GitHub repository (https://github.com/OWNER/NAME)")
    changed = []
    for path in notebooks:
        text = path.read_text(encoding="utf-8")
        nb = json.loads(text)
        first = next((c for c in nb["cells"] if c["cell_type"] == "code"), None)
        if first is None or not INSTALL.search("".join(first["source"])):
            raise SystemExit(f"{path}: its first code cell has no 'pip install git+https://github.com/…' line")
        first["source"] = [INSTALL.sub(f"git+{url}", line) for line in first["source"]]
        new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed
