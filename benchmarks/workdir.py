"""The benchmarks' build folder: a temporary one, or one the caller names and keeps (``--workdir``)."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path


@contextlib.contextmanager
def build_folder(keep: Path | None):
    """Yields an empty folder: ``keep`` (created, and refused unless empty, since cold builds need
    empty caches) or a temporary one, removed afterwards."""
    if keep is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield Path(tmp)
        return
    keep.mkdir(parents=True, exist_ok=True)
    if any(keep.iterdir()):
        sys.exit(f"{keep}: not empty (a cold build needs empty caches)")
    yield keep
