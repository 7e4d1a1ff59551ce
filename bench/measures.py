"""The measures of `python -m bench`: Duban's path and a raw-SQL baseline, timed in one run.

Each measure is a pair of callables. Duban's side goes through the app as users do (the
Flask test client for pages and the API, the service for the reminder tick); the baseline
is psycopg on its own connection, fetching or writing the same rows. A result holds the
median and p95 of Duban's side, the baseline's median, their ratio and the goal ratio
(issue 14), and the SQL statements Duban ran per request.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bench.documents import export_measures, report_measures
from bench.generate import PASSWORD, TICK_DAY

LIST_SQL = """
SELECT c.id, c.title, c.state, c.deadline, c.start_date, c.percent_done, a.index, a.title,
       d.short_name, d.name
FROM "case" c LEFT JOIN action a ON a.id = c.action_id
LEFT JOIN department d ON d.id = c.lead_department_id
{where} ORDER BY c.{order}, c.id LIMIT {limit} OFFSET {offset}
"""
MINE = """(c.lead_department_id = ANY(%(departments)s)
   OR c.id = ANY(ARRAY(SELECT case_id FROM case_partner WHERE department_id = ANY(%(departments)s)))
   OR c.action_id = ANY(%(actions)s))"""
OPEN = "c.state NOT IN ('verified', 'closed')"


@dataclass
class Result:
    """One measure's figures."""

    measure: str
    size: int
    median_ms: float
    p95_ms: float
    baseline_ms: float | None
    goal: float | None
    statements: float

    @property
    def ratio(self) -> float | None:
        return round(self.median_ms / self.baseline_ms, 2) if self.baseline_ms else None

    def as_dict(self) -> dict:
        return {
            "measure": self.measure, "size": self.size, "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "baseline_ms": round(self.baseline_ms, 3) if self.baseline_ms else None,
            "ratio": self.ratio, "goal": self.goal, "statements": round(self.statements, 1),
        }

    def as_row(self) -> str:
        base = f"{self.baseline_ms:.2f}" if self.baseline_ms else "—"
        ratio = f"{self.ratio:.1f}×" if self.ratio is not None else "—"
        over = " ⚠" if self.ratio and self.goal and self.ratio > self.goal else ""
        goal = f"{self.goal:g}×" if self.goal else "—"
        return (f"| {self.measure} | {self.size:,} | {self.median_ms:.1f} | {self.p95_ms:.1f} | "
                f"{base} | {ratio}{over} | {goal} | {self.statements:.0f} |")


