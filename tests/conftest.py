"""Shared test configuration: where the seed plan is."""

import os
from pathlib import Path

import pytest

# Integration fixtures live beside their tests; pytest only accepts this list here.
pytest_plugins = [
    "tests.integration.fixtures_workflow",
    "tests.integration.fixtures_browser",
    "tests.integration.fixtures_lists",
    "tests.integration.fixtures_celery",
    "tests.integration.fixtures_timers",
    "tests.integration.fixtures_reports",
]

ROOT = Path(__file__).resolve().parents[1]


def seed_path() -> Path:
    """The seed plan text in ../shared (DUBAN_SEED overrides)."""
    if os.environ.get("DUBAN_SEED"):
        return Path(os.environ["DUBAN_SEED"])
    return ROOT.parent / "shared" / "seeds" / "hecheng-eight-actions-2024.txt"


@pytest.fixture(scope="session")
def seed_text() -> str:
    path = seed_path()
    if not path.exists():
        pytest.fail(f"seed plan not found at {path} (set DUBAN_SEED)")
    return path.read_text(encoding="utf-8")
