"""Everything app/, tasks/ and workflows/ import comes with a plain install (no test extra).

The check is the shared tool `../shared/tools/check-runtime-imports` (beside the clone in CI
and in every worktree). It reads the installed project's metadata; so that the answer is
about this checkout's pyproject.toml and not about whatever was installed last, the test
hands the tool metadata written from pyproject.toml, first on its path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT.parent / "shared" / "tools" / "check-runtime-imports"


def _metadata(folder: Path, dependencies: list[str], extras: dict[str, list[str]]) -> Path:
    """A dist-info for the project, as pip would write it from these requirements."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    info = folder / f"{project['name']}-{project['version']}.dist-info"
    info.mkdir()
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    lines += [f"Requires-Dist: {req}" for req in dependencies]
    for extra, reqs in extras.items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {req} ; extra == "{extra}"' for req in reqs]
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _check(folder: Path) -> subprocess.CompletedProcess:
    if not TOOL.is_file():
        pytest.fail(f"{TOOL} is missing: ../shared must be beside the checkout")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, str(TOOL)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_runtime_import_is_a_runtime_dependency(tmp_path):
    project = _project()
    result = _check(_metadata(tmp_path, project["dependencies"], project.get("optional-dependencies", {})))
    assert result.returncode == 0, f"imports the running app needs but a plain install lacks:\n{result.stdout}{result.stderr}"


def test_the_check_finds_a_dependency_that_is_only_a_test_extra(tmp_path):
    """requests (e-mail relays, webhooks) moved to the test extra would be reported."""
    project = _project()
    runtime = [r for r in project["dependencies"] if not r.startswith("requests")]
    extras = {**project.get("optional-dependencies", {})}
    extras["test"] = [*extras.get("test", []), "requests>=2.32"]
    result = _check(_metadata(tmp_path, runtime, extras))
    assert result.returncode == 1
    assert "requests (imported in app/services/channels.py)" in result.stdout
