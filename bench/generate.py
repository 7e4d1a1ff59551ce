"""A province's worth of realistic data on PostgreSQL, built with COPY (not the ORM).

District 0 is the real thing: the 2024 plan of Hecheng loaded by the plan loader, and the
demo users (worker1, lead1, office, leader…) the benchmarks log in as. Every further
district is synthetic but shaped like it: the same department structure under the
district's own name (about 16 units each: district departments, townships, eight task
forces), one plan with eight actions, cases spread over the departments with a skewed
(Zipf-like) count per department, states over all five, deadlines over the year,
5–20 history rows per case, progress updates, milestones, indicators with actuals,
evaluations, and users in every role.

The reminder tick must be measurable "for the same due set" at every size, so the data
holds one fixed cohort of cases that fall due around `TICK_DAY` (deadlines and milestones
in the reminder window, overdue, stale, waiting for verification); every other open case is
outside every reminder window on that day (deadline after it, progress reported in the
last week, submissions fresh). The tick's work is then the cohort's, whatever the size.

    python -m bench.generate --size 100000 [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import time
from collections.abc import Iterable
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-Passw0rd"
YEAR = 2024
TICK_DAY = dt.date(2024, 3, 15)  # a Friday, a working day
COHORT = 1000  # cases due around TICK_DAY, the same at every size
CASES_PER_DISTRICT = 8000
STATE_WEIGHTS = {"assigned": 8, "in_progress": 62, "submitted": 6, "verified": 9, "closed": 15}
HISTORY_KINDS = ("progress", "comment", "urge")
UNIT_SUFFIXES = (
    "发展和改革局", "工业和信息化局", "商务局", "科学技术局", "教育局", "农业农村局",
    "住房和城乡建设局", "交通运输局", "财政局", "人力资源和社会保障局", "民政局", "卫生健康局",
    "市场监督管理局", "应急管理局",
)
TOWNSHIPS = ("城中街道", "城北街道", "黄金镇", "凉亭乡")
ACTION_TITLES = (
    "产业培塑行动", "创新提升行动", "激发需求行动", "改革攻坚行动",
    "主体强身行动", "区域共进行动", "安全守底行动", "民生可感行动",
)


def utc(day: dt.date, hour: int = 10) -> dt.datetime:
    """Naive UTC of a local (UTC+8) time on `day`."""
    return dt.datetime.combine(day, dt.time(hour)) - dt.timedelta(hours=8)


class Ids:
    """Next free primary keys per table, taken from the database after district 0."""

    def __init__(self, conn, tables: Iterable[str]):
        self.next = {}
        for table in tables:
            self.next[table] = conn.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"').fetchone()[0]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def copy(conn, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """COPY rows into a table; returns how many."""
    names = ", ".join(f'"{c}"' for c in columns)
    count = 0
    with conn.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


def recreate(url: str) -> None:
    """Drop and create the benchmark database."""
    target = make_url(url)
    with psycopg.connect(host=target.host, port=target.port or 5432, user=target.username,
                         password=target.password, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target.database}"')


def district_zero(url: str) -> None:
    """Schema, roles and permissions, the real 2024 plan and the demo users."""
    os.environ["DATABASE_URL"] = url
    from flask_appbuilder.security.manager import BaseSecurityManager
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.demo import create_demo
    from app.services.plans import load_plan

    app = create_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        BaseSecurityManager.create_db(app.appbuilder.sm)
        app.appbuilder.add_permissions(update_perms=True)
        db.session.commit()
        load_plan()
        create_demo(PASSWORD)
        db.session.remove()
        db.engine.dispose()


def _psycopg_url(url: str) -> str:
    target = make_url(url)
    return target.set(drivername="postgresql").render_as_string(hide_password=False)


def build(url: str, size: int, seed: int = 2024, log=print) -> dict:
    """A fresh database of `size` cases in all (district 0 included); returns counts."""
    started = time.perf_counter()
    recreate(url)
    district_zero(url)
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with psycopg.connect(_psycopg_url(url)) as conn:
        real = conn.execute('SELECT count(*) FROM "case"').fetchone()[0]
        templates = conn.execute('SELECT title, text FROM "case" ORDER BY id').fetchall()
        roles = dict(conn.execute("SELECT name, id FROM ab_role").fetchall())
        password_hash = conn.execute(
            "SELECT password FROM ab_user WHERE username = 'worker1'").fetchone()[0]
        ids = Ids(conn, ("organisation", "plan", "action", "department", "case", "milestone", "indicator",
                         "indicator_actual", "progress_update", "case_history", "ab_user",
                         "evaluation_score", "goal"))
        remaining = max(size - real, 0)
        districts = max(1, -(-remaining // CASES_PER_DISTRICT))
        log(f"generating {remaining:,} cases in {districts:,} synthetic districts …")
        plan_rows, action_rows, dept_rows, user_rows, user_role_rows, user_dept_rows = [], [], [], [], [], []
        # Each district is an organisation: its plan, units and office belong to it, so that its
        # office is told of its own late cases only (app.services.notifications.office_user_ids).
        organisation_rows, organisation_of = [], {}
        district_units: list[tuple[list[int], list[int], list[int]]] = []  # (units, task forces, actions)
        per_district = [remaining // districts + (1 if d < remaining % districts else 0) for d in range(districts)]
        for d in range(districts):
            name = f"示范{d + 1:03d}县"
            organisation_id = ids.take("organisation")
            organisation_rows.append((organisation_id, name, "district"))
            plan_id = ids.take("plan")
            plan_rows.append((plan_id, f"{name}2024年“八大行动”总体方案", YEAR, f"{name}人民政府",
                              utc(dt.date(2024, 1, 5)), organisation_id))
            first_department = ids.next["department"]
            units = []
            for suffix in UNIT_SUFFIXES:
                units.append(ids.take("department"))
                dept_rows.append((units[-1], f"{name}{suffix}", f"{name[-4:]}{suffix[:2]}{d}", "district_department", None))
            for township in TOWNSHIPS:
                units.append(ids.take("department"))
                dept_rows.append((units[-1], f"{name}{township}", None, "township", None))
            forces, actions = [], []
            for index, title in enumerate(ACTION_TITLES, start=1):
                action_id = ids.take("action")
                actions.append(action_id)
                lead = units[(index * 3) % len(UNIT_SUFFIXES)]
                action_rows.append((action_id, plan_id, index, title, "", lead, "named"))
                forces.append(ids.take("department"))
                dept_rows.append((forces[-1], f"{name}{title}专班", None, "task_force", action_id))
            district_units.append((units, forces, actions))
            # Users: two caseworkers per unit, one lead per task force, an office clerk and a leader.
            def user(username, role, department=None):
                user_id = ids.take("ab_user")
                user_rows.append((user_id, username[:20], "用户", username, password_hash, True,
                                  f"{username}@bench.local", utc(dt.date(2024, 1, 5))))
                user_role_rows.append((user_id, roles[role]))
                if department:
                    user_dept_rows.append((user_id, department))
            for u, unit in enumerate(units):
                user(f"d{d}w{u}a", "Caseworker", unit)
                user(f"d{d}w{u}b", "Caseworker", unit)
            for f, force in enumerate(forces):
                user(f"d{d}lead{f}", "TaskForceLead", force)
            office_unit, government = ids.take("department"), ids.take("department")
            dept_rows.append((office_unit, f"{name}督查室", None, "office", None))
            dept_rows.append((government, f"{name}人民政府办公室", None, "office", None))
            organisation_of.update((i, organisation_id) for i in range(first_department, ids.next["department"]))
            user(f"d{d}office", "Office", office_unit)
            user(f"d{d}leader", "Leader", government)
        counts["organisation"] = copy(conn, "organisation", ("id", "name", "kind"), organisation_rows)
        counts["plan"] = copy(conn, "plan", ("id", "title", "year", "issuer", "loaded_at", "organisation_id"),
                              plan_rows)
        # Departments reference actions (task forces) and actions departments: actions first
        # without their lead, then departments, then the leads.
        counts["department"] = copy(conn, "department", ("id", "name", "short_name", "kind", "action_id",
                                                         "organisation_id"),
                                    [(i, n, s, k, None, organisation_of[i]) for i, n, s, k, _ in dept_rows])
        counts["action"] = copy(conn, "action", ("id", "plan_id", "index", "title", "text",
                                                 "lead_department_id", "lead_basis"), action_rows)
        with conn.cursor() as cur:
            cur.executemany("UPDATE department SET action_id = %s WHERE id = %s",
                            [(a, i) for i, _, _, _, a in dept_rows if a])
        counts["ab_user"] = copy(conn, "ab_user", ("id", "first_name", "last_name", "username", "password",
                                                   "active", "email", "created_on"), user_rows)
        counts["ab_user_role"] = copy(conn, "ab_user_role", ("user_id", "role_id"), user_role_rows)
        counts["user_department"] = copy(conn, "user_department", ("user_id", "department_id"), user_dept_rows)
        log(f"  structure: {len(plan_rows):,} plans, {len(dept_rows):,} departments, {len(user_rows):,} users")

        cohort_left = COHORT if remaining else 0
        case_rows, partner_rows, milestone_rows, history_rows = [], [], [], []
        progress_rows, indicator_rows, actual_rows = [], [], []
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(UNIT_SUFFIXES) + len(TOWNSHIPS))]
        states, state_weights = zip(*STATE_WEIGHTS.items(), strict=True)
        for d, (units, _forces, actions) in enumerate(district_units):
            plan_id = plan_rows[d][0]
            leads = rng.choices(units, weights=weights, k=per_district[d])
            for n, lead in enumerate(leads):
                case_id = ids.take("case")
                title, text = templates[(d * 7 + n) % len(templates)]
                in_cohort = cohort_left > 0 and n % 17 == 0
                if in_cohort:
                    cohort_left -= 1
                    state = rng.choice(("assigned", "in_progress", "in_progress", "submitted"))
                    deadline = TICK_DAY + dt.timedelta(days=rng.randint(-12, 8))
                    last_progress = utc(TICK_DAY - dt.timedelta(days=rng.randint(3, 30)))
                    submitted = utc(TICK_DAY - dt.timedelta(days=rng.randint(1, 10))) if state == "submitted" else None
                else:
                    state = rng.choices(states, weights=state_weights)[0]
                    if state in ("verified", "closed"):
                        deadline = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randint(20, 364))
                    else:
                        deadline = TICK_DAY + dt.timedelta(days=rng.randint(14, 290))
                    last_progress = utc(TICK_DAY - dt.timedelta(days=rng.randint(0, 6)))
                    submitted = utc(TICK_DAY - dt.timedelta(days=1)) if state == "submitted" else None
                start = dt.date(YEAR, 1, 8)
                verified = utc(deadline - dt.timedelta(days=3)) if state in ("verified", "closed") else None
                closed = utc(deadline - dt.timedelta(days=1)) if state == "closed" else None
                percent = {"assigned": 0, "in_progress": rng.randint(5, 90), "submitted": 95}.get(state, 100)
                assigned_at = utc(start)
                if state == "assigned" and not in_cohort:  # not yet accepted, but not silent
                    assigned_at = utc(TICK_DAY - dt.timedelta(days=rng.randint(0, 6)))
                changed = closed or verified or submitted or assigned_at
                case_rows.append((
                    case_id, plan_id, actions[n % 8], f"bench-{d}-{n}", n + 1, title, text,
                    ("task", "task", "task", "policy", "project")[n % 5], lead, "named",
                    start, deadline, deadline, n % 9 == 0, state, 1 + (n % 5), percent,
                    last_progress if state != "assigned" else None, assigned_at, submitted, verified,
                    closed, changed, assigned_at, changed,
                ))
                if n % 3 == 0:
                    partner_rows.append((case_id, units[(units.index(lead) + 1 + n % 5) % len(units)]))
                if n % 4 == 0 or in_cohort:
                    due = TICK_DAY + dt.timedelta(days=rng.randint(1, 7)) if in_cohort else deadline - dt.timedelta(days=30)
                    if not in_cohort and state not in ("verified", "closed"):
                        due = max(due, TICK_DAY + dt.timedelta(days=14))  # open: outside the due-soon window
                    milestone_rows.append((ids.take("milestone"), case_id, "阶段性目标完成", max(due, start),
                                           utc(due) if state in ("verified", "closed") else None))
                # History: the transitions the state implies, then progress, comments and urges.
                at = assigned_at
                path = ["assigned", "in_progress", "submitted", "verified", "closed"]
                reached = path[: path.index(state) + 1]
                for before, after in itertools.pairwise(reached):
                    at += dt.timedelta(days=rng.randint(1, 20))
                    name = {"in_progress": "accept", "submitted": "submit", "verified": "verify", "closed": "close"}[after]
                    history_rows.append((ids.take("case_history"), case_id, at, None, "bench", "transition",
                                         name, before, after, None))
                for _ in range(rng.randint(5, 20) - (len(reached) - 1)):
                    at += dt.timedelta(days=rng.randint(1, 9))
                    kind = HISTORY_KINDS[rng.randrange(3)] if state != "assigned" else "urge"
                    history_rows.append((ids.take("case_history"), case_id, at, None, "bench", kind,
                                         None, None, None, "按计划推进，本旬完成阶段性工作。"))
                if state != "assigned":
                    for k in range(rng.randint(1, 3)):
                        progress_rows.append((ids.take("progress_update"), case_id, None,
                                              "本旬推进情况：已完成阶段性工作。", max(percent - 10 * k, 0),
                                              last_progress - dt.timedelta(days=10 * k)))
                if n % 6 == 0:
                    indicator_id = ids.take("indicator")
                    indicator_rows.append((indicator_id, plan_id, case_id, 0, "项目数", 10, "个", "≥", YEAR,
                                           "新引进项目10个以上", "cumulative", lead))
                    for month in range(1, rng.randint(2, 4)):
                        actual_rows.append((ids.take("indicator_actual"), indicator_id, month * 2,
                                            f"{YEAR}-{month:02d}", utc(dt.date(YEAR, month + 1, 5))))
            if len(case_rows) >= 200_000 or d == len(district_units) - 1:
                _flush_cases(conn, counts, case_rows, partner_rows, milestone_rows, history_rows,
                             progress_rows, indicator_rows, actual_rows)
                log(f"  {counts.get('case', 0):,} cases, {counts.get('case_history', 0):,} history rows …")
        # Evaluations: the office's 三评/三比 scores of every unit, January to June (三看 is computed).
        office_id = conn.execute("SELECT id FROM ab_user WHERE username = 'office'").fetchone()[0]
        evaluation_rows = []
        for units, forces, _actions in district_units:
            for unit in units + forces:
                for month in range(1, 7):
                    for criterion, top in (("ping.results", 10), ("ping.duty", 10), ("bi.drive", 7)):
                        evaluation_rows.append((ids.take("evaluation_score"), f"{YEAR}-{month:02d}", unit, criterion,
                                                office_id, rng.randint(top // 2, top), "",
                                                utc(dt.date(YEAR, month, 28))))
        counts["evaluation_score"] = copy(conn, "evaluation_score", (
            "id", "period_key", "department_id", "criterion", "scorer_id", "score", "comment", "scored_at"),
            evaluation_rows)
        counts.update(_evaluation_results(conn, rng, ids, plan_rows, district_units, office_id))
        for table, value in ids.next.items():
            conn.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {value})")
        conn.commit()
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["cases_total"] = size if remaining else real
    log(f"built in {counts['seconds']} s: {counts}")
    return counts


RESULT_MONTHS = (1, 2, 3, 4, 5)  # computed; January to April published, May not yet


def _evaluation_results(conn, rng, ids, plan_rows, district_units, office_id) -> dict:
    """The scheme in force (version 1) and every unit's stored result of each month in
    RESULT_MONTHS, ranked within its group and district: what the 三看三评三比 pages read."""
    from workflows.evaluation import DEFAULT_SCHEME

    counts = {}
    if conn.execute("SELECT count(*) FROM evaluation_scheme").fetchone()[0] == 0:
        counts["evaluation_scheme"] = copy(conn, "evaluation_scheme", (
            "version", "rules", "note", "created_by_id", "created_at"),
            [(1, json.dumps(DEFAULT_SCHEME, ensure_ascii=False), "默认方案", office_id, utc(dt.date(YEAR, 1, 5)))])
    rows = []
    for (plan_id, *_rest), (units, forces, _actions) in zip(plan_rows, district_units, strict=True):
        groups = {"district_department": units[:len(UNIT_SUFFIXES)], "township": units[len(UNIT_SUFFIXES):],
                  "task_force": forces}
        for month in RESULT_MONTHS:
            computed = utc(dt.date(YEAR, month + 1, 3))
            published = utc(dt.date(YEAR, month + 1, 5)) if month < RESULT_MONTHS[-1] else None
            for group, members in groups.items():
                scored = []
                for unit in members:
                    kan, ping, bi = rng.randint(250, 500) / 10, rng.randint(150, 300) / 10, rng.randint(100, 200) / 10
                    scored.append((round(kan + ping + bi, 2), unit, kan, ping, bi))
                scored.sort(key=lambda r: -r[0])
                rank, previous = 0, None
                for position, (total, unit, kan, ping, bi) in enumerate(scored, 1):
                    if total != previous:
                        rank, previous = position, total
                    parts = [{"key": "kan.key_tasks", "dimension": "kan", "name": "看重点任务推进情况", "score": kan,
                              "max": 50, "computed": True, "note": "", "facts": [{"text": "（生成的数据）"}]}]
                    rows.append((plan_id, f"{YEAR}-{month:02d}", unit, group, 1, kan, ping, bi, total, rank,
                                 json.dumps(parts, ensure_ascii=False), computed, published,
                                 office_id if published else None))
    counts["evaluation_result"] = copy(conn, "evaluation_result", (
        "plan_id", "period_key", "department_id", "group_key", "scheme_version", "kan", "ping", "bi", "total",
        "rank", "parts", "computed_at", "published_at", "published_by_id"), rows)
    return counts


def _flush_cases(conn, counts, cases, partners, milestones, history, progress, indicators, actuals):
    columns = {
        "case": ("id", "plan_id", "action_id", "source_key", "seq", "title", "text", "list_kind",
                 "lead_department_id", "lead_basis", "start_date", "deadline", "original_deadline",
                 "requires_evidence", "state", "version", "percent_done", "last_progress_at",
                 "assigned_at", "submitted_at", "verified_at", "closed_at", "state_changed_at",
                 "created_at", "updated_at"),
        "case_partner": ("case_id", "department_id"),
        "milestone": ("id", "case_id", "title", "due_date", "done_at"),
        "case_history": ("id", "case_id", "at", "actor_id", "actor_name", "kind", "transition",
                         "from_state", "to_state", "comment"),
        "progress_update": ("id", "case_id", "author_id", "note", "percent_done", "created_at"),
        "indicator": ("id", "plan_id", "case_id", "position", "name", "value", "unit", "comparator",
                      "year", "quote", "kind", "responsible_department_id"),
        "indicator_actual": ("id", "indicator_id", "value", "period", "recorded_at"),
    }
    for table, rows in (("case", cases), ("case_partner", partners), ("milestone", milestones),
                        ("case_history", history), ("progress_update", progress),
                        ("indicator", indicators), ("indicator_actual", actuals)):
        counts[table] = counts.get(table, 0) + copy(conn, table, columns[table], rows)
        rows.clear()
    conn.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/duban_bench"))
    args = parser.parse_args()
    build(args.database_url, args.size)


if __name__ == "__main__":
    main()
