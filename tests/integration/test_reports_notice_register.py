"""The 督办通知单 on the number register (issue 12): its own series, two notices never share a
number, a re-rendered notice keeps its number, and a deleted notice's number is not given again.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from tests.integration.fixtures_reports import pdf_text
from tests.integration.test_reports_generation import case_ids

NUMBER = re.compile(r"鹤督办〔(\d{4})〕(\d+)号")


def _generate(app, report_id: int) -> str:
    """Render the report (again: a done report is queued anew first); its PDF's 发文字号."""
    from app.extensions import db
    from app.models import Report
    from app.services.reports import generate_report

    with app.app_context():
        try:
            report = db.session.get(Report, report_id)
            report.status = "queued"
            db.session.commit()
            report = generate_report(report_id)
            assert report.status == "done", report.error
            pdf = (Path(app.config["REPORT_FOLDER"]) / report.file_name).read_bytes()
        finally:
            db.session.remove()
    found = NUMBER.findall(pdf_text(pdf))
    assert len(set(found)) == 1, found
    year, seq = found[0]
    return f"鹤督办〔{year}〕{seq}号"


def _register(app) -> list[tuple[str, int, int, str]]:
    from app.extensions import db
    from app.models import IssuedNumber

    with app.app_context():
        try:
            return [tuple(r) for r in db.session.execute(
                select(IssuedNumber.prefix, IssuedNumber.year, IssuedNumber.seq, IssuedNumber.subject_key)
                .where(IssuedNumber.kind == "notice").order_by(IssuedNumber.seq))]
        finally:
            db.session.remove()


def test_notices_take_their_numbers_from_the_register_and_never_share_one(app, fresh_db, client, api, tmp_path):
    from app.extensions import db
    from app.models import Report

    first, second = case_ids(app, "区商务局", action_index=1)[:2]
    requests = [("office", first), ("office", second), ("lead1", first), ("office", first)]
    ids = []
    for user, case_id in requests:
        answer = client.post("/api/v1/report/", json={"kind": "notice", "case_id": case_id}, headers=api(user))
        assert answer.status_code == 202, answer.get_json()
        ids.append(answer.get_json()["id"])

    numbers = [_generate(app, report_id) for report_id in ids]
    # Four notices (one by the task force, two for the same case): four numbers, 1–4 in the year.
    assert len(set(numbers)) == 4, numbers
    register = _register(app)
    assert [(prefix, seq, key) for prefix, _year, seq, key in register] == [
        ("鹤督办", n, f"report:{report_id}") for n, report_id in enumerate(ids, start=1)]
    assert [f"鹤督办〔{year}〕{seq}号" for _p, year, seq, _k in register] == numbers

    # Rendered again: the same number. The periodic series are not touched.
    assert _generate(app, ids[0]) == numbers[0]
    # A notice deleted: its number is not given again, and later notices keep theirs.
    with app.app_context():
        db.session.delete(db.session.get(Report, ids[1]))
        db.session.commit()
        db.session.remove()
    assert _generate(app, ids[3]) == numbers[3]
    answer = client.post("/api/v1/report/", json={"kind": "notice", "case_id": second}, headers=api("office"))
    fifth = _generate(app, answer.get_json()["id"])
    assert fifth not in numbers and NUMBER.fullmatch(fifth).group(2) == "5"

    # The CLI issues a notice on the register too; the same case and date keep their number.
    runner = app.test_cli_runner()
    cli_numbers = []
    for _ in range(2):
        out = tmp_path / "通知单.pdf"
        result = runner.invoke(args=["report", "render", "notice", "--case", str(first), "--as-of", "2024-07-01",
                                     "--out", str(out)])
        assert result.exit_code == 0, result.output
        cli_numbers.append(NUMBER.findall(pdf_text(out.read_bytes())))
    assert cli_numbers[0] == cli_numbers[1] == [("2024", "1")]
    # A draft takes no number: the blank 〔　　　　〕　号.
    out = tmp_path / "草稿.pdf"
    result = runner.invoke(args=["report", "render", "notice", "--case", str(first), "--draft", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert NUMBER.findall(pdf_text(out.read_bytes())) == [] and len(_register(app)) == 6
