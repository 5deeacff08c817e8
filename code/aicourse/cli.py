"""``python -m aicourse figures list|build|clean [--profile quick|full] [--only NAME] [--jobs N]``
and ``python -m aicourse fork`` (after forking: notebooks install from ``repo_url``)."""

from __future__ import annotations

import argparse
import shutil

from aicourse.figures import cache
from aicourse.figures.profile import PROFILES, current_profile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aicourse", description=__doc__)
    sub = parser.add_subparsers(dest="group", required=True)
    figures = sub.add_parser("figures", help="the figure pipeline")
    verbs = figures.add_subparsers(dest="verb", required=True)
    for verb, text in (("list", "list experiments, their figures and cache state"),
                       ("build", "run what the cache lacks"),
                       ("clean", "delete cached runs")):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("--profile", choices=PROFILES, help="default: $AICOURSE_PROFILE, else full on a GPU, quick otherwise")
        p.add_argument("--only", action="append", metavar="NAME", help="restrict to this experiment (repeatable)")
        if verb == "build":
            p.add_argument("--force", action="store_true", help="re-run even when cached")
            p.add_argument("--jobs", "-j", type=int, metavar="N",
                           help="experiments at once, each in its own process (default: $AICOURSE_JOBS, "
                                "else one per CPU core, or 4 sharing a GPU)")
    sub.add_parser("fork", help="point the notebooks' install cell at repo_url in mkdocs.yml (after forking)")
    args = parser.parse_args(argv)
    if args.group == "fork":
        from pathlib import Path

        from aicourse.fork import point_notebooks_at, repo_url

        root = Path.cwd()
        url = repo_url(root)
        changed = point_notebooks_at(url, sorted((root / "lectures").glob("*.ipynb")))
        print(f"notebooks install from git+{url}: {len(changed)} rewritten")
        return 0
    profile = current_profile(args.profile)

    if args.verb == "list":
        from aicourse.figures.spec import discover

        specs, errors = discover()
        for spec in specs:
            if args.only and spec.name not in args.only:
                continue
            key = cache.cache_key(spec, profile)
            try:
                state = "cached" if cache.load(spec, profile, key) else "not built"
            except cache.CorruptEntry:
                state = "damaged (will be rebuilt)"
            print(f"{spec.name:28} {state:10} {spec.source}\n{'':28} figures: {', '.join(spec.figures)}")
        for err in errors:
            print(f"BROKEN {err}")
        return 1 if errors else 0

    if args.verb == "build":
        from aicourse.figures.build import build

        if args.jobs is not None and args.jobs < 1:
            parser.error("--jobs needs 1 or more")
        result = build(profile, only=args.only, force=args.force, jobs=args.jobs)
        for err in result.errors:
            print(f"FAILED {err}")
        return 1 if result.errors else 0

    root = cache.cache_root()
    targets = [root / name for name in args.only] if args.only else [root]
    for target in targets:
        if target.exists():
            shutil.rmtree(target)
            print(f"removed {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
