"""A refused progress update in the browser keeps what the user typed (issue 10, item 8).

The case page's 报送进展 dialog posts a form; when the service refuses it (a file too large
or of the wrong kind, a bad percent), the page comes back with the dialog open, the note,
percent and indicator values as typed, and the reason in Chinese. Nothing is saved.
"""

from __future__ import annotations

import html
import io
import re

import pytest

from tests.integration.conftest import login
from tests.integration.test_workflow_progress import EXE, PDF, indicator_case, stored_files

NOTE = "本旬完成项目选址，签约两家企业 <b>待核</b>"


def _post(app, case_id, files, percent="45", indicators=None, client=None):
    if client is None:
        client = app.test_client()
        login(client, "worker1")
    data = {"note": NOTE, "percent": percent,
            "files": [(io.BytesIO(body), name) for body, name in files]}
    for indicator_id, value in (indicators or {}).items():
        data[f"indicator-{indicator_id}"] = value
    return client.post(f"/caseview/progress/{case_id}", data=data,
                       content_type="multipart/form-data")


def _dialog(page: str) -> str:
    return page[page.index('id="dlg-progress"'):page.index('id="dlg-progress"') + 8000]


@pytest.mark.parametrize("files, message", [
    ([(PDF + b"0" * 2048, "验收材料.pdf")], "文件“验收材料.pdf”超过大小限制（1 KB）。"),
    ([(EXE, "照片.png")], "照片.png"),
])
def test_a_refused_upload_comes_back_with_what_was_typed(fresh_db, wf, app, monkeypatch,
                                                         files, message):
    from app.models import EvidenceFile, ProgressUpdate

    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    case_id, indicators = indicator_case(wf, app)
    before, history = stored_files(app), len(wf.history(case_id))

    response = _post(app, case_id, files, indicators={indicators[0]: "2.5"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    dialog = _dialog(page)
    error = re.search(r'<div id="progress-error"[^>]*role="alert"[^>]*>(.*?)</div>', dialog, re.S)
    assert error and message in html.unescape(error.group(1))
    assert "本次进展未保存" in error.group(1) and " hidden" not in error.group(0)
    # What was typed, escaped, in the fields it was typed in.
    assert f">{html.escape(NOTE)}</textarea>" in dialog
    assert re.search(r'id="progress-percent"[^>]*value="45"', dialog)
    assert re.search(rf'id="indicator-{indicators[0]}"[^>]*value="2.5"', dialog, re.S)
    assert "$('#dlg-progress').modal('show')" in page  # the dialog opens by itself
    # Nothing half-written.
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert wf.count(EvidenceFile, case_id=case_id) == 0
    assert len(wf.history(case_id)) == history
    assert stored_files(app) == before
    assert wf.case(case_id)["percent_done"] == 0


def test_a_bad_percent_keeps_the_note(fresh_db, wf, app):
    case_id = wf.worker1_cases()[0]
    response = _post(app, case_id, [], percent="150")
    assert response.status_code == 422
    dialog = _dialog(response.get_data(as_text=True))
    assert f">{html.escape(NOTE)}</textarea>" in dialog
    assert re.search(r'id="progress-percent"[^>]*value="150"', dialog)


def test_an_accepted_update_goes_back_to_the_case_page(fresh_db, wf, app):
    from app.models import ProgressUpdate

    case_id = wf.worker1_cases()[0]
    client = app.test_client()
    login(client, "worker1")
    response = _post(app, case_id, [(PDF, "验收材料.pdf")], client=client)
    assert response.status_code == 302 and f"/caseview/show/{case_id}" in response.location
    assert wf.count(ProgressUpdate, case_id=case_id) == 1
    shown = client.get(f"/caseview/show/{case_id}").get_data(as_text=True)
    assert "进展反馈已保存（完成 45%）" in shown
    assert "modal('show')" not in shown


@pytest.mark.browser
def test_in_the_browser_the_dialog_keeps_the_text(live_server, browser, wf, app, monkeypatch, tmp_path):
    """Chromium: a file over the limit is stopped before it is sent; a file of the wrong kind
    comes back from the server with the dialog open and the note as typed."""
    from app.models import ProgressUpdate
    from tests.integration.test_accessibility import sign_in

    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    case_id = wf.worker1_cases()[0]
    page = sign_in(browser, live_server, "worker1")
    page.goto(f"{live_server}/caseview/show/{case_id}")

    big, fake = tmp_path / "大文件.pdf", tmp_path / "照片.png"
    big.write_bytes(PDF + b"0" * 4096)
    fake.write_bytes(EXE)
    page.click("#btn-progress")
    page.locator("#dlg-progress").wait_for(state="visible")
    page.fill("#progress-note", NOTE)
    page.fill("#progress-percent", "45")
    page.set_input_files("#progress-files", str(big))
    page.click("#dlg-progress button[type=submit]")
    error = page.locator("#progress-error")
    error.wait_for(state="visible")
    assert "大文件.pdf" in error.inner_text() and "1 KB" in error.inner_text()
    assert page.input_value("#progress-note") == NOTE  # nothing was sent, nothing lost

    page.set_input_files("#progress-files", str(fake))
    with page.expect_navigation():
        page.click("#dlg-progress button[type=submit]")
    page.locator("#dlg-progress").wait_for(state="visible")  # open again by itself
    assert "照片.png" in page.locator("#progress-error").inner_text()
    assert page.input_value("#progress-note") == NOTE
    assert page.input_value("#progress-percent") == "45"
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    page.context.close()
