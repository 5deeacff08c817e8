"""Build benchmark (not a test): prints the figures the README's targets are checked against.

    .venv/bin/python benchmarks/build.py [--skip-cold]

1. cold: a quick-profile build with empty caches (every experiment and notebook runs), with one
   job and with the default jobs (one per core), and their ratio;
2. warm: the same build again, every figure cached;
3. plain: the same pages with figures and notebook execution off (AICOURSE_FIGURES/NOTEBOOKS=off);
then warm / plain, the seconds of each experiment in the cold run, and the bytes of
every built page with the images it shows.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from workdir import build_folder  # benchmarks/workdir.py

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"


def build(site: Path, cache: Path, figures: bool = True, jobs: int | None = None) -> float:
    env = {**os.environ, "AICOURSE_PROFILE": "quick", "AICOURSE_CACHE": str(cache), "NO_MKDOCS_2_WARNING": "1",
           "AICOURSE_NOTEBOOK_CACHE": str(cache.parent / "notebooks")}
    if jobs is not None:
        env["AICOURSE_JOBS"] = str(jobs)
    if not figures:  # plain mkdocs: no experiment and no notebook execution
        env["AICOURSE_FIGURES"] = "off"
        env["AICOURSE_NOTEBOOKS"] = "off"
    started = time.perf_counter()
    proc = subprocess.run([str(MKDOCS), "build", "-d", str(site)], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"build failed:\n{proc.stderr[-3000:]}")
    return seconds


def page_weights(site: Path) -> list[tuple[int, int, str]]:
    rows = []
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        base = "/" + page.relative_to(site).as_posix()
        images = 0
        for src in set(re.findall(r'<img[^>]+src="([^"]+)"', html)):
            if src.startswith("data:") or urlsplit(src).netloc:
                continue
            target = site / unquote(urlsplit(urljoin(base, src)).path).lstrip("/")
            if target.is_file():
                images += target.stat().st_size
        rows.append((page.stat().st_size, images, page.relative_to(site).as_posix()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cold", action="store_true", help="reuse the project's cache instead of an empty one")
    parser.add_argument("--workdir", type=Path, help="build into this (empty or new) folder and keep it: its one/ "
                        "holds the 1-job run's figure and notebook caches, which can seed .cache/")
    args = parser.parse_args()
    with build_folder(args.workdir) as tmp:
        cache = ROOT / ".cache" / "figures" if args.skip_cold else tmp / "one" / "figures"
        cold = None if args.skip_cold else build(tmp / "site", cache, jobs=1)
        cold_par = None
        if not args.skip_cold:  # the same cold build with the default jobs, into a second empty cache
            cold_par = build(tmp / "site-par", tmp / "par" / "figures")
        # Twice each, the faster counts: mkdocs-jupyter keeps only the conversions the last build used,
        # so the first warm build after another kind of build converts the notebooks again.
        warm = min(build(tmp / "site", cache) for _ in range(2))
        plain = min(build(tmp / "plain", cache, figures=False) for _ in range(2))

        print("== build times (quick profile, this machine: %d cores)" % os.cpu_count())
        if cold is not None:
            print(f"cold build, 1 job:                  {cold:7.1f} s  (every experiment and notebook runs)")
            print(f"cold build, default jobs:           {cold_par:7.1f} s")
            print(f"parallel / sequential:              {cold_par / cold:7.2f}")
        print(f"warm build (every figure cached):   {warm:7.1f} s")
        print(f"plain mkdocs build (figures off):   {plain:7.1f} s")
        print(f"warm / plain:                       {warm / plain:7.2f}")

        print("\n== experiments (seconds of the run that made the cached figures)")
        for entry in sorted(cache.glob("*/quick-*/entry.json")):
            meta = json.loads(entry.read_text(encoding="utf-8"))
            print(f"{meta['experiment']:28} {meta['seconds']:7.1f} s")

        print("\n== pages (bytes of HTML + bytes of the images it shows)")
        for html, images, name in sorted(page_weights(tmp / "site"), key=lambda r: -(r[0] + r[1])):
            print(f"{html + images:10,d}  (html {html:9,d}, images {images:9,d})  {name}")
        animations = sorted(p for p in (tmp / "site" / "figures").rglob("*.gif"))
        if animations:
            print("\n== animations")
            for gif in animations:
                print(f"{gif.stat().st_size:10,d}  {gif.relative_to(tmp / 'site')}")


if __name__ == "__main__":
    main()
