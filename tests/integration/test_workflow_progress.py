"""Progress updates: note, percent, indicator actuals, evidence files checked by content."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["项目", "投资额（亿元）"])
    book.active.append(["新能源项目", 20])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(wf, username, case_id, files, note="本旬进展", percent="40", indicators=None):
    data = {"note": note, "percent": percent, "files": [(io.BytesIO(b), n) for b, n in files]}
    if indicators is not None:
        data["indicators"] = indicators
    return wf.call(username, "POST", f"/api/v1/case/{case_id}/progress", data=data,
                   content_type="multipart/form-data")


def stored_files(app) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"]) / "evidence"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def indicator_case(wf, app):
    """A worker1 action-1 case with targets: (case id, [indicator ids])."""
    from app.extensions import db
    from app.models import Indicator

    for case_id in wf.worker1_cases():
        with app.app_context():
            ids = list(db.session.scalars(select(Indicator.id).where(Indicator.case_id == case_id)))
            db.session.remove()
        if ids:
            return case_id, ids
    pytest.fail("no worker1 action-1 case has indicators")


def test_progress_with_indicators_over_json(fresh_db, wf, app):
    from app.models import IndicatorActual, OutboxEvent, ProgressUpdate

    case_id, indicators = indicator_case(wf, app)
    response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress", json={
        "note": "新引进项目2个", "percent": 35, "indicators": {str(indicators[0]): "2.5"},
    })
    assert response.status_code == 201, response.get_json()
    result = response.get_json()["result"]
    assert result["percent_done"] == 35 and result["note"] == "新引进项目2个"
    assert Decimal(result["indicators"][str(indicators[0])]) == Decimal("2.5")

    case = wf.case(case_id)
    assert case["percent_done"] == 35 and case["last_progress_at"] is not None
    assert wf.count(ProgressUpdate, case_id=case_id) == 1
    assert wf.count(IndicatorActual, indicator_id=indicators[0]) == 1
    assert wf.count(OutboxEvent, case_id=case_id, kind="case.progress") == 1
    entry = wf.history(case_id, "progress")[-1]
    assert entry["comment"] == "新引进项目2个" and entry["data"]["percent"] == 35
    assert entry["actor_name"] == "经办人 一"


def test_progress_with_evidence_files(fresh_db, wf, app):
    from app.models import EvidenceFile

    case_id = wf.worker1_cases()[0]
    files = [(PDF, "会议纪要.pdf"), (PNG, "现场照片.PNG"), (xlsx_bytes(), "项目台账.xlsx"),
             ("本旬完成签约2个。".encode(), "说明.txt")]
    response = upload(wf, "worker1", case_id, files)
    assert response.status_code == 201, response.get_json()
    evidence = response.get_json()["result"]["evidence"]
    assert [e["name"] for e in evidence] == [name for _, name in files]
    assert [e["content_type"] for e in evidence] == [
        "application/pdf", "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/plain",
    ]
    assert wf.count(EvidenceFile, case_id=case_id) == 4
    for item, (content, name) in zip(evidence, files, strict=True):
        download = wf.call("lead1", "GET", f"/api/v1/case/{case_id}/evidence/{item['id']}")
        assert download.status_code == 200 and download.data == content
        assert quote(name) in download.headers["Content-Disposition"]  # the original name
    history = wf.call("worker1", "GET", f"/api/v1/case/{case_id}/history").get_json()["result"]
    assert [e["name"] for e in history[-1]["data"]["evidence"]] == [n for _, n in files]


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (EXE, "进展报告.pdf", "file_type"),  # an executable renamed .pdf
        (b"PK\x03\x04" + b"\x00" * 100, "材料.zip", "file_type"),  # archives are refused
        (PDF, "report.exe", "file_type"),  # a PDF whose name says otherwise
        (PNG, "照片.pdf", "file_type"),
        (b"", "空文件.pdf", "file_empty"),
    ],
)
def test_wrong_file_types_are_refused_and_nothing_is_written(fresh_db, wf, app, content, name, code):
    from app.models import EvidenceFile, ProgressUpdate

    case_id = wf.worker1_cases()[0]
    before_files, history = stored_files(app), len(wf.history(case_id))
    response = upload(wf, "worker1", case_id, [(PDF, "合格.pdf"), (content, name)])
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["code"] == code and name in body["message"]
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert wf.count(EvidenceFile, case_id=case_id) == 0
    assert len(wf.history(case_id)) == history
    assert stored_files(app) == before_files
    assert wf.case(case_id)["percent_done"] == 0


def test_oversize_file_is_refused(fresh_db, wf, app, monkeypatch):
    from app.models import ProgressUpdate

    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1024)
    case_id = wf.worker1_cases()[0]
    before = stored_files(app)
    response = upload(wf, "worker1", case_id, [(PDF + b"0" * 1024, "大文件.pdf")])
    assert response.status_code == 422
    assert response.get_json() == {
        "code": "file_too_large", "message": "文件“大文件.pdf”超过大小限制（1 KB）。",
    }
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert stored_files(app) == before


def test_upload_over_the_request_limit_is_413(fresh_db, wf, app, monkeypatch):
    from app.models import ProgressUpdate

    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    case_id = wf.worker1_cases()[0]
    response = upload(wf, "worker1", case_id, [(PDF + b"0" * 8192, "大文件.pdf")])
    assert response.status_code == 413
    assert response.get_json()["code"] == "file_too_large"
    assert wf.count(ProgressUpdate, case_id=case_id) == 0


def test_files_are_removed_when_the_transaction_fails(fresh_db, wf, app, monkeypatch):
    """A database error after the files were written leaves neither rows nor files."""
    from app.models import EvidenceFile, ProgressUpdate
    from app.services import outbox

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(outbox, "record_event", broken)
    case_id = wf.worker1_cases()[0]
    before = stored_files(app)
    with pytest.raises(RuntimeError):
        from werkzeug.datastructures import FileStorage

        wf.act("worker1", "add_progress", case_id, note="x", percent=10,
               files=[FileStorage(io.BytesIO(PDF), "a.pdf")])
    assert stored_files(app) == before
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert wf.count(EvidenceFile, case_id=case_id) == 0


BAD_PROGRESS = [
    ({"note": "", "percent": 10}, "missing_input", "请填写进展说明。"),
    ({"note": "x", "percent": 101}, "invalid_percent", "完成进度须为 0 到 100 之间的整数。"),
    ({"note": "x", "percent": -1}, "invalid_percent", None),
    ({"note": "x", "percent": "五十"}, "invalid_percent", None),
    ({"note": "x", "percent": 10, "indicators": {"999999": 1}}, "invalid_indicators",
     "指标 999999 不属于此事项。"),
    ({"note": "x", "percent": 10, "indicators": {"OWN": "很多"}}, "invalid_indicators", None),
    ({"note": "x", "percent": 10, "indicators": {"OWN": "1e20"}}, "invalid_indicators", None),
    ({"note": "x" * 5001, "percent": 10}, "invalid_input", None),
]


def test_bad_progress_input_is_422(fresh_db, wf, app):
    from app.models import ProgressUpdate

    case_id, indicators = indicator_case(wf, app)
    for body, code, message in BAD_PROGRESS:
        if "OWN" in body.get("indicators", {}):
            body = {**body, "indicators": {str(indicators[0]): body["indicators"]["OWN"]}}
        response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["code"] == code
        if message:
            assert response.get_json()["message"] == message
    assert wf.count(ProgressUpdate, case_id=case_id) == 0
    assert wf.case(case_id)["percent_done"] == 0


def test_indicator_of_another_case_is_refused(fresh_db, wf, app):
    from app.extensions import db
    from app.models import Indicator

    case_id, _ = indicator_case(wf, app)
    with app.app_context():
        other = db.session.scalar(
            select(Indicator.id).where(Indicator.case_id.isnot(None), Indicator.case_id != case_id)
        )
        db.session.remove()
    response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress",
                       json={"note": "x", "percent": 10, "indicators": {str(other): 1}})
    assert response.status_code == 422


def test_partner_caseworkers_report_progress_but_do_not_accept(fresh_db, wf, app):
    """worker2's department made a partner of a worker1 case: it sees it and reports on it."""
    from app.extensions import db
    from app.models import Case, Department

    case_id = wf.worker1_cases()[0]
    with app.app_context():
        case = db.session.get(Case, case_id)
        case.partner_departments.append(
            db.session.scalar(select(Department).where(Department.name == "区科学技术局"))
        )
        db.session.commit()
        db.session.remove()
    assert wf.call("worker2", "GET", f"/api/v1/case/{case_id}").status_code == 200
    # A partner's note is a contribution: it does not set the case's percent (the lead's).
    response = wf.call("worker2", "POST", f"/api/v1/case/{case_id}/progress",
                       json={"note": "配合完成科技企业摸底", "percent": 20})
    assert response.status_code == 403 and "只有牵头单位" in response.get_json()["message"]
    response = wf.call("worker2", "POST", f"/api/v1/case/{case_id}/progress",
                       json={"note": "配合完成科技企业摸底"})
    assert response.status_code == 201 and response.get_json()["result"]["contribution"] is True
    assert wf.call("worker2", "GET", f"/api/v1/case/{case_id}").get_json()["result"]["percent_done"] == 0
    assert wf.transition("worker2", case_id, "accept").status_code == 403


def test_no_progress_on_a_closed_case_and_none_from_others(fresh_db, wf):
    case_id = wf.worker1_cases()[0]
    for username in ("lead1", "office", "admin"):
        response = wf.call(username, "POST", f"/api/v1/case/{case_id}/progress",
                           json={"note": "x", "percent": 10})
        assert response.status_code == 403, username
    wf.drive(case_id, "closed")
    response = wf.call("worker1", "POST", f"/api/v1/case/{case_id}/progress",
                       json={"note": "x", "percent": 10})
    assert response.status_code == 409
    assert response.get_json()["message"] == "此事项已办结，须重新交办后才能填报进展。"
