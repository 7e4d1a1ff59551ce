"""A shortened run of bench/load.py inside the suite (issue 15, item 6): gunicorn (2 workers)
on a copy of the seeded database with Redis, LOAD_USERS users (20) for LOAD_SECONDS (20 s)
mixing case lists, case pages, progress and colliding transitions. The full run is
`python -m bench.load` (200 users × 5 minutes).
"""

from __future__ import annotations

import os

from bench.load import (
    history_check,
    max_history_id,
    run_load,
    start_server,
    stop_server,
    worker1_cases,
)
from tests.integration.conftest import TEST_REDIS_URL, URL, recreate_database

USERS = int(os.environ.get("LOAD_USERS", 20))
SECONDS = float(os.environ.get("LOAD_SECONDS", 20))


def test_concurrent_users_get_no_error_but_409s_and_every_transition_one_history_row(seed_database):
    name = f"{URL.database}_load"
    recreate_database(name, template=seed_database)
    database_url = URL.set(database=name).render_as_string(hide_password=False)
    process, base = start_server(database_url, TEST_REDIS_URL)
    try:
        cases = worker1_cases(database_url)
        before = max_history_id(database_url)
        result = run_load(base, USERS, SECONDS, cases)
        rows = history_check(database_url, before)
    finally:
        stop_server(process)
        recreate_database(name)
    print(f"\nload: {USERS} users × {SECONDS:.0f}s: {result['requests']} requests, "
          f"{result['errors']} errors, {result['conflicts_409']} conflicts (409), "
          f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms; "
          f"{result['transitions_ok']} transitions, {rows} history rows, "
          f"{result['resent_after_reset']} sent again after a dropped connection")
    assert result["errors"] == 0, result["first_errors"]
    # A dropped connection is retried once, as browsers do; more than a handful is a fault.
    assert result["resent_after_reset"] <= max(1, result["requests"] // 500), result["first_resent"]
    assert result["transitions_ok"] > 0 and result["requests"] > USERS
    assert rows == result["transitions_ok"]
