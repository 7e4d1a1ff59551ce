"""The run command and docker-compose keep dead processes running (issue 15, item 2).

- scripts/run and docker-compose.yml start the worker with the flags the outage test ran
  (tests/integration/test_broker_outage.py uses PRODUCTION_WORKER_ARGS);
- compose restarts every long-running service;
- scripts/common.sh's `supervise` starts a killed process again, without anyone's help.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

from tests.integration.fixtures_celery import PRODUCTION_WORKER_ARGS

ROOT = Path(__file__).resolve().parents[2]


def test_compose_restarts_every_service_and_runs_the_tested_worker_flags():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name].get("restart") == "unless-stopped", name
    worker = services["worker"]["command"]
    assert all(flag in worker for flag in PRODUCTION_WORKER_ARGS), worker


def test_scripts_run_supervises_the_worker_and_beat_with_the_tested_flags():
    run = (ROOT / "scripts" / "run").read_text()
    for flag in PRODUCTION_WORKER_ARGS:
        assert flag in run
    assert "supervise worker" in run and "supervise beat" in run and "supervise web" in run


def test_supervise_starts_a_killed_process_again(tmp_path):
    starts = tmp_path / "starts"
    script = f"""
        source {ROOT / 'scripts' / 'common.sh'}
        pids=()
        supervise sleeper {tmp_path / 'log'} sh -c 'echo $$ >> {starts}; exec sleep 60'
        wait
    """
    supervisor = subprocess.Popen(["bash", "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not starts.exists():
            time.sleep(0.1)
        first = int(starts.read_text().split()[0])
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(starts.read_text().split()) < 2:
            time.sleep(0.1)
        pids = [int(p) for p in starts.read_text().split()]
        assert len(pids) == 2 and pids[1] != first
        os.kill(pids[1], 0)  # the new one is alive
        assert "sleeper exited (status 137); restarting" in (tmp_path / "log").read_text()
    finally:
        os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.wait(5)


def test_the_tls_compose_file_puts_a_restarting_proxy_in_front_and_turns_tls_on():
    text = (ROOT / "docker-compose.tls.yml").read_text()
    # yaml.safe_load does not know compose's !reset tag: read it with a loader that ignores it.

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!reset", lambda loader, node: [])
    tls = yaml.load(text, Loader=Loader)
    assert tls["services"]["proxy"]["restart"] == "unless-stopped"
    assert tls["services"]["web"]["environment"] == {"DUBAN_TLS": "1", "DUBAN_PROXY_FIX": "1"}
    assert tls["services"]["web"]["ports"] == []
    nginx = (ROOT / "deploy" / "nginx-tls.conf").read_text()
    assert "X-Forwarded-Proto https" in nginx and "return 301 https://" in nginx
