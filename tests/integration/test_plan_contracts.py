"""Contracts other tools rely on (issue 11): `flask plan load FILE` takes the JSON that
`flask plan dump --json` and `flask plan extract --json` print."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.integration.fixtures_browser import scalar
from tests.integration.test_drafts_review import PLAN_TEXT, TITLE


def test_plan_load_takes_what_plan_extract_json_prints(app, fresh_db, restored_db, tmp_path):
    from app.models import Case, Indicator, Plan

    source = tmp_path / "方案.txt"
    source.write_text(PLAN_TEXT, encoding="utf-8")
    runner = app.test_cli_runner()
    extracted = runner.invoke(args=["plan", "extract", str(source), "--json"])
    assert extracted.exit_code == 0, extracted.output
    draft = json.loads(extracted.output)
    path = tmp_path / "draft.json"
    path.write_text(extracted.output, encoding="utf-8")
    loaded = runner.invoke(args=["plan", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    plan_id = scalar(app, select(Plan.id).where(Plan.title == TITLE))
    assert plan_id is not None
    cases = sum(len(a["cases"]) for a in draft["actions"])
    assert scalar(app, select(func.count(Case.id)).where(Case.plan_id == plan_id)) == cases
    assert scalar(app, select(func.count(Indicator.id)).where(Indicator.plan_id == plan_id)) > 0
    again = runner.invoke(args=["plan", "load", str(path)])  # loading it again changes nothing
    assert again.exit_code == 0, again.output
    assert "新建单位" in loaded.output and "新建单位" not in again.output
    assert scalar(app, select(func.count(Case.id)).where(Case.plan_id == plan_id)) == cases
