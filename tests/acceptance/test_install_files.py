"""What the image and the run command install, read from their files (no Docker engine here).

The Dockerfile must install exactly the runtime dependencies: the project itself without
extras (so pyproject's `dependencies`, nothing from the test extra), and the same system
packages scripts/run installs; every module the app imports must be a runtime dependency.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile_runs() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.strip().upper().startswith("RUN ")]


def _pip_installs() -> list[list[str]]:
    installs = []
    for run in _dockerfile_runs():
        for command in re.split(r"&&|;", run):
            words = shlex.split(command)
            if "pip" in " ".join(words[:3]) and "install" in words:
                installs.append(words[words.index("install") + 1:])
    return installs


def _requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower().replace("_", "-")


def test_the_image_installs_the_project_without_extras_and_nothing_else():
    installs = _pip_installs()
    assert len(installs) == 1, installs
    targets = [w for w in installs[0] if not w.startswith("-")]
    assert targets == ["."], f"the image must install the project alone, without extras: {installs[0]}"
    assert not any("[" in w for w in installs[0])
    assert not any(w in ("-r", "--requirement") or w.startswith("--requirement") for w in installs[0])


def test_the_image_has_the_system_packages_scripts_run_installs():
    common = (ROOT / "scripts/common.sh").read_text()
    runtime = re.search(r"RUNTIME_PACKAGES=\(([^)]*)\)", common).group(1).split()
    apt = " ".join(r for r in _dockerfile_runs() if "apt-get install" in r)
    installed = set(apt.split())
    assert set(runtime) <= installed, set(runtime) - installed


def test_every_third_party_module_the_app_imports_is_a_runtime_dependency():
    """What app/, tasks/ and workflows/ import comes with `pip install .` (not a test extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_requirement_name(d) for d in project["dependencies"]}
    # Import names that differ from their distribution's name.
    distribution = {
        "flask_appbuilder": "flask-appbuilder", "flask_migrate": "flask-migrate",
        "flask_babel": "flask-appbuilder", "flask_sqlalchemy": "flask-appbuilder",
        "flask_wtf": "flask-appbuilder", "flask_login": "flask-appbuilder",
        "flask_jwt_extended": "flask-appbuilder", "flask_limiter": "flask-appbuilder",
        "yaml": "pyyaml", "chinese_calendar": "chinesecalendar", "psycopg": "psycopg",
        "kombu": "celery", "werkzeug": "flask", "jinja2": "flask", "markupsafe": "flask",
        "click": "flask", "alembic": "flask-migrate", "babel": "flask-appbuilder",
        "sqlalchemy": "sqlalchemy", "marshmallow_sqlalchemy": "marshmallow-sqlalchemy",
        "apispec": "flask-appbuilder", "jwt": "flask-appbuilder", "dateutil": "flask-appbuilder",
        "email_validator": "flask-appbuilder", "prison": "flask-appbuilder",
        "docx": "python-docx", "fontTools": "fonttools",
    }
    first_party = {"app", "tasks", "workflows", "config"}
    missing = {}
    for folder in ("app", "tasks", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in first_party or top in sys.stdlib_module_names:
                        continue
                    dist = distribution.get(top, top.replace("_", "-"))
                    if dist not in runtime:
                        missing.setdefault(dist, str(path.relative_to(ROOT)))
    assert not missing, f"imported by the app but not runtime dependencies: {missing}"
