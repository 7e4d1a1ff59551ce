"""Schemathesis over the whole OpenAPI (issue 15, item 3): every operation of
/api/v1/_openapi, with requests generated from its schema (path parameters, query strings,
bodies — fitting the schema and breaking it), as the office and as a caseworker: no answer
is a server error.

Bounded for the suite: DUBAN_FUZZ_EXAMPLES examples per operation, identity and mode (default 4),
generated from a fixed seed so that the suite is repeatable (DUBAN_FUZZ_RANDOM=1 draws new
ones each run; raise the examples for a longer hunt). The spec is read as the admin (only
admins may open it); the requests carry the office's or worker1's bearer token. Writes the
fuzz makes are undone afterwards (restored_db).
"""

from __future__ import annotations

import os
import time
from collections import Counter

import hypothesis
import schemathesis

from tests.integration.conftest import api_token

EXAMPLES = int(os.environ.get("DUBAN_FUZZ_EXAMPLES", "4"))
RANDOM = os.environ.get("DUBAN_FUZZ_RANDOM") == "1"
IDENTITIES = ("office", "worker1")
# Requests that fit the schema, and requests that break it (wrong types, missing fields,
# values out of range): both must be answered without a server error.
MODES = ("positive", "negative")  # schemathesis.GenerationMode values


def test_no_operation_answers_a_server_error_to_generated_requests(app, fresh_db, restored_db):
    client = app.test_client()
    admin = {"Authorization": f"Bearer {api_token(client, 'admin')}"}
    spec = client.get("/api/v1/_openapi", headers=admin).get_json()
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    tokens = {user: {"Authorization": f"Bearer {api_token(client, user)}"} for user in IDENTITIES}
    statuses: Counter = Counter()
    errors: list[str] = []
    started = time.monotonic()
    skipped = Counter()
    for operation in operations:
        for user, headers in tokens.items():
            for mode in MODES:
                try:
                    _probe(app, operation, mode, user, headers, statuses, errors)()
                except (hypothesis.errors.Unsatisfiable, hypothesis.errors.FailedHealthCheck):
                    skipped[mode] += 1  # nothing that breaks this operation's schema this way
    requests = sum(statuses.values()) + len(errors)
    print(f"\nschemathesis: {len(operations)} operations × {len(IDENTITIES)} identities × "
          f"{len(MODES)} modes × ≤{EXAMPLES} examples = {requests} requests in "
          f"{time.monotonic() - started:.0f} s (no negative case: {dict(skipped)}); "
          f"server errors {len(errors)}; statuses {dict(sorted(statuses.items()))}")
    for line in errors[:20]:
        print("  ", line)
    assert len(operations) > 30, "the spec lost its operations"
    assert not errors, errors[:5]


def _probe(app, operation, mode, user, headers, statuses, errors):
    """A hypothesis test of one operation as one identity, recording statuses and errors."""
    from hypothesis import HealthCheck, Phase, given, settings

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
    def probe(case):
        where = (f"{user} {mode} {operation.method.upper()} {operation.path} "
                 f"path={case.path_parameters} query={case.query} body={case.body!r}")
        try:
            response = case.call(app=app, headers=headers)
        except Exception as exc:  # TESTING propagates what would be a 500
            errors.append(f"{where}: {type(exc).__name__}: {exc}"[:400])
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            errors.append(f"{where}: {response.status_code} {response.text[:200]}"[:400])

    return probe
