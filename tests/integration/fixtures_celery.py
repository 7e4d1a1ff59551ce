"""Real background components for integration tests: a Celery worker, SMTP, a webhook receiver.

Fixtures (loaded through `pytest_plugins` in tests/integration/conftest.py):

- `smtp_server` (session): an aiosmtpd server on a free port; `.messages` (email.message
  objects, in arrival order), `.clear()`, `.wait_for(n)`, and `.hold_after(n)` /
  `.release()` to stall the conversation (at RCPT, before the message is accepted) once
  n messages arrived — for killing a sender mid-delivery.
- `webhook_server` (function): a local HTTP server recording every POST as
  `WebhookCall(path, headers, json)`; `.url(path)`; `/wecom…` and `/dingtalk…` paths answer
  like the robots ({"errcode": 0}).
- `celery_worker` (module): ONE real `celery -A tasks.worker worker` subprocess on the test
  database and TEST_REDIS_URL (flushed first), sending mail to `smtp_server`, stopped at the
  end of the module (so it never runs tasks that later modules expect to stay queued). Reuse
  it for any test that needs tasks executed (reports, bulk actions…). It is a `CeleryWorker`:
  `.kill()` (SIGKILL to its whole process group), `.restart()`, `.wait_ready()` (waits for an
  `inspect ping` answer), `.log()` (its output, for assertion messages).
- `celery_worker_factory` (function): `celery_worker_factory(broker_url, **env)` starts another
  worker (e.g. on a private Redis) — stopped at the end of the test.
- `private_redis` (function): a redis-server of our own on a free port, `.stop()` / `.start()`
  (same port) — for broker-outage tests; never stop the shared machine Redis.
- `wait_for(predicate, timeout, message)`: poll until true, else fail.

Each test still gets its data from `fresh_db`; a running worker reconnects by itself
(pool_pre_ping) when fresh_db recreates the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.integration.conftest import TEST_REDIS_URL, VAR_DIR

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")


def free_port() -> int:
    """A TCP port nobody listens on right now (bind port 0, read it, release it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value (returned), or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


# --- SMTP ----------------------------------------------------------------------------------


class SmtpServer:
    """An aiosmtpd server collecting messages; can stall a conversation on demand."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        self._hold_after: int | None = None
        self._released = threading.Event()
        self.holding = threading.Event()  # set while a conversation is stalled
        self.port = free_port()
        self.host = "127.0.0.1"
        self.controller = Controller(_SmtpHandler(self), hostname=self.host, port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.release()
        self.controller.stop()

    def clear(self):
        self.messages.clear()
        self._hold_after = None
        self._released.set()
        self.holding.clear()

    def hold_after(self, count: int):
        """Stall the next conversation at RCPT once `count` messages have arrived."""
        self._released.clear()
        self.holding.clear()
        self._hold_after = count

    def release(self):
        self._hold_after = None
        self._released.set()

    def wait_for(self, count: int, timeout: float = 30):
        wait_for(lambda: len(self.messages) >= count, timeout, message=f"{count} emails")
        return self.messages


class _SmtpHandler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        hold = self.server._hold_after
        if hold is not None and len(self.server.messages) >= hold:
            self.server.holding.set()
            while not self.server._released.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.server.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


# --- webhooks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookCall:
    path: str
    headers: dict
    json: object


class WebhookServer:
    """A local HTTP server recording POSTed JSON; robot paths answer like the robots."""

    def __init__(self):
        calls: list[WebhookCall] = []
        self.calls = calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # http.server calls it by this name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                calls.append(WebhookCall(self.path, dict(self.headers), body))
                status, answer = 200, {"ok": True}
                if self.path.startswith(("/wecom", "/dingtalk")):
                    answer = {"errcode": 0, "errmsg": "ok"}
                if self.path.startswith("/fail"):
                    status, answer = 500, {"error": "down"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def calls_to(self, path: str) -> list[WebhookCall]:
        return [c for c in self.calls if c.path == path]


@pytest.fixture()
def webhook_server():
    server = WebhookServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


# --- Celery worker -------------------------------------------------------------------------


# The flags every test worker runs with; PRODUCTION_WORKER_ARGS are scripts/run's and
# docker-compose's (tests/unit/test_deployment.py keeps them the same).
TEST_WORKER_ARGS = ("--without-gossip", "--without-mingle")
PRODUCTION_WORKER_ARGS = ("--without-gossip", "--without-mingle", "--without-heartbeat")


class CeleryWorker:
    """A real `celery -A tasks.worker worker` subprocess in its own process group."""

    def __init__(self, broker_url: str, env: dict | None = None, *, name: str = "test",
                 concurrency: int = 2, args: tuple[str, ...] = TEST_WORKER_ARGS):
        self.args = tuple(args)
        self.broker_url = broker_url
        self.env = {**os.environ, "REDIS_URL": broker_url, **(env or {})}
        self.env.pop("CELERY_BROKER_URL", None)
        self.hostname = f"{name}-{uuid.uuid4().hex[:8]}@duban-test"
        self.concurrency = concurrency
        self.log_path = VAR_DIR / f"celery-{self.hostname.split('@')[0]}.log"
        self.process: subprocess.Popen | None = None
        self._control = None

    @property
    def control(self):
        """A Celery app on the same broker, for `inspect ping` and sending tasks by name."""
        if self._control is None:
            from celery import Celery

            self._control = Celery("duban-test-control", broker=self.broker_url)
        return self._control

    def send(self, task_name: str, *args, **kwargs):
        """Send a task by name as beat would (on a fresh connection: Redis may have restarted)."""
        with self.control.connection_for_write() as connection:
            return self.control.send_task(task_name, args=args, kwargs=kwargs, connection=connection)

    def _reset_control(self):
        if self._control is not None:
            self._control.close()
            self._control = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 60):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    CELERY, "-A", "tasks.worker", "worker", "--loglevel=INFO",
                    "-n", self.hostname, f"--concurrency={self.concurrency}", *self.args,
                ],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60):
        """Wait until the worker answers `inspect ping`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"celery worker exited:\n{self.log()[-3000:]}")
            inspector = self.control.control.inspect(destination=[self.hostname], timeout=0.5)
            try:
                if inspector.ping():
                    return
            except Exception:  # the broker restarted under our pooled connection: reconnect
                self._reset_control()
                time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s:\n{self.log()[-3000:]}")

    def kill(self):
        """SIGKILL the worker and its pool processes at once (a crash, not a shutdown)."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self):
        """Warm shutdown; SIGKILL when it does not stop in 5 seconds."""
        if not self.alive:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self, timeout: float = 60):
        self.stop()
        return self.start(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _flush_redis(url: str) -> None:
    """Drop leftover messages of earlier runs from OUR Redis database (TEST_REDIS_URL)."""
    import redis

    redis.Redis.from_url(url).flushdb()


def _mail_env(smtp_server) -> dict:
    return {
        "MAIL_SERVER": smtp_server.host, "MAIL_PORT": str(smtp_server.port),
        "MAIL_ENABLED": "1", "MAIL_TIMEOUT": "20",
    }


@pytest.fixture()
def celery_worker_factory(app, smtp_server):
    """`factory(broker_url, **env)` → a started CeleryWorker, stopped when the test ends."""
    workers: list[CeleryWorker] = []

    def factory(broker_url: str = TEST_REDIS_URL, *, name: str = "test", concurrency: int = 2,
                start: bool = True, args: tuple[str, ...] = TEST_WORKER_ARGS,
                **env) -> CeleryWorker:
        worker = CeleryWorker(
            broker_url, {**_mail_env(smtp_server), **env}, name=name, concurrency=concurrency,
            args=args,
        )
        workers.append(worker)
        return worker.start() if start else worker

    yield factory
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def celery_worker(app, smtp_server):
    """The worker on the test database and TEST_REDIS_URL, for the tests of one module.

    Module-scoped on purpose: a consumer left running would execute tasks that later
    modules expect to stay queued.
    """
    _flush_redis(TEST_REDIS_URL)
    worker = CeleryWorker(TEST_REDIS_URL, _mail_env(smtp_server), name="shared").start()
    yield worker
    worker.stop()


class CeleryBeat:
    """A real `celery -A tasks.worker beat` subprocess (its schedule file in VAR_DIR)."""

    def __init__(self, broker_url: str, env: dict | None = None):
        self.env = {**os.environ, "REDIS_URL": broker_url, **(env or {})}
        self.env.pop("CELERY_BROKER_URL", None)
        name = uuid.uuid4().hex[:8]
        self.log_path = VAR_DIR / f"beat-{name}.log"
        self.schedule = VAR_DIR / f"beat-{name}.schedule"
        self.process: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [CELERY, "-A", "tasks.worker", "beat", "--loglevel=INFO",
                 f"--schedule={self.schedule}"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def stop(self):
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture()
def celery_beat_factory(app, smtp_server):
    """`factory(broker_url, **env)` → a started CeleryBeat, stopped when the test ends."""
    beats: list[CeleryBeat] = []

    def factory(broker_url: str, **env) -> CeleryBeat:
        beat = CeleryBeat(broker_url, {**_mail_env(smtp_server), **env})
        beats.append(beat)
        return beat.start()

    yield factory
    for beat in beats:
        beat.stop()


# --- a Redis of our own --------------------------------------------------------------------


class PrivateRedis:
    """A redis-server on a free port, without persistence; stop and start it at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, message="redis-server to start")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture()
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()
