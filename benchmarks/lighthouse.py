"""Lighthouse on the built site: performance, accessibility, best practices, bytes transferred.

Not a test (scores move with the machine's load). Usage:

    (cd benchmarks/lighthouse && npm ci)        # Lighthouse, pinned in package.json
    .venv/bin/python benchmarks/lighthouse.py [--site DIR] [--json OUT] [--interactive | --pages P ...]

Without ``--site`` it builds the site (quick profile) into a temporary folder. It serves the site on
127.0.0.1 under ``site_url``'s sub-path and audits the home page and up to three lecture pages in
each language (``--interactive``: the four pages with interactive figures, in both languages;
``--pages``: the given paths), with Debian's Chromium (``CHROME_PATH``, default /usr/bin/chromium).

Lighthouse's scores vary from run to run (its own docs advise several runs); each page is audited
``--runs`` times (default 3) and the run with the median performance score is reported, with the
lowest and highest performance score beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from site_server import SiteServer, site_pages  # noqa: E402

LIGHTHOUSE = ROOT / "benchmarks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"


def pick_pages(site: Path, lectures: int = 3) -> list[str]:
    pages = site_pages(site)
    out = []
    for prefix in ("", "en/"):
        out.append(prefix)
        out += [p for p in pages if p.startswith(f"{prefix}lectures/")][:lectures]
    return out


def audit(url: str, out: Path, form_factor: str) -> dict:
    cmd = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
           f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if form_factor == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True, timeout=300)
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {c: round(100 * (report["categories"][c]["score"] or 0)) for c in CATEGORIES}
    audits = report["audits"]
    failing = sorted(
        (a["id"] for a in audits.values()
         if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")),
    )
    return {
        **scores,
        "bytes": int(audits["total-byte-weight"]["numericValue"]),
        "lcp_ms": int(audits["largest-contentful-paint"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "failing": failing,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, help="a built site (default: build one, quick profile)")
    ap.add_argument("--form-factor", choices=("mobile", "desktop"), default="mobile")
    ap.add_argument("--runs", type=int, default=3, help="audits per page; the median is reported (default 3)")
    ap.add_argument("--json", type=Path, help="write the results here as JSON")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--pages", nargs="+", help="site paths to audit, e.g. lectures/13-vae/ en/lectures/13-vae/")
    which.add_argument("--interactive", action="store_true", help="the pages with interactive figures, both languages")
    args = ap.parse_args()
    if args.interactive:
        from interactive import PAGES  # benchmarks/interactive.py: page -> figure
        args.pages = [prefix + page for prefix in ("", "en/") for page in PAGES]
    if not LIGHTHOUSE.exists():
        print("Lighthouse is not installed: (cd benchmarks/lighthouse && npm ci)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            env = {**os.environ, "AICOURSE_PROFILE": "quick", "NO_MKDOCS_2_WARNING": "1"}
            subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q", "-d", str(site)],
                           cwd=ROOT, env=env, check=True)
        results = {}
        with SiteServer(site, compress=True) as srv:  # gzip, as GitHub Pages serves it
            print(f"{'page':44} {'perf':>5} {'range':>7} {'a11y':>5} {'best':>5} {'KB':>7} {'LCP ms':>7} {'CLS':>6}  failing audits")
            for i, page in enumerate(args.pages or pick_pages(site)):
                runs = sorted((audit(srv.url(page), Path(tmp) / f"lh{i}-{k}.json", args.form_factor)
                               for k in range(args.runs)), key=lambda r: r["performance"])
                r = {**runs[len(runs) // 2], "performance_runs": [x["performance"] for x in runs]}
                results[page or "/"] = r
                spread = f"{runs[0]['performance']}-{runs[-1]['performance']}"
                print(f"/{page:43} {r['performance']:5} {spread:>7} {r['accessibility']:5} {r['best-practices']:5} "
                      f"{r['bytes'] / 1024:7.0f} {r['lcp_ms']:7} {r['cls']:6.3f}  {' '.join(r['failing'])}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
