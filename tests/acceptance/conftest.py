"""The app as users get it: installed and started by `scripts/run`, driven in Chromium.

A copy of the source tree (what `git clone` gives, plus uncommitted edits) is started with
the README's run command: scripts/run makes its own fresh virtualenv with the runtime
dependencies only (`pip install -e .`, no test extras; pip's cache makes it quick), runs
`flask init`, `flask plan load`, `flask demo` (the living demo) and starts gunicorn and a
Celery worker with beat on the zero-install default (SQLite in var/, kombu's filesystem
broker) — exactly what a new user runs. Mail goes to a local SMTP server (aiosmtpd), the
webhook to a local HTTP receiver, both in this process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.request
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "acceptance"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEMO_PASSWORD = "accept-Passw0rd"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """Messages received by the local SMTP server."""

    def __init__(self):
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "message": message,
                                  "subject": str(message["subject"]),
                                  "body": message.get_body(("plain",)).get_content()})
        return "250 OK"

    def wait_for(self, predicate, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [m for m in self.messages if predicate(m)]
            if found:
                return found
            time.sleep(0.5)
        with self.lock:
            subjects = [m["subject"] for m in self.messages]
        raise AssertionError(f"no such mail within {timeout}s; received: {subjects[:20]}")


class Hooks:
    """JSON bodies the local webhook receiver got."""

    def __init__(self):
        self.bodies: list = []


@pytest.fixture(scope="module")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def hooks():
    received = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            received.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, server.server_address[1]
    server.shutdown()


def _source_copy(target: Path) -> None:
    """The files a clone has (tracked, plus new files not ignored), as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
        capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


class Installed:
    """The running installation: its URL, folder and a way to run its flask commands."""

    def __init__(self, folder: Path, url: str, env: dict, output: Path):
        self.folder, self.url, self.env, self.output = folder, url, env, output

    def flask(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.folder / ".venv/bin/flask"), *args], cwd=self.folder, env=self.env,
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def sql(self, query: str, params: tuple = ()) -> list:
        with sqlite3.connect(self.folder / "var/duban.sqlite", timeout=30) as conn:
            rows = conn.execute(query, params).fetchall()
            conn.commit()
        return rows


@pytest.fixture(scope="module")
def installed(mailbox, hooks):
    """scripts/run, started from a copy of the tree, for this module (stopped before the rest of the suite)."""
    _, smtp_port = mailbox
    folder = Path(tempfile.mkdtemp(prefix="duban-acceptance-")) / "duban"
    folder.mkdir()
    _source_copy(folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "REDIS_URL", "CELERY_", "TEST_", "DUBAN_", "MAIL_",
                               "FLASK_", "VIRTUAL_ENV", "PYTHONPATH", "SECRET_KEY"))
    }
    env.update(HOST="127.0.0.1", PORT=str(port), DEMO_PASSWORD=DEMO_PASSWORD,
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_SENDER="duban@localhost",
               MAIL_LINK_BASE_URL=url, FLASK_APP="app:create_app")
    env["PATH"] = ":".join(p for p in env.get("PATH", "").split(":") if "/.venv/" not in p)
    output = ARTIFACTS / "scripts-run.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = output.open("w")
    started = time.monotonic()
    process = subprocess.Popen(["bash", "scripts/run"], cwd=folder, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"scripts/run exited ({process.returncode}):\n{output.read_text()[-4000:]}")
            if "已启动" in output.read_text():
                break
            time.sleep(1)
        else:
            raise AssertionError(f"scripts/run did not start in time:\n{output.read_text()[-4000:]}")
        urllib.request.urlopen(f"{url}/login/", timeout=30).read()
        (ARTIFACTS / "timing.txt").write_text(f"scripts/run ready after {time.monotonic() - started:.0f} s\n")
        yield Installed(folder, url, {**env, "PATH": f"{folder}/.venv/bin:{env['PATH']}"}, output)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        for name in ("web.log", "worker.log", "access.log"):
            if (folder / "var" / name).exists():
                shutil.copy2(folder / "var" / name, ARTIFACTS / name)
        shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--lang=zh-CN",
                  "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def shoot(request):
    """`shoot(page, name)`: the page at desktop size and at 390 px, full length."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str):
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    return take
