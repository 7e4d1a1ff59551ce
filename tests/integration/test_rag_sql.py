"""The lists' 红黄绿灯 in SQL (app.rag_sql) is the light of app.rag.rag_for, case by case.

The seed plan's cases are given a spread of states, start dates, deadlines, percentages and
milestones (done and not, near and far), then both are asked on days over two years —
around holidays, at year ends, and in the last weeks of the calendar's known years, where
rag_for counts calendar days instead — and must agree on every case and day.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from sqlalchemy import select

STATES = ["assigned", "in_progress", "submitted", "verified", "closed"]


def _spread_cases(db, Case, Milestone):
    rng = random.Random(14)
    cases = list(db.session.scalars(select(Case).order_by(Case.id)))
    for case in cases:
        case.state = rng.choice(STATES)
        case.start_date = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 500))
        # Some deadlines before their start (no time given), most some weeks to months after.
        case.deadline = case.start_date + dt.timedelta(days=rng.choice([-3, 0, 1, 7, 30, 90, 200]))
        case.percent_done = rng.choice([0, rng.randint(0, 100)])
        case.milestones.clear()
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            due = case.start_date + dt.timedelta(days=rng.randint(0, 120))
            done_at = dt.datetime(2024, 1, 1) if rng.random() < 0.4 else None
            case.milestones.append(Milestone(title="节点", due_date=due, done_at=done_at))
    db.session.commit()
    return len(cases)


def _days():
    days = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(0, 1080, 11)]
    # Spring Festival and National Day weeks, year ends, and the calendar's last known weeks.
    days += [dt.date(2024, 2, 9), dt.date(2024, 2, 19), dt.date(2024, 10, 1), dt.date(2024, 10, 8),
             dt.date(2024, 12, 31), dt.date(2025, 1, 2), dt.date(2026, 12, 24), dt.date(2026, 12, 31)]
    return days


@pytest.mark.usefixtures("fresh_db")
def test_sql_light_is_rag_for_on_every_case_and_day(app_ctx):
    from app.extensions import db
    from app.models import Case, Milestone
    from app.rag import rag_by_id
    from app.rag_sql import light, thresholds

    count = _spread_cases(db, Case, Milestone)
    lights_seen = set()
    for today in _days():
        cases = list(db.session.scalars(select(Case).order_by(Case.id)))
        python = {case_id: str(r) for case_id, r in rag_by_id(cases, today).items()}
        sql = dict(db.session.execute(select(Case.id, light(thresholds(today)))).all())
        assert len(sql) == count
        differ = {i: (python[i], sql[i]) for i in python if python[i] != sql[i]}
        assert not differ, f"{today}: (rag_for, SQL) differ on cases {differ}"
        lights_seen |= set(sql.values())
    assert lights_seen == {"green", "yellow", "red"}


@pytest.mark.usefixtures("fresh_db")
def test_the_red_quick_filter_lists_exactly_the_red_cases_with_their_count(app_ctx):
    from app.extensions import db
    from app.models import Case, Milestone
    from app.rag import rag_by_id

    _spread_cases(db, Case, Milestone)
    cases = list(db.session.scalars(select(Case)))
    rags = rag_by_id(cases)
    red_titles = sorted(c.title for c in cases if str(rags[c.id]) == "red")
    assert red_titles
    db.session.remove()

    from tests.integration.conftest import login

    client = app_ctx.test_client()
    login(client, "office")
    page = client.get("/caseview/list/?rag=red&psize_CaseView=100").get_data(as_text=True)
    assert int(re.search(r"记录数目:</strong>\s*(\d+)", page).group(1)) == len(red_titles)
    # The chip's count is the same number, counted by the database.
    assert f"逾期（{len(red_titles)}）" in page
    listed = sorted(set(re.findall(r'/caseview/show/\d+">([^<]+)</a>', page)))
    assert listed == red_titles
