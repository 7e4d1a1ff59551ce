"""The access matrix for writes (issue 15, item 1): every POST/PUT/PATCH/DELETE route of the
app (from `app.url_map`; FAB's `action`/`action_post` once per action the view declares) ×
worker2, lead1, leader, office, admin and anonymous, with a foreign id in every id parameter
and in every id field of the body (form or JSON).

A leak is any of:
- a case the identity may not see named in the answer or in a message flashed for the next
  page (the session's flashes are read after every request);
- a change to a row of a case the identity may not see — the case itself, its targets,
  history, progress, evidence, extension requests, milestones, notifications, outbox events,
  reports, partners (fingerprinted before and after the identity's requests). The leader is
  read-only: for the leader every case counts;
- a server error (any identity, office and admin included).

Identities run with the office and admin last (their writes may succeed: their foreign id is
the highest case id, which names no user, role or plan). Tests run with CSRF off (the
protection itself is test_web_security.py's); the identities' sessions stay signed in (logout
and the language switch are skipped).
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select, text

from tests.integration.access_matrix_routes import ENDPOINTS
from tests.integration.conftest import api_token, login
from tests.integration.test_access_matrix import MARK, _hidden_ids, _mark_titles, _text

IDENTITIES = ["worker2", "lead1", "leader", None, "office", "admin"]
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
SKIP = {"AuthDBView.logout", "LocaleView.index"}
# The leader's one write (领导批示, on any case it sees: every case): not tried as the leader
# here, where every case counts as one it may not change; who may instruct is
# tests/integration/test_instructions.py's.
LEADER_WRITES = {"CaseApi.instruction", "InstructionView.instruct"}
# Rows that belong to a case (every table with a foreign key to "case").
CASE_TABLES = ("finding", "problem", "instruction", "indicator", "case_history", "case_partner", "extension_request", "milestone",
               "notification", "outbox_event", "progress_update", "report", "evidence_file")


def _write_routes(app):
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint in ENDPOINTS and r.endpoint not in SKIP and set(UNSAFE) & r.methods]
    return sorted(rules, key=lambda r: r.rule)


def _actions(app, endpoint: str) -> list[str]:
    """The FAB actions a view declares (its action/action_post routes are tried with each)."""
    name = endpoint.split(".", 1)[0]
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == name:
            return sorted(getattr(view, "actions", {}) or {}) or ["x"]
    return ["x"]


def _path(rule, foreign: int, action: str) -> str:
    path = rule.rule
    for name in rule.arguments:
        value = action if name == "name" else foreign
        path = re.sub(rf"<(?:[^:<>]+:)?{re.escape(name)}>", str(value), path)
    return path


def _form(foreign: int, action: str) -> dict:
    """A form body with the foreign id in every id field our forms and FAB's read."""
    ids = ("rowid", "pk", "id", "case", "case_id", "parent_id", "parent", "indicator_id",
           "extension_id", "department_id", "new_department_id", "lead_department",
           "partner_departments", "filter_id", "notification_id", "user", "roles", "action_id",
           "milestone_id", "report_id", "plan_id", "goal")
    return {
        **{name: str(foreign) for name in ids},
        "rowid": [str(foreign)], "action": action, "transition": "accept", "version": "1",
        "approve": "1", "comment": "矩阵测试", "note": "矩阵测试", "reason": "矩阵测试",
        "text": "矩阵测试", "percent": "50", "title": "矩阵测试", "name": "矩阵测试",
        "deadline": "2026-12-31", "new_deadline": "2027-06-30", "kind": "case_notice",
        "value": "1", f"indicator-{foreign}": "1",
    }


