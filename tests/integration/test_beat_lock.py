"""One beat sends at a time (issue 14, scaling out): a second `celery beat`, started by mistake
or as a standby against the same PostgreSQL and Redis, sends nothing while the first runs, and
takes over when the first dies.

Real processes: two `celery -A tasks.worker beat` subprocesses (the production command, each
with its own state file) on the test database and TEST_REDIS_URL, with the periodic entries
shortened to 2, 3 and 4 seconds. No worker runs, so every message beat publishes stays in the
broker's `celery` list, where it is counted by task name.
"""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import redis

from tests.integration.conftest import TEST_REDIS_URL
from tests.integration.fixtures_celery import wait_for

pytestmark = pytest.mark.skipif(not TEST_REDIS_URL.startswith("redis"), reason="needs Redis")

INTERVALS = {"outbox.relay_pending": 2, "notifications.deliver_pending": 3, "reports.sweep_stale": 4}
ENV = {"OUTBOX_RELAY_SECONDS": "2", "DELIVERY_SECONDS": "3", "REPORT_SWEEP_SECONDS": "4"}
WINDOW = 12  # seconds of counting: 6, 4 and 3 intervals


def published(broker: redis.Redis) -> dict[str, int]:
    counts: dict[str, int] = {}
    for raw in broker.lrange("celery", 0, -1):
        task = json.loads(raw)["headers"]["task"]
        counts[task] = counts.get(task, 0) + 1
    return counts


def count_over_window(broker: redis.Redis) -> dict[str, int]:
    broker.delete("celery")
    time.sleep(WINDOW)
    return published(broker)


def assert_once_per_interval(counts: dict[str, int], logs: str) -> None:
    for task, seconds in INTERVALS.items():
        expected = WINDOW / seconds
        # One beat: the window holds `expected` sends, give or take the one at its edges.
        # Two beats sending would publish about twice as many.
        assert expected - 1 <= counts.get(task, 0) <= expected + 1, (task, counts, logs[-3000:])


def test_a_second_beat_sends_nothing_and_takes_over_when_the_first_dies(app, fresh_db, celery_beat_factory):
    broker = redis.Redis.from_url(TEST_REDIS_URL)
    broker.flushdb()
    first = celery_beat_factory(TEST_REDIS_URL, **ENV)
    wait_for(lambda: "holding the beat lock" in first.log(), 60, message=f"the first beat's lock\n{first.log()}")
    second = celery_beat_factory(TEST_REDIS_URL, **ENV)
    wait_for(lambda: "standing by" in second.log(), 60, message=f"the second beat standing by\n{second.log()}")

    counts = count_over_window(broker)
    assert_once_per_interval(counts, first.log() + second.log())
    assert "Sending due task" in first.log()
    assert "Sending due task" not in second.log(), second.log()
    assert first.alive and second.alive

    # The first beat dies without a goodbye (SIGKILL: no close, no lock release of its own).
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    wait_for(lambda: "holding the beat lock" in second.log(), 15,
             message=f"the second beat taking over\n{second.log()}")
    counts = count_over_window(broker)
    assert_once_per_interval(counts, second.log())
    assert "Sending due task" in second.log()
