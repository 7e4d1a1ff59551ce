"""Every Excel export writes a value starting with = + - @ as text, never as a formula (issue 15).

The status export has its own test (test_status_export.py); this one covers the 三张清单
export, whose cells come from imported files: an imported `=HYPERLINK(…)` comes back as text.
"""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

ATTACKS = ['=HYPERLINK("http://example.invalid","点此")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]


def test_the_lists_export_writes_formulas_as_text(app, fresh_db):
    from app.extensions import db
    from app.models import Case
    from app.services.lists import export_cases

    with app.app_context():
        cases = list(db.session.scalars(select(Case).order_by(Case.id).limit(len(ATTACKS))))
        keys = {}
        for case, attack in zip(cases, ATTACKS, strict=True):
            case.text = attack
            case.title = attack
            keys[case.source_key] = attack
        db.session.commit()
        from app.security import actor_for

        office = actor_for(app.appbuilder.sm.find_user(username="office"))
        data, _count = export_cases(office)
        db.session.remove()
    wb = load_workbook(io.BytesIO(data))
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=3):
            key = row[-1].value
            if key in keys:
                found[key] = row[2]
    assert set(found) == set(keys)
    for key, cell in found.items():
        assert cell.data_type == "s", (key, cell.value)
        assert cell.value == keys[key]
        assert cell.quotePrefix