class StatementCounter:
    """Counts the statements an engine executes (an N+1 shows up here)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


def timed(run: Callable[[], object], runs: int, counter: StatementCounter | None = None):
    """(median ms, p95 ms, statements per run) of `run` after one warm-up.

    `run.before`, if set, runs untimed (and uncounted: psycopg's own cursor) before each run.
    """
    setup = getattr(run, "before", None) or (lambda: None)
    setup()
    run()
    samples, before = [], counter.count if counter else 0
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    statements = (counter.count - before) / runs if counter else 0.0
    return statistics.median(samples), p95, statements


class Bench:
    """The app, logged-in clients, a raw connection and the facts the measures need."""

    def __init__(self, url: str):
        from flask_appbuilder.security.sqla.models import User
        from sqlalchemy import select, update

        from app import create_app
        from app.extensions import db
        from app.models import Case, Department, user_department

        # No login rate limit: the bench logs its users in at every start, often in parallel runs.
        self.app = create_app(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
        with self.app.app_context():
            self.engine = db.engine
            self.size = db.session.scalar(select(db.func.count(Case.id)))
            users = dict(db.session.execute(select(User.username, User.id)).all())
            self.worker_departments = list(db.session.scalars(
                select(user_department.c.department_id).where(user_department.c.user_id == users["worker1"])))
            lead_forces = list(db.session.scalars(
                select(user_department.c.department_id).where(user_department.c.user_id == users["lead1"])))
            self.lead_actions = [a for a in db.session.scalars(
                select(Department.action_id).where(Department.id.in_(lead_forces))) if a]
            # A closed synthetic case half way through the table, with its 5–20 history rows.
            middle = db.session.scalar(select(db.func.max(Case.id))) // 2
            self.page_case = db.session.scalar(
                select(Case.id).where(Case.source_key.like("bench-%"), Case.state == "closed",
                                      Case.id > middle).order_by(Case.id).limit(1))
            # The case the transition measure moves: the same one every run, put back to
            # 已交办 (each run leaves it submitted or in progress; fresh ones ran out).
            self.moving_case = db.session.scalar(
                select(Case.id).where(Case.lead_department_id.in_(self.worker_departments),
                                      Case.action_id.in_(self.lead_actions),
                                      Case.requires_evidence.is_(False), Case.parent_id.is_(None))
                .order_by(Case.id))
            db.session.execute(update(Case).where(Case.id == self.moving_case).values(state="assigned"))
            # worker1 and lead1 work in district 0's plan, where their cases are (a user of no
            # organisation otherwise starts in the latest plan: a synthetic district's, empty for them).
            from app.models import PlanChoice

            own_plan = db.session.scalar(select(Case.plan_id).where(Case.id == self.moving_case))
            for name in ("worker1", "lead1"):
                db.session.merge(PlanChoice(user_id=users[name], plan_id=own_plan))
            db.session.commit()
            from app.plan_family import family_ids

            self.own_plans = list(family_ids(own_plan))
        self.counter = StatementCounter(self.engine)
        self.raw = self.engine.raw_connection()
        self.cursor = self.raw.cursor()
        self.clients = {name: self._login(name) for name in ("office", "worker1", "lead1")}
        self.tokens = {name: self._token(name) for name in ("office", "worker1", "lead1")}

    def _login(self, name: str):
        client = self.app.test_client()
        response = client.post("/login/", data={"username": name, "password": PASSWORD})
        assert response.status_code == 302, f"login {name}: {response.status_code}"
        return client

    def _token(self, name: str) -> str:
        response = self.app.test_client().post("/api/v1/security/login", json={
            "username": name, "password": PASSWORD, "provider": "db"})
        assert response.status_code == 200, f"API login {name}: {response.status_code}"
        return response.get_json()["access_token"]

    def sql(self, statement: str, params=None):
        self.cursor.execute(statement, params)
        rows = self.cursor.fetchall() if self.cursor.description else None
        self.raw.commit()  # end the read transaction as an autocommit read would
        return rows

    def get(self, name: str, path: str, *, api: bool = False):
        client = self.clients[name]
        headers = {"Authorization": f"Bearer {self.tokens[name]}"} if api else None

        def run():
            response = (self.app.test_client() if api else client).get(path, headers=headers)
            assert response.status_code == 200, f"{path}: {response.status_code}"
        return run

    def mine(self) -> dict:
        return {"departments": self.worker_departments, "actions": [], "plans": self.own_plans}

    def lead(self) -> dict:
        return {"departments": [], "actions": self.lead_actions, "plans": self.own_plans}

    def office(self) -> dict:
        return {"plans": _dashboard_params(self)["plans"]}

    def page(self, where: str, params: dict | None = None, *, light: str | None = None, order: str = "deadline",
             limit: int = 25, offset: int = 0, lights: bool = True):
        """The raw SQL of what a list shows: its rows, their total (共 N 条) and, on pages, the
        红黄绿灯 counts over the list before its light filter (`light`: the ?rag= condition)."""
        params = {**_dashboard_params(self), **(params or {})}
        shown = f"({where}) AND {light}" if light else where

        def run():
            self.sql(_list(shown, order=order, limit=limit, offset=offset), params)
            self.sql(f'SELECT count(*) FROM "case" c WHERE {shown}', params)
            if lights:
                self.sql(f'SELECT light, count(*) FROM (SELECT {_LIGHT} AS light FROM "case" c WHERE {where}) AS c '
                         "GROUP BY light", params)
        return run


def _list(where: str = "", order: str = "deadline", limit: int = 25, offset: int = 0) -> str:
    return LIST_SQL.format(where=f"WHERE {where}" if where else "", order=order, limit=limit, offset=offset)


# The office's 工作台 in SQL: the cases of the latest plan's family started by today, by plan,
# action, state, 红黄绿灯 (app.rag_sql's rules, with today's working-day thresholds as dates)
# and 即将到期, with percent summed; the ten longest overdue; pending extensions; the goal
# targets with their latest actual. The rows the page shows, without ORM or Flask.
_LIGHT = """CASE WHEN c.state IN ('verified', 'closed') THEN 'green'
  WHEN c.deadline < %(today)s OR EXISTS (SELECT 1 FROM milestone m WHERE m.case_id = c.id
       AND m.done_at IS NULL AND m.due_date < %(milestone_red)s) THEN 'red'
  WHEN EXISTS (SELECT 1 FROM milestone m WHERE m.case_id = c.id AND m.done_at IS NULL
       AND m.due_date < %(today)s) OR c.deadline < %(soon)s
    OR coalesce(c.percent_done, 0) < 100 * CASE WHEN c.deadline - c.start_date <= 0
         THEN CASE WHEN c.start_date <= %(today)s THEN 1.0 ELSE 0.0 END
         ELSE least(1.0, greatest(0.0, (%(today)s - c.start_date)::float / (c.deadline - c.start_date))) END
       - %(margin)s THEN 'yellow'
  ELSE 'green' END"""
DASHBOARD_COUNTS = f"""
SELECT plan_id, action_id, state, rag, soon, count(*), sum(percent) FROM (
  SELECT c.plan_id, c.action_id, c.state, {_LIGHT} AS rag,
         (c.state NOT IN ('verified', 'closed') AND c.deadline >= %(today)s AND c.deadline < %(due_soon)s) AS soon,
         CASE WHEN c.state IN ('verified', 'closed') THEN 100 ELSE coalesce(c.percent_done, 0) END AS percent
  FROM "case" c WHERE c.plan_id = ANY(%(plans)s) AND c.start_date <= %(today)s) AS c
GROUP BY plan_id, action_id, state, rag, soon"""
DASHBOARD_OVERDUE = f"""
SELECT c.id, c.title, a.index, d.name, c.deadline, c.percent_done FROM "case" c
LEFT JOIN action a ON a.id = c.action_id LEFT JOIN department d ON d.id = c.lead_department_id
WHERE c.plan_id = ANY(%(plans)s) AND c.start_date <= %(today)s AND {_LIGHT} = 'red'
ORDER BY c.deadline, coalesce(a.index, 0), c.seq, c.id LIMIT 10"""
DASHBOARD_REST = ("""SELECT count(*) FROM extension_request WHERE status = 'pending'
                     AND case_id IN (SELECT id FROM "case" WHERE plan_id = ANY(%(plans)s))""",
                  """SELECT i.*, g.index FROM indicator i JOIN goal g ON g.id = i.goal_id
                     WHERE i.plan_id = %(plan)s ORDER BY g.index, i.position, i.id""",
                  """SELECT a.* FROM indicator_actual a JOIN indicator i ON i.id = a.indicator_id
                     WHERE i.plan_id = %(plan)s AND i.goal_id IS NOT NULL""")


def _dashboard_params(b: Bench) -> dict:
    """Today's thresholds (dates, computed once as the page does) and the plan's family."""
    if not hasattr(b, "dashboard_params"):
        with b.app.app_context():
            from app import rag_sql
            from app.plan_family import family_ids
            from app.services.dashboard import DUE_SOON_WORKING_DAYS
            from app.services.plans import latest_plan
            from app.working_days import current_calendar
            from workflows.calendar import UnknownCalendarYear

            t = rag_sql.thresholds()
            plan = latest_plan()
            try:
                due_soon = current_calendar().add_working_days(t.today, DUE_SOON_WORKING_DAYS + 1)
            except UnknownCalendarYear:
                due_soon = t.today + dt.timedelta(days=DUE_SOON_WORKING_DAYS + 1)
            b.dashboard_params = {
                "today": t.today, "soon": t.soon_before or t.today + dt.timedelta(days=t.soon_calendar_days + 1),
                "milestone_red": (t.milestone_red_on_or_before + dt.timedelta(days=1))
                if t.milestone_red_on_or_before else dt.date.min,  # no calendar: never red
                "margin": t.pace_margin, "due_soon": due_soon,
                "plans": list(family_ids(plan.id)), "plan": plan.id,
            }
    return b.dashboard_params


def _dashboard_sql(b: Bench):
    params = _dashboard_params(b)
    b.sql(DASHBOARD_COUNTS, params)
    b.sql(DASHBOARD_OVERDUE, params)
    for statement in DASHBOARD_REST:
        b.sql(statement, params)


def measures(b: Bench) -> Iterator[tuple[str, Callable, Callable | None, float | None]]:
    """(name, Duban's run, baseline run, goal ratio) for every measure."""
    # The floor: the same layout (menu, login, permissions, Jinja) over the 8–16 actions of the
    # office's plan. What a list page costs above this is the list's own work; this much is
    # Flask-AppBuilder's.
    yield ("floor: FAB list page of the plan's actions, office", b.get("office", "/actionview/list/"),
           lambda: b.sql("SELECT id, index, title, subtitle, lead_department_id FROM action "
                         "WHERE plan_id = ANY(%(plans)s)", b.office()), None)
    # The API's floor: token, permissions and JSON over the actions (every plan's: the API is not
    # scoped to the user's plan).
    yield ("floor: API list of the actions, office", b.get("office", "/api/v1/action/", api=True),
           lambda: b.sql("SELECT id, index, title, subtitle, lead_department_id FROM action"), None)
    # Baselines: the page's rows, their total and its 红黄绿灯 counts (b.page). The lists are of
    # the user's plan (its family); the work queues of every plan, as the app's queues are.
    in_plan = "c.plan_id = ANY(%(plans)s)"
    yield ("case list page, office", b.get("office", "/caseview/list/"), b.page(in_plan, b.office()), 3)
    yield ("case list page, caseworker", b.get("worker1", "/caseview/list/"),
           b.page(f"{in_plan} AND {MINE}", b.mine()), 3)
    yield ("case list page, task-force lead", b.get("lead1", "/caseview/list/"),
           b.page(f"{in_plan} AND {MINE}", b.lead()), 3)
    yield ("queue 待核验, task-force lead", b.get("lead1", "/toverifyview/list/"),
           b.page(f"c.state = 'submitted' AND {MINE}", b.lead()), 3)
    yield ("queue 待办结, office", b.get("office", "/tocloseview/list/"), b.page("c.state = 'verified'"), 3)
    yield ("queue 逾期, office", b.get("office", "/overdueview/list/"),
           b.page(f"c.deadline < %(today)s AND {OPEN}"), 3)
    yield ("红灯 filter, office", b.get("office", "/caseview/list/?rag=red"),
           b.page(in_plan, b.office(), light=f"({_LIGHT}) = 'red'"), 3)
    yield ("deep page (page 200), office", b.get("office", "/caseview/list/?page_CaseView=200"),
           b.page(in_plan, b.office(), offset=200 * 25), 3)
    # The API lists every visible case (a client filters by plan_id itself), with its count.
    yield ("API case list, office (100 rows)", b.get("office", "/api/v1/case/?q=(page_size:100)", api=True),
           b.page("true", order="id", limit=100, lights=False), 3)
    yield ("API case list, caseworker (100 rows)",
           b.get("worker1", "/api/v1/case/?q=(page_size:100)", api=True),
           b.page(MINE, b.mine(), order="id", limit=100, lights=False), 3)

    def case_rows():
        # Every row the case page shows, one SELECT each, as a hand-written page would read
        # them: the case with its action and unit, partners, milestones, indicators, requests
        # for more time, instructions, problems, inspection findings, progress with its files
        # and indicator figures, and the history.
        case = (b.page_case,)
        b.sql('SELECT c.*, a.title, d.name FROM "case" c JOIN action a ON a.id = c.action_id '
              "JOIN department d ON d.id = c.lead_department_id WHERE c.id = %s", case)
        for statement in (
            "SELECT d.id, d.name FROM case_partner p JOIN department d ON d.id = p.department_id "
            "WHERE p.case_id = %s",
            "SELECT * FROM milestone WHERE case_id = %s ORDER BY due_date",
            "SELECT * FROM indicator WHERE case_id = %s ORDER BY position",
            "SELECT * FROM extension_request WHERE case_id = %s",
            "SELECT * FROM instruction WHERE case_id = %s",
            "SELECT * FROM problem WHERE case_id = %s",
            "SELECT * FROM finding WHERE case_id = %s",
            "SELECT * FROM progress_update WHERE case_id = %s ORDER BY created_at",
            "SELECT * FROM evidence_file WHERE case_id = %s",
            "SELECT a.* FROM indicator_actual a JOIN progress_update u ON u.id = a.progress_update_id "
            "WHERE u.case_id = %s",
            "SELECT * FROM case_history WHERE case_id = %s ORDER BY at, id",
        ):
            b.cursor.execute(statement, case)
            b.cursor.fetchall()
        b.raw.commit()

    def case_detail_rows():
        # The API's detail: the case with its action and unit, partners, milestones (the
        # light), sub-tasks' percent (the rolled-up percent), whether it has evidence (the
        # transitions the caller may fire).
        case = (b.page_case,)
        for statement in (
            'SELECT c.*, a.title, d.name FROM "case" c JOIN action a ON a.id = c.action_id '
            "JOIN department d ON d.id = c.lead_department_id WHERE c.id = %s",
            "SELECT d.id, d.name FROM case_partner p JOIN department d ON d.id = p.department_id "
            "WHERE p.case_id = %s",
            "SELECT * FROM milestone WHERE case_id = %s ORDER BY due_date",
            'SELECT id, percent_done, weight FROM "case" WHERE parent_id = %s',
            "SELECT EXISTS (SELECT 1 FROM evidence_file WHERE case_id = %s)",
        ):
            b.cursor.execute(statement, case)
            b.cursor.fetchall()
        b.raw.commit()

    yield ("case page, office", b.get("office", f"/caseview/show/{b.page_case}"), case_rows, 3)
    yield ("API case detail, office", b.get("office", f"/api/v1/case/{b.page_case}", api=True),
           case_detail_rows, 3)
    yield ("API case history, office", b.get("office", f"/api/v1/case/{b.page_case}/history", api=True),
           lambda: b.sql("SELECT * FROM case_history WHERE case_id = %s ORDER BY at, id", (b.page_case,)), 3)
    yield ("dashboard, office", b.get("office", "/dashboard/"), lambda: _dashboard_sql(b), 3)
    yield ("三看三评三比 periods, office", b.get("office", "/evaluation/"),
           lambda: b.sql("SELECT period_key, department_id, published_at FROM evaluation_result"), 3)
    yield from export_measures(b)
    yield from report_measures(b)
    yield from _evaluation(b)
    yield from _transition(b)
    yield from _tick(b)


EVALUATION_PERIOD = "2024-06"
# The 三看 aggregates of one period for every unit of the province (moment: the period's end,
# the start of July 1 local time in naive UTC), in raw SQL: each case's state, deadline and
# percentage at the period's end, its approved extension and last submission, per unit (the
# lead department, and the task force of the action) — then the dekad reports, the returns and
# urges, the stale reminders, the indicators' latest actuals and the office's scores per unit.
EVALUATION_SQL = [
    """WITH c AS (
         SELECT c.id, c.lead_department_id, c.action_id, c.start_date, c.original_deadline,
                COALESCE((SELECT h.from_state FROM case_history h WHERE h.case_id = c.id
                          AND h.kind = 'transition' AND h.at >= %(moment)s ORDER BY h.at, h.id LIMIT 1),
                         c.state) AS state,
                COALESCE((SELECT p.percent_done FROM progress_update p WHERE p.case_id = c.id
                          AND p.created_at < %(moment)s ORDER BY p.created_at DESC, p.id DESC LIMIT 1),
                         c.percent_done) AS percent,
                (SELECT max(h.at) FROM case_history h WHERE h.case_id = c.id AND h.kind = 'transition'
                 AND h.to_state = 'verified' AND h.at < %(moment)s) AS verified,
                (SELECT max(h.at) FROM case_history h WHERE h.case_id = c.id AND h.kind = 'transition'
                 AND h.to_state = 'submitted') AS submitted,
                EXISTS (SELECT 1 FROM extension_request e WHERE e.case_id = c.id AND e.status = 'approved'
                        AND e.decided_at < %(moment)s) AS extended
         FROM "case" c WHERE c.start_date <= %(end)s)
       SELECT lead_department_id, action_id, count(*),
              count(*) FILTER (WHERE state IN ('verified', 'closed') AND verified::date <= original_deadline),
              count(*) FILTER (WHERE state NOT IN ('verified', 'closed') AND original_deadline < %(end)s),
              count(*) FILTER (WHERE extended), avg(percent), max(submitted)
       FROM c GROUP BY GROUPING SETS ((lead_department_id), (action_id))""",
    """SELECT c.lead_department_id, c.action_id, date_trunc('month', p.created_at), count(DISTINCT c.id)
       FROM progress_update p JOIN "case" c ON c.id = p.case_id
       WHERE p.created_at >= %(start)s AND p.created_at < %(moment)s
       GROUP BY GROUPING SETS ((c.lead_department_id, 3), (c.action_id, 3))""",
    """SELECT c.lead_department_id, c.action_id, h.kind, count(*)
       FROM case_history h JOIN "case" c ON c.id = h.case_id
       WHERE h.at >= %(start)s AND h.at < %(moment)s
         AND (h.kind = 'urge' OR (h.kind = 'transition' AND h.transition = 'return'))
       GROUP BY GROUPING SETS ((c.lead_department_id, h.kind), (c.action_id, h.kind))""",
    """SELECT c.lead_department_id, count(*) FROM notification n JOIN "case" c ON c.id = n.case_id
       WHERE n.kind = 'stale' AND n.day BETWEEN %(start)s AND %(end)s GROUP BY c.lead_department_id""",
    """SELECT COALESCE(i.responsible_department_id, c.lead_department_id), count(*), max(a.value)
       FROM indicator i LEFT JOIN "case" c ON c.id = i.case_id
       LEFT JOIN LATERAL (SELECT value FROM indicator_actual a WHERE a.indicator_id = i.id
                          AND a.recorded_at < %(moment)s ORDER BY a.period DESC, a.recorded_at DESC, a.id DESC
                          LIMIT 1) a ON true
       GROUP BY 1""",
    """SELECT department_id, criterion, avg(score), count(*) FROM evaluation_score
       WHERE period_key = %(period)s GROUP BY department_id, criterion""",
]


def _evaluation(b: Bench):
    """三看三评三比 of one period for the whole province (every plan): the service's facts
    and scores (app.services.evaluation_facts + workflows.evaluation_scoring), against the
    raw SQL aggregates per unit that they need."""
    params = {"period": EVALUATION_PERIOD, "start": dt.date(2024, 6, 1), "end": dt.date(2024, 6, 30),
              "moment": dt.datetime(2024, 6, 30, 16)}

    def compute():
        from app.services.evaluation import province_results

        with b.app.app_context():
            province_results(EVALUATION_PERIOD)

    def raw():
        for statement in EVALUATION_SQL:
            b.sql(statement, params)

    yield ("evaluation compute, whole province, one period", compute, raw, 3)


def _transition(b: Bench):
    """Submit / return through the API, against the same writes in one raw transaction."""
    steps = iter(range(10**7))
    worker = {"Authorization": f"Bearer {b.tokens['worker1']}"}
    lead = {"Authorization": f"Bearer {b.tokens['lead1']}"}
    with b.app.app_context():
        from app.extensions import db
        from app.models import Case

        case = db.session.get(Case, b.moving_case)
        version = case.version
    client = b.app.test_client()
    accepted = client.post(f"/api/v1/case/{b.moving_case}/transition", headers=worker,
                           json={"transition": "accept", "version": version})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    state = {"version": accepted.get_json().get("result", accepted.get_json()).get("version", version + 1)}

    def through_api():
        submit = next(steps) % 2 == 0
        body = {"transition": "submit" if submit else "return", "version": state["version"],
                "comment": "已完成，请核验。" if submit else "请补充材料。"}
        response = client.post(f"/api/v1/case/{b.moving_case}/transition",
                               headers=worker if submit else lead, json=body)
        assert response.status_code == 200, response.get_data(as_text=True)
        state["version"] += 1

    raw_steps = iter(range(10**7))

    def raw_transaction():
        to = "submitted" if next(raw_steps) % 2 == 0 else "in_progress"
        cur = b.cursor
        cur.execute('SELECT state, version FROM "case" WHERE id = %s FOR UPDATE', (b.page_case,))
        cur.execute('UPDATE "case" SET state = state, version = version + 1, state_changed_at = now() '
                    "WHERE id = %s", (b.page_case,))
        cur.execute("INSERT INTO case_history (case_id, at, actor_name, kind, transition, from_state, to_state, comment) "
                    "VALUES (%s, now(), 'bench', 'transition', 'submit', 'in_progress', %s, '已完成')",
                    (b.page_case, to))
        cur.execute("INSERT INTO outbox_event (created_at, kind, case_id, payload, attempts) "
                    "VALUES (now(), 'transition', %s, '{}', 0)", (b.page_case,))
        b.raw.commit()

    yield ("transition through the API", through_api, raw_transaction, 3)


def _tick(b: Bench):
    """The reminder tick on TICK_DAY, against one indexed SELECT of the cases due that day.

    Two measures: the day's first tick (every run starts from nothing recorded that day: the
    notifications of the run before are deleted, untimed) and a later tick of the same day
    (everything recorded: nothing composed nor inserted), as beat runs 30 times a day. The
    generator keeps every case outside the cohort out of every rule's window on TICK_DAY, so
    both must cost the same at every size.
    """
    from app.services.calendar import current_calendar
    from app.services.reminders import reminder_rules
    from workflows.reminders import due_window

    zone = ZoneInfo("Asia/Shanghai")
    at = dt.datetime.combine(TICK_DAY, dt.time(10)).replace(tzinfo=zone)
    with b.app.app_context():
        from app.extensions import db

        rules = reminder_rules()
        window = due_window(TICK_DAY, rules, current_calendar())
        db.session.remove()
    kinds = "('due_soon', 'overdue', 'escalation', 'stale', 'awaiting_verification')"
    b.sql(f"DELETE FROM notification WHERE kind IN {kinds}")  # earlier bench runs' reminders

    def tick():
        from app.services.reminders import run_reminders

        with b.app.app_context():
            run_reminders(at)

    def first_tick():
        tick()

    first_tick.before = lambda: b.sql(f"DELETE FROM notification WHERE kind IN {kinds}")

    def midnight(day: dt.date) -> dt.datetime:  # naive UTC of the office's midnight
        return dt.datetime.combine(day, dt.time()) - dt.timedelta(hours=8)

    # The due set: the open cases some rule may fire on, by the window's bounds (the partial
    # indexes of migration c14a0d0e0001), with what the messages need of each: one SELECT,
    # each arm an index range scan (the milestones' joined to the cases by primary key).
    columns = ("c.id, c.title, c.state, c.deadline, c.lead_department_id, c.action_id, c.owner_id, "
               "c.last_progress_at, c.assigned_at, c.submitted_at")
    due = f"""SELECT {columns} FROM "case" c WHERE c.state IN ('assigned', 'in_progress', 'submitted')
                AND c.deadline < %(due_before)s
              UNION SELECT {columns} FROM milestone m JOIN "case" c ON c.id = m.case_id
                WHERE m.done_at IS NULL AND m.due_date >= %(on)s AND m.due_date < %(due_before)s
                AND c.state IN ('assigned', 'in_progress', 'submitted')
              UNION SELECT {columns} FROM "case" c WHERE c.state IN ('assigned', 'in_progress')
                AND c.last_progress_at IS NOT NULL AND c.last_progress_at < %(stale)s AND c.assigned_at < %(stale)s
              UNION SELECT {columns} FROM "case" c WHERE c.state IN ('assigned', 'in_progress')
                AND c.last_progress_at IS NULL AND c.assigned_at < %(stale)s
              UNION SELECT {columns} FROM "case" c WHERE c.state = 'submitted' AND c.submitted_at < %(submitted)s"""
    params = {"on": TICK_DAY, "due_before": window.due_before, "stale": midnight(window.stale_before),
              "submitted": midnight(window.submitted_before)}
    yield ("reminder tick (fixed due set)", first_tick, lambda: b.sql(due, params), 2)
    yield ("reminder tick, later in the day (fixed due set)", tick, lambda: b.sql(due, params), 2)


def run_all(url: str, runs: int, only: list[str] | None = None) -> Iterator[Result]:
    """Measure everything on the database at `url`."""
    b = Bench(url)
    for name, duban, baseline, goal in measures(b):
        if only and not any(word in name for word in only):
            continue
        median, p95, statements = timed(duban, runs, b.counter)
        base = timed(baseline, runs)[0] if baseline else None
        yield Result(name, b.size, median, p95, base, goal, statements)
