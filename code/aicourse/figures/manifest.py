"""``figures.json``: every published figure, where it came from and what it hashes to."""

from __future__ import annotations

from aicourse.figures.build import BuildResult


def manifest(result: BuildResult, url_of) -> dict:
    """``url_of(entry, rel)`` gives the site path a figure file is published at."""
    figures = []
    for entry in result.entries:
        for rel, digest in sorted(entry.files.items()):
            lang, _, filename = rel.partition("/")
            figures.append(
                {
                    "name": filename.rsplit(".", 1)[0],
                    "file": url_of(entry, rel),
                    "language": lang,
                    "experiment": entry.spec.name,
                    "source": entry.spec.source,
                    "profile": entry.profile,
                    "sha256": digest,
                }
            )
    return {"profile": result.profile, "figures": figures}
