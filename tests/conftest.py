"""Shared fixtures: the repository's paths and one strict build of the whole site per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_mkdocs(site_dir: Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` in the quick profile; returns the finished process (output captured)."""
    full_env = {**os.environ, "AICOURSE_PROFILE": "quick", "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    return subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "-d", str(site_dir)],
        cwd=cwd, env=full_env, capture_output=True, text=True,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The whole site, both languages, built once in strict mode with the quick profile."""
    site = tmp_path_factory.mktemp("site")
    proc = run_mkdocs(site)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}")
    return site
