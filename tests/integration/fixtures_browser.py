"""Fixtures for the UI tests: signed-in test clients, a live server, headless Chromium.

Chromium is Debian's (/usr/bin/chromium) driven by Playwright's sync API; no browser is
downloaded. Screenshots go to test-artifacts/screenshots/ (gitignored).
"""

from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import login

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--lang=zh-CN",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def as_user(app):
    """`as_user(name)` → a test client signed in as that demo user (one login per run).

    The session cookie only holds the user's id, which the seeded template keeps, so a
    client stays signed in across `fresh_db` resets.
    """
    clients = {}

    def client_for(username: str):
        if username not in clients:
            client = app.test_client()
            page = login(client, username).get_data(as_text=True)
            assert "退出" in page or "注销" in page, f"{username} could not sign in"
            clients[username] = client
        return clients[username]

    return client_for


@pytest.fixture()
def live_server(app, fresh_db):
    """The app on a free port of 127.0.0.1, in a thread, on a fresh test database."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from Debian's package, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def screenshot():
    """`screenshot(page, name)` saves a PNG under test-artifacts/screenshots/.

    Full page by default; with `dialog=True` the viewport once Bootstrap's fade-in is over
    (a modal's backdrop only covers the viewport).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, dialog: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        if dialog:
            page.wait_for_function("document.querySelector('.modal.in') !== null")
            page.wait_for_timeout(400)  # Bootstrap 3's fade lasts 300 ms
        page.screenshot(path=str(path), full_page=not dialog)
        return path

    return save


def small_pdf(text: str = "evidence") -> bytes:
    """A small valid one-page PDF (its content type is checked by magic bytes)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- reading pages -----------------------------------------------------------------------


def html(response) -> str:
    """A 200 response's HTML."""
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def flashes(page: str) -> list[tuple[str, str]]:
    """(category, text) of the flashed messages on a page."""
    found = re.findall(
        r'<div class="alert alert-(\w+)">\s*<button[^>]*>&times;</button>\s*(.*?)\s*</div>',
        page, re.S,
    )
    return [(category, re.sub(r"\s+", " ", text)) for category, text in found]


def link(case_id: int) -> str:
    """How a list or queue links to a case's page."""
    return f'href="/caseview/show/{case_id}"'


def scalar(app, query):
    """One value from the test database, in a throwaway app context."""
    from app.extensions import db

    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()
