"""Interactive figures (issue 16): bytes each page loads for them, and the time of one update.

Not a test (times move with the machine's load). Usage:

    .venv/bin/python benchmarks/interactive.py [--site DIR] [--updates N] [--json OUT]

Without ``--site`` it builds the site (quick profile, notebooks not executed) into a temporary
folder. For each page with an interactive figure, in both languages, in headless Chromium
(``CHROME_PATH``, default /usr/bin/chromium):

* bytes: every script and weight file the figure loads (watched in the page once the figure is
  ready), raw, gzipped (level 9) and as served: GitHub Pages compresses by content type, so the
  scripts count gzipped and the ``.safetensors`` (application/octet-stream) raw; target ≤ 150 kB
  (150,000 bytes) served per page. int8 weights shrink little under gzip anyway.
* update time, with the CPU slowed 4× (CDP ``Emulation.setCPUThrottlingRate``): the figure's own
  record of each update after a pointer move (``window.aicourseInteractive.timings``: the handler,
  model and canvas drawing, synchronously), median, 95th percentile and maximum; target ≤ 16 ms.
  Beside it, from the Event Timing API, the median time from a pointerdown (which updates the
  figure) to the next paint, and from a pointerup (which does next to nothing) as a baseline:
  their difference is the figure's share; the rest is the browser producing a frame of the whole
  page (slow in headless Chromium without a GPU). The API reports only events of 16 ms or more,
  in steps of 8 ms; "n/N" says how many of the N were reported.

To add a figure: its page in ``PAGES`` and a function in ``DRIVERS`` that moves its pointer.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from site_server import SiteServer  # noqa: E402

PAGES = {"lectures/13-vae/": "vae-latent", "lectures/06-adapting-models/": "quant-bits", "lectures/12-score-sde/": "sde-sampler", "lectures/10-clip/": "clip-zero-shot"}
LANGS = ("", "en/")
BYTES_TARGET, UPDATE_TARGET_MS, THROTTLE = 150_000, 16.0, 4
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def drag_vae_latent(page, updates: int) -> tuple[str, int]:
    """Drags across the latent map, ``updates`` pointer moves in all; returns the timing label and the drags."""
    box = page.locator(".vae-latent__map").bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    done = 0
    while done < updates:
        page.mouse.move(*at(0.15, 0.2 + 0.6 * (done % 7) / 7))
        page.mouse.down()
        page.mouse.move(*at(0.85, 0.8 - 0.6 * (done % 5) / 5), steps=20)
        page.mouse.up()
        done += 20
    return "vae-latent:pointer", done // 20


def step_quant_bits(page, updates: int) -> tuple[str, int]:
    """Steps the bit slider with the arrow keys, ``updates`` key presses; returns the timing label and the presses."""
    page.locator(".quant-bits__slider").focus()
    for i in range(updates):
        page.keyboard.press("ArrowLeft" if (i // 6) % 2 == 0 else "ArrowRight")
    return "quant-bits:slider", updates



def step_sde_time(page, updates: int) -> tuple[str, int]:
    """Steps the score sampler's time slider with the arrow keys; returns the timing label and the presses."""
    page.locator(".sde-sampler__time").focus()
    for i in range(updates):
        page.keyboard.press("ArrowRight" if (i // 20) % 2 == 0 else "ArrowLeft")
    return "sde-sampler:slider", updates


def toggle_clip_cells(page, updates: int) -> tuple[str, int]:
    """Toggles cells of the CLIP drawing grid with Space, moving right after each; returns the label and presses."""
    page.locator('.clip-zero-shot__grid [role="gridcell"]').first.focus()
    for i in range(updates):
        page.keyboard.press("Space")
        page.keyboard.press("ArrowRight" if (i // 7) % 2 == 0 else "ArrowLeft")
    return "clip-zero-shot:draw", updates


DRIVERS = {"vae-latent": drag_vae_latent, "quant-bits": step_quant_bits, "sde-sampler": step_sde_time,
           "clip-zero-shot": toggle_clip_cells}

EVENT_TIMING = """() => { window.__eventDurations = {pointerdown: [], pointerup: []};
  new PerformanceObserver(list => { for (const e of list.getEntries())
    if (e.name in window.__eventDurations) window.__eventDurations[e.name].push(e.duration); })
  .observe({type: 'event', durationThreshold: 16, buffered: true}); }"""


def measure(browser, srv, site: Path, path: str, name: str, updates: int) -> dict:
    context = browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    loaded: list[str] = []
    page.on("response", lambda r: urlsplit(r.url).netloc == srv.host and r.ok and loaded.append(urlsplit(r.url).path))
    cdp = context.new_cdp_session(page)
    page.goto(srv.url(path), wait_until="load")
    page.evaluate(EVENT_TIMING)
    fig = page.locator(f'.interactive-figure[data-interactive="{name}"]')
    fig.scroll_into_view_if_needed()
    page.wait_for_selector(f'.interactive-figure[data-interactive="{name}"].is-ready', timeout=30_000)
    page.wait_for_load_state("networkidle")
    files = sorted({p for p in loaded if "/interactive/" in p})
    sizes = {}
    for url_path in files:
        data = (site / url_path.removeprefix(srv.prefix)).read_bytes()
        sizes[url_path.rsplit("/", 1)[-1]] = (len(data), len(gzip.compress(data, 9, mtime=0)))

    cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    page.evaluate("label => { (window.aicourseInteractive.timings[label] ||= []).length = 0; }", f"{name}:pointer")
    label, downs = DRIVERS[name](page, updates)
    times = page.evaluate("label => window.aicourseInteractive.timings[label] || []", label)
    events = page.evaluate("() => window.__eventDurations")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    context.close()
    if not times:
        raise SystemExit(f"/{path}: the figure recorded no '{label}' update")
    times.sort()
    return {
        "files": sizes,
        "raw": sum(r for r, _ in sizes.values()),
        "gzip": sum(g for _, g in sizes.values()),
        "served": sum(r if f.endswith(".safetensors") else g for f, (r, g) in sizes.items()),
        "updates": len(times),
        "median_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "max_ms": times[-1],
        "pointer_presses": downs,
        "to_paint_ms": {kind: sorted(v) for kind, v in events.items()},  # only those ≥ 16 ms (the API)
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, help="a built site (default: build one, quick profile)")
    ap.add_argument("--updates", type=int, default=200, help="pointer moves per page (default 200)")
    ap.add_argument("--json", type=Path, help="write the results here as JSON")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            site = Path(tmp) / "site"
            env = {**os.environ, "AICOURSE_PROFILE": "quick", "AICOURSE_NOTEBOOKS": "off", "NO_MKDOCS_2_WARNING": "1"}
            subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-q", "-d", str(site)],
                           cwd=ROOT, env=env, check=True)
        results, ok = {}, True
        with SiteServer(site, compress=True) as srv, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
                                        args=CHROMIUM_ARGS)
            print(f"{'page':28} {'figure':14} {'raw kB':>7} {'gzip kB':>8} {'served':>7} {'updates':>8} "
                  f"{'median ms':>10} {'p95 ms':>7} {'max ms':>7} {'down→paint':>13} {'up→paint':>13}   (CPU {THROTTLE}× slower)")
            for page_path, name in PAGES.items():
                for prefix in LANGS:
                    r = measure(browser, srv, Path(site), prefix + page_path, name, args.updates)
                    results[f"/{prefix}{page_path}"] = r
                    paint = [f"{statistics.median(v):.0f} ms {len(v)}/{r['pointer_presses']}" if v else "< 16 ms"
                             for v in (r["to_paint_ms"]["pointerdown"], r["to_paint_ms"]["pointerup"])]
                    print(f"/{prefix + page_path:27} {name:14} {r['raw'] / 1000:7.1f} {r['gzip'] / 1000:8.1f} {r['served'] / 1000:7.1f} "
                          f"{r['updates']:8} {r['median_ms']:10.2f} {r['p95_ms']:7.2f} {r['max_ms']:7.2f} {paint[0]:>13} {paint[1]:>13}")
                    ok &= r["served"] <= BYTES_TARGET and r["p95_ms"] <= UPDATE_TARGET_MS
            browser.close()
        for page_path, r in results.items():
            files = ", ".join(f"{f} {raw / 1000:.1f}/{gz / 1000:.1f}" for f, (raw, gz) in r["files"].items())
            print(f"  {page_path}: {files}  (raw/gzip kB)")
        print(f"targets: ≤ {BYTES_TARGET / 1000:.0f} kB served per page, one update ≤ {UPDATE_TARGET_MS:.0f} ms "
              f"(95th percentile) at {THROTTLE}× CPU throttling: {'met' if ok else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
