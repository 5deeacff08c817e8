"""The full-profile site, built cold as the deploy builds it (issue 15): one command for a GPU machine.

    .venv/bin/python benchmarks/full_site.py [--workdir DIR] [--profile quick]

Runs ``mkdocs build --strict`` (what ``make site`` runs) with ``AICOURSE_PROFILE=full`` into empty
figure and notebook caches (a temporary folder, or ``--workdir``, kept: its ``figures/`` and
``notebooks/`` can seed ``.cache/``), then prints the device, the jobs, the wall time of the whole
build (target on one H200: ≤ 5 minutes, cold), and the seconds of each experiment and each notebook
as their cache entries recorded them. Experiments run side by side (``AICOURSE_JOBS``, default four
sharing a GPU), so their seconds add up to more than the wall time. ``--profile quick`` runs the
same cold build in the quick profile (minutes on a CPU), to try the script.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from workdir import build_folder  # benchmarks/workdir.py

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 300


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", type=Path, help="build here and keep it (must be empty or new)")
    ap.add_argument("--profile", choices=("full", "quick"), default="full")
    args = ap.parse_args()
    import torch

    from aicourse.figures.build import default_jobs

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    with build_folder(args.workdir) as tmp:
        env = {**os.environ, "AICOURSE_PROFILE": args.profile, "AICOURSE_CACHE": str(tmp / "figures"),
               "AICOURSE_NOTEBOOK_CACHE": str(tmp / "notebooks"), "NO_MKDOCS_2_WARNING": "1"}
        jobs = os.environ.get("AICOURSE_JOBS") or default_jobs(args.profile)
        print(f"{args.profile}-profile site build, cold: {device}, {jobs} jobs", flush=True)
        started = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "-d", str(tmp / "site")],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - started
        (tmp / "build.log").write_text(proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            sys.exit(f"the build failed after {wall:.0f} s (log: {tmp / 'build.log'})")
        print(f"\nwhole site (figures, notebooks, mkdocs, search): {wall:7.1f} s "
              f"(target ≤ {TARGET_S} s: {'met' if wall <= TARGET_S else 'NOT met'})")
        # Both caches seal each entry in <name>/<profile>-<key>/entry.json with its seconds.
        for title, cache in (("experiments (seconds each, run side by side)", "figures"), ("notebooks (seconds each)", "notebooks")):
            print(f"\n== {title}")
            for seal in sorted((tmp / cache).glob(f"*/{args.profile}-*/entry.json")):
                print(f"  {seal.parent.parent.name:28} {json.loads(seal.read_text(encoding='utf-8')).get('seconds', 0):8.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