def _json(foreign: int) -> dict:
    return {
        "case_ids": [foreign], "operation": "urge", "case_id": foreign, "id": foreign,
        "parent_id": foreign, "indicator_id": foreign, "lead_department_id": foreign,
        "new_department_id": foreign, "department_id": foreign, "partner_department_ids": [foreign],
        "action_id": foreign, "transition": "accept", "approve": True, "comment": "矩阵测试",
        "note": "矩阵测试", "reason": "矩阵测试", "text": "矩阵测试", "percent": 50,
        "title": "矩阵测试", "deadline": "2026-12-31", "new_deadline": "2027-06-30",
        "kind": "case_notice", "value": 1, "values": {str(foreign): 1},
        "indicator_values": {str(foreign): 1}, "roles": [foreign], "users": [foreign],
        "permission_view_menu_ids": [foreign], "group_ids": [foreign], "user_ids": [foreign],
        "email": False, "webhook": False,
    }


def _fingerprint(app, case_ids) -> str:
    """One hash of every row of these cases and of every row that belongs to them."""
    from app.extensions import db

    if not case_ids:
        return ""
    ids = sorted(case_ids)
    parts = []
    with app.app_context():
        try:
            parts.append(db.session.scalar(text(
                'SELECT md5(string_agg(t::text, \'|\' ORDER BY t.id)) FROM "case" t '
                "WHERE t.id = ANY(:ids)"), {"ids": ids}))
            for table in CASE_TABLES:
                parts.append(db.session.scalar(text(
                    f"SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t "
                    "WHERE t.case_id = ANY(:ids)"), {"ids": ids}))
        finally:
            db.session.remove()
    return "/".join(p or "-" for p in parts)


def _flashed(client) -> str:
    """The messages flashed for the next page, removed (so each is blamed on its request)."""
    with client.session_transaction() as session:
        messages = session.pop("_flashes", [])
    return " ".join(str(m[1]) for m in messages)


def test_no_identity_writes_or_sees_a_foreign_case_on_any_write_route(app, fresh_db):
    from app.extensions import db
    from app.models import Case

    _mark_titles(app)
    with app.app_context():
        highest = db.session.scalar(select(func.max(Case.id)))
        db.session.remove()
    routes = _write_routes(app)
    requests, leaks, errors, statuses = 0, [], [], Counter()
    for username in IDENTITIES:
        hidden = _hidden_ids(app, username)
        foreign = min(hidden) if hidden else highest
        guarded = hidden or (_hidden_ids(app, None) if username == "leader" else set())
        before = _fingerprint(app, guarded)
        ui, api = app.test_client(), app.test_client()
        bearer = {}
        if username:
            login(ui, username)
            bearer = {"Authorization": f"Bearer {api_token(app.test_client(), username)}"}
        _flashed(ui)
        for rule in routes:
            if username == "leader" and rule.endpoint in LEADER_WRITES:
                continue
            names = _actions(app, rule.endpoint) if rule.endpoint.endswith(
                (".action", ".action_post")) else ["x"]
            for method in sorted(set(UNSAFE) & rule.methods):
                for action in names:
                    url = _path(rule, foreign, action)
                    where = f"{username} {method} {url} ({action})"
                    requests += 1
                    try:
                        if rule.rule.startswith("/api/"):
                            response = api.open(url, method=method, json=_json(foreign),
                                                headers=bearer)
                        else:
                            response = ui.open(url, method=method, data=_form(foreign, action))
                    except Exception as exc:  # TESTING propagates what would be a 500
                        errors.append(f"{where}: {type(exc).__name__}: {exc}"[:240])
                        continue
                    statuses[response.status_code] += 1
                    if response.status_code >= 500:
                        errors.append(f"{where}: {response.status_code}")
                        continue
                    shown = _text(response) + _flashed(ui)
                    seen = {int(m) for m in re.findall(re.escape(MARK) + r"(\d+)\.", shown)}
                    if seen & hidden:
                        leaks.append(f"{where}: names {len(seen & hidden)} foreign cases")
        if guarded and _fingerprint(app, guarded) != before:
            leaks.append(f"{username}: changed rows of cases it may not change")
    print(f"\naccess matrix (writes): {len(routes)} write routes × {len(IDENTITIES)} identities = "
          f"{requests} requests; leaks {len(leaks)}; server errors {len(errors)}; "
          f"statuses {dict(sorted(statuses.items()))}")
    for line in leaks + errors:
        print("  ", line)
    assert not leaks, leaks[:10]
    assert not errors, errors[:10]
