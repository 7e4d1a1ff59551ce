"""Search on every case list (?q=WORDS), filter chips, the list's title and saved filters."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.integration.fixtures_browser import flashes, html

LISTS = {
    "CaseView": "/caseview/list/",
    "MyCasesView": "/mycasesview/list/",
    "ToAcceptView": "/toacceptview/list/",
    "OverdueView": "/overdueview/list/",
}


def found_ids(client, url: str, q: str, **more) -> set[int]:
    """The case ids a list shows for the search words (every row on one page)."""
    view = {v: k for k, v in LISTS.items()}.get(url, "CaseView")
    extra = "".join(f"&{k}={quote(str(v))}" for k, v in more.items())
    page = html(client.get(f"{url}?q={quote(q)}&psize_{view}=500{extra}"))
    return {int(i) for i in re.findall(r'href="/caseview/show/(\d+)"', page)}


def cases_as_text(app):
    """Every case with the text the search looks into, read plainly (no search code)."""
    from app.extensions import db
    from app.models import Case

    with app.app_context():
        rows = {}
        for case in db.session.scalars(select(Case)):
            departments = [case.lead_department] if case.lead_department else []
            departments += list(case.partner_departments)
            names = [n for d in departments for n in (d.name, d.short_name) if n]
            rows[case.id] = {
                "key": case.source_key, "title": case.title, "text": case.text,
                "departments": names,
            }
        db.session.remove()
        return rows


def matches(row: dict, word: str) -> bool:
    return (word in row["title"] or word in row["text"] or row["key"] == word
            or any(word in name for name in row["departments"]))


@pytest.fixture(scope="module")
def cases(app):
    return cases_as_text(app)


def test_a_word_from_the_plan_text_finds_its_case(app, as_user, cases):
    # A case whose plan sentence says more than its title: four characters of it found only there.
    case_id, word = next(
        (cid, row["text"][i:i + 4])
        for cid, row in sorted(cases.items())
        for i in range(0, max(0, len(row["text"]) - 4), 3)
        if row["text"][i:i + 4].strip() and row["text"][i:i + 4] not in row["title"]
        and not re.search(r"[,，。、;；\s]", row["text"][i:i + 4])
    )
    found = found_ids(as_user("office"), "/caseview/list/", word)
    assert case_id in found
    assert found == {cid for cid, row in cases.items() if matches(row, word)}


def test_a_department_name_finds_its_cases(app, as_user, cases):
    expected = {cid for cid, row in cases.items() if matches(row, "区商务局")}
    assert len(expected) > 1
    assert found_ids(as_user("office"), "/caseview/list/", "区商务局") == expected


def test_a_short_department_name_finds_its_cases(app, as_user, cases):
    expected = {cid for cid, row in cases.items() if matches(row, "区工信局")}
    assert expected
    assert found_ids(as_user("office"), "/caseview/list/", "工信") >= expected


def test_a_plan_number_finds_its_case(app, as_user, cases):
    case_id, row = sorted(cases.items())[20]
    found = found_ids(as_user("office"), "/caseview/list/", row["key"])
    assert case_id in found
    # 编号 is matched exactly ("1-1" is not "1-10"); other hits contain it in their text.
    assert all(cid == case_id or row["key"] in cases[cid]["text"] for cid in found)


def test_several_words_must_all_match(app, as_user, cases):
    one = {cid for cid, row in cases.items() if matches(row, "区商务局")}
    both = {cid for cid, row in cases.items() if matches(row, "区商务局") and matches(row, "消费")}
    found = found_ids(as_user("office"), "/caseview/list/", "区商务局 消费")
    assert found == both
    assert found < one


def test_search_is_contains_not_starts_with(app, as_user, cases):
    # A word from the middle of a title, not its start.
    case_id, row = next((cid, row) for cid, row in sorted(cases.items()) if len(row["title"]) > 8)
    word = row["title"][3:7]
    assert case_id in found_ids(as_user("office"), "/caseview/list/", word)
    page = html(as_user("office").get("/caseview/list/"))
    assert "以开始" not in page and "开始于" not in page


def test_a_caseworkers_search_never_returns_another_departments_case(app, as_user, cases):
    from app.access import visible_cases_clause
    from app.extensions import db
    from app.models import Case
    from app.security import actor_for

    with app.app_context():
        user = app.appbuilder.sm.find_user(username="worker2")
        visible = set(db.session.scalars(select(Case.id).where(visible_cases_clause(actor_for(user)))))
        db.session.remove()
    worker1_department_cases = found_ids(as_user("office"), "/caseview/list/", "区商务局")
    assert worker1_department_cases - visible, "worker1's department has cases worker2 may not see"
    for url in ("/caseview/list/", "/mycasesview/list/", "/toacceptview/list/"):
        found = found_ids(as_user("worker2"), url, "区商务局")
        assert found <= visible
        assert not found & (worker1_department_cases - visible)
    # A word that matches everything still shows only worker2's cases.
    assert found_ids(as_user("worker2"), "/caseview/list/", "2024") <= visible
    # And the export of the search is narrowed the same way.


def test_search_works_on_every_queue(app, as_user, cases):
    office = as_user("office")
    for url in ("/overdueview/list/", "/tocloseview/list/", "/mycasesview/list/"):
        page = html(office.get(f"{url}?q=区商务局"))
        assert 'name="q"' in page and 'value="区商务局"' in page


def test_chips_show_each_filter_and_remove_it(app, as_user):
    from app.extensions import db
    from app.models import Department

    with app.app_context():
        commerce = db.session.scalar(select(Department.id).where(Department.name == "区商务局"))
        db.session.remove()
    page = html(as_user("office").get(
        f"/caseview/list/?q=消费&rag=red&_flt_0_lead_department={commerce}&_flt_3_state=assigned"))
    title = re.search(r'<div class="panel-heading">.*?<h4[^>]*>(.*?)</h4>', page, re.S)
    heading = re.sub(r"\s+", " ", title.group(1)) if title else page
    for text in ("全部任务", "搜索“消费”", "逾期", "区商务局", "已交办"):
        assert text in heading, text
    chips = re.findall(r'<a class="filter-chip" href="([^"]+)"[^>]*>(.*?) <span', page)
    assert len(chips) == 4
    by_text = {text: url.replace("&amp;", "&") for url, text in chips}
    without_words = by_text["搜索“消费”"]
    assert "q=" not in without_words and "rag=red" in without_words
    without_rag = next(u for t, u in by_text.items() if "逾期" in t)
    assert "rag=" not in without_rag and "q=" in without_rag
    assert '<a class="filter-clear" href="/caseview/list/"' in page


def test_an_empty_filter_is_dropped_not_applied(app, as_user):
    office = as_user("office")
    response = office.get("/caseview/list/?_flt_0_action=__None&q=消费&_flt_0_lead_department=")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/caseview/list/?q=%E6%B6%88%E8%B4%B9")
    page = html(office.get("/caseview/list/?_flt_0_action=__None", follow_redirects=True))
    assert 'class="filter-chip"' not in page
    everything = html(office.get("/caseview/list/"))
    count = re.compile(r"记录数目:</strong>\s*(\d+)")
    assert count.search(page).group(1) == count.search(everything).group(1) == "119"


def test_saved_filters_belong_to_their_user(fresh_db, app, as_user):
    office = as_user("office")
    page = html(office.post("/caseview/savefilter/", data={"name": "商务红灯", "query": "q=区商务局&rag=red"},
                            follow_redirects=True))
    assert ("success", "筛选已保存。") in flashes(page)
    listed = re.search(r'<li class="saved-filter"><a href="([^"]+)">商务红灯</a>', page)
    assert listed and "rag=red" in listed.group(1)
    # The saved filter opens the same list.
    again = html(office.get(listed.group(1).replace("&amp;", "&")))
    assert 'value="区商务局"' in again
    # Nobody else sees it; another list of the same user neither.
    assert "商务红灯" not in html(as_user("leader").get("/caseview/list/"))
    assert "商务红灯" not in html(office.get("/overdueview/list/"))
    # Without a name or without any filter, nothing is saved.
    refused = html(office.post("/caseview/savefilter/", data={"name": "", "query": "q=x"},
                               follow_redirects=True))
    assert ("danger", "请为筛选起个名称。") in flashes(refused)
    from app.extensions import db
    from app.models import SavedFilter

    with app.app_context():
        rows = db.session.scalars(select(SavedFilter)).all()
        assert [(r.name, r.list_name) for r in rows] == [("商务红灯", "CaseView")]
        filter_id = rows[0].id
        db.session.remove()
    # Another user cannot delete it; its owner can.
    as_user("leader").post(f"/caseview/deletefilter/{filter_id}")
    assert "商务红灯" in html(office.get("/caseview/list/"))
    office.post(f"/caseview/deletefilter/{filter_id}")
    assert "商务红灯" not in html(office.get("/caseview/list/"))
