"""Plan text → draft plan (workflows.plan_extraction), measured against hand annotations.

The metric tests print their figures (run with ``-s`` to see them; they are also in the
assertion messages). docs/extraction.md records them.
"""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from workflows.plan_extraction import (
    PlanTextError,
    draft_plan,
    extract_plan,
    read_plan_document,
)
from workflows.plan_extraction.evaluation import Score, evaluate, parse_annotated

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "extraction"
SEED_ANNOTATION = ROOT / "tests" / "data" / "seed-annotated.txt"
SEED_TEXT = ROOT.parent / "shared" / "seeds" / "hecheng-eight-actions-2024.txt"

# Texts written for these tests. The first four were written together with the rules (a
# development set); the others were written and annotated before the extractor first ran on
# them (held out: two in a first round, one after all tuning, three in a third round by
# another author); their first-run figures are in docs/extraction.md.
DEV_TEXTS = ["city-task-breakdown", "minsheng-shishi", "county-parts", "street-no-numbering"]
HELD_OUT_TEXTS = ["business-env-duties", "rural-task-list", "city-livelihood-2025",
                  "prefecture-duty-division", "county-minsheng-table", "dept-work-points"]
OWN_TEXTS = DEV_TEXTS + HELD_OUT_TEXTS


def _annotated(name: str):
    return parse_annotated((DATA / f"{name}.annotated.txt").read_text(encoding="utf-8"))


def _report(label: str, targets: Score, leads: Score | None = None) -> str:
    line = f"{label:<28} targets: {targets}"
    if leads is not None:
        line += f" | leads: {leads}"
    print(line)
    for miss in targets.misses:
        print(f"    missed target: {miss}")
    for alarm in targets.false_alarms:
        print(f"    false target:  {alarm}")
    if leads is not None:
        for miss in leads.misses:
            print(f"    missed lead:   {miss}")
        for alarm in leads.false_alarms:
            print(f"    false lead:    {alarm}")
    return line


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------

def test_seed_targets_recall_and_precision():
    if not SEED_ANNOTATION.exists():
        pytest.skip(f"seed annotation {SEED_ANNOTATION.relative_to(ROOT)} is absent")
    annotated = parse_annotated(SEED_ANNOTATION.read_text(encoding="utf-8"))
    if SEED_TEXT.exists():
        assert annotated.text == SEED_TEXT.read_text(encoding="utf-8"), \
            "the annotation, without its marks, must be the seed text"
    targets, _ = evaluate(annotated)
    line = _report("seed (hecheng 2024)", targets)
    assert targets.recall >= 0.95 and targets.precision >= 0.90, line


@pytest.mark.parametrize("name", OWN_TEXTS)
def test_own_text_recall_and_precision(name):
    annotated = _annotated(name)
    assert annotated.text == (DATA / f"{name}.txt").read_text(encoding="utf-8"), \
        f"{name}.txt must equal its annotation without the marks"
    targets, leads = evaluate(annotated)
    line = _report(name, targets, leads)
    assert targets.recall >= 0.90 and targets.precision >= 0.90, line
    assert leads.recall >= 0.90 and leads.precision >= 0.90, line


def test_overall_figures():
    """Totals over the seed (if annotated) and our own texts, printed for docs/extraction.md."""
    totals = {"dev": (Score(), Score()), "held-out": (Score(), Score())}
    for group, names in (("dev", DEV_TEXTS), ("held-out", HELD_OUT_TEXTS)):
        for name in names:
            targets, leads = evaluate(_annotated(name))
            totals[group][0].add(targets)
            totals[group][1].add(leads)
    all_targets, all_leads = Score(), Score()
    for group, (targets, leads) in totals.items():
        _report(f"own texts, {group}", targets, leads)
        all_targets.add(targets)
        all_leads.add(leads)
    line = _report("own texts, all", all_targets, all_leads)
    assert all_targets.recall >= 0.95 and all_targets.precision >= 0.95, line
    assert all_leads.recall >= 0.95 and all_leads.precision >= 0.95, line


def test_metric_counts_misses_and_false_alarms():
    """The scorer itself: a wrong value, a wrong place and an unannotated find all count."""
    annotated = parse_annotated("一、就业\n新增就业【500人】，培训100人。\n二、教育\n新建学校【3所】。\n")
    targets, _ = evaluate(annotated)
    assert targets.gold == 2
    assert (targets.correct_gold, targets.found) == (2, 3)  # "培训100人" is a false alarm
    assert targets.precision == pytest.approx(2 / 3)
    assert any("100人" in alarm for alarm in targets.false_alarms)


# ---------------------------------------------------------------------------------------------
# Output shape and structure
# ---------------------------------------------------------------------------------------------

IND_KEYS = {"name", "value", "unit", "comparator", "quote"}
CASE_KEYS = {"title", "text", "list_kind", "lead_departments", "partner_departments",
             "deadline", "indicators"}
# Present only when the text gives them (issue 13): actual values reached, people named.
OPTIONAL_CASE_KEYS = {"actuals", "persons"}
GOAL_KEYS = {"index", "title", "indicators", "lead_departments", "partner_departments"}


def _check_shape(plan: dict, text: str) -> None:
    assert set(plan) == {"title", "year", "goals", "actions"}
    indicators = [i for g in plan["goals"] for i in g["indicators"]]
    for goal in plan["goals"]:
        assert GOAL_KEYS <= set(goal) <= GOAL_KEYS | {"actuals"}
    for action in plan["actions"]:
        assert {"index", "title", "subtitle", "lead_department", "indicators", "cases"} <= set(action) \
            <= {"index", "title", "subtitle", "lead_department", "indicators", "cases", "actuals"}
        indicators += action["indicators"]
        for case in action["cases"]:
            assert CASE_KEYS <= set(case) <= CASE_KEYS | OPTIONAL_CASE_KEYS
            assert case["list_kind"] in ("task", "policy", "project")
            assert len(case["deadline"]) == 10 and case["deadline"][4] == "-"
            indicators += case["indicators"]
    for indicator in indicators:
        assert IND_KEYS <= set(indicator) <= IND_KEYS | {"value_max"}
        assert indicator["quote"] in text, "quote must be verbatim"
        assert isinstance(indicator["value"], int | float)
        assert indicator["comparator"] in ("≥", "≤", "=")
    assert [a["index"] for a in plan["actions"]] == list(range(1, len(plan["actions"]) + 1))


def test_seed_structure():
    text = (SEED_TEXT.read_text(encoding="utf-8") if SEED_TEXT.exists()
            else parse_annotated(SEED_ANNOTATION.read_text(encoding="utf-8")).text)
    plan = extract_plan(text)
    _check_shape(plan, text)
    assert plan["title"] == "怀化市鹤城区实施“八大行动”总体方案"
    assert plan["year"] == 2024
    assert [g["title"] for g in plan["goals"]][:2] == ["产业培育加力提速", "创新动能持续提升"]
    assert len(plan["goals"]) == 8
    assert len(plan["actions"]) == 8
    first = plan["actions"][0]
    assert (first["title"], first["subtitle"]) == ("大力实施产业培塑行动", "加快构建“5+N”现代化产业体系")
    assert plan["actions"][7]["title"] == "大力实施民生可感行动"
    assert all(a["cases"] for a in plan["actions"])
    # 组织实施 is how the plan is run, not a task section
    assert not any("组织" in a["title"] for a in plan["actions"])
    goal5 = {(i["value"], i["unit"], i["comparator"]) for i in plan["goals"][4]["indicators"]}
    assert {(10, "家", "≥"), (4, "家", "≥"), (7.15, "万户", "≥"), (1.18, "万户", "≥")} <= goal5


EXPECTED_OUTLINES = {
    # name: (number of goals, [(action title, number of cases), ...])
    "city-task-breakdown": (9, [("着力推进产业转型升级", 4), ("全力扩大有效需求", 3),
                                ("持续保障和改善民生", 3)]),
    "minsheng-shishi": (0, [("项目内容", 10)]),
    "county-parts": (4, [("重点任务", 7), ("重点项目安排", 3)]),
    "street-no-numbering": (0, [("全力抓好项目建设", 2), ("持续优化人居环境", 2),
                                ("扎实办好民生实事", 2), ("从严抓好安全稳定", 2)]),
    "business-env-duties": (5, [("提升政务服务效能", 3), ("降低企业经营成本", 3),
                                ("加强法治保障", 2)]),
    "rural-task-list": (1, [("粮食安全保障行动", 2), ("产业发展提质行动", 2),
                            ("人居环境整治行动", 2), ("农民增收行动", 1)]),
    "city-livelihood-2025": (0, [("就业和收入", 2), ("教育", 2), ("医疗和养老", 2),
                                 ("住房和出行", 2), ("食品和环境", 2)]),
    # continuous item numbers 1.–14. across the 二、–五、 sections
    "prefecture-duty-division": (9, [("坚定不移推进产业强市", 4), ("全力扩大有效需求", 3),
                                     ("持续增进民生福祉", 4), ("深入推进生态文明建设", 3)]),
    # category rows inside the table group its rows
    "county-minsheng-table": (0, [("教育卫生类", 3), ("城乡建设类", 4), ("社会保障类", 3)]),
    "dept-work-points": (1, [("推动文旅产业高质量发展", 2), ("完善公共文化服务体系", 2),
                             ("加强文化遗产保护传承", 1), ("提升行业治理水平", 2)]),
}


@pytest.mark.parametrize("name", OWN_TEXTS)
def test_own_text_outline(name):
    text = (DATA / f"{name}.txt").read_text(encoding="utf-8")
    plan = extract_plan(text)
    _check_shape(plan, text)
    goals, actions = EXPECTED_OUTLINES[name]
    assert len(plan["goals"]) == goals
    assert [(a["title"], len(a["cases"])) for a in plan["actions"]] == actions


def test_task_breakdown_units_and_deadlines():
    plan = extract_plan((DATA / "city-task-breakdown.txt").read_text(encoding="utf-8"))
    action = plan["actions"][0]
    assert action["lead_department"] == "市工业和信息化局"
    case1, case2, case3, _ = action["cases"]
    assert case1["lead_departments"] == ["市工业和信息化局"]
    assert case1["partner_departments"] == ["市科技局", "市财政局", "各区县人民政府"]
    # [责任单位：A、B]: the first is the lead
    assert (case2["lead_departments"], case2["partner_departments"]) == (
        ["市工业和信息化局"], ["市通信发展管理办公室"])
    # 完成时限 wins over the "6月底前" inside the text
    assert case3["deadline"] == "2024-12-31"
    # "10亿元以上项目15个": 10亿元 is a size class, 15个 the target
    assert [(i["value"], i["unit"]) for i in case3["indicators"]] == [(15, "个"), (10, "%")]
    housing = plan["actions"][1]["cases"][2]
    assert housing["deadline"] == "2024-09-30"  # "9月30日前全部开工"
    school = plan["actions"][2]["cases"][1]
    assert school["deadline"] == "2024-08-31"


def test_minsheng_annex_table_enriches_items():
    plan = extract_plan((DATA / "minsheng-shishi.txt").read_text(encoding="utf-8"))
    cases = {c["title"]: c for c in plan["actions"][0]["cases"]}
    assert len(plan["actions"]) == 1  # the annex restates items: no duplicate action
    housing = cases["老旧小区改造工程"]
    assert housing["deadline"] == "2024-11-30"  # from the table's 完成时限 column
    assert housing["lead_departments"] == ["区住房和城乡建设局"]
    police = cases["平安守护工程"]  # 主办单位 / 协办单位
    assert (police["lead_departments"], police["partner_departments"]) == (
        ["区公安分局"], ["区委政法委", "区司法局"])
    assert cases["“菜篮子”保供工程"]["indicators"][0]["value"] == 2  # 农贸市场两个
    assert cases["城乡道路畅通工程"]["deadline"] == "2024-06-30"


def test_county_subject_units():
    plan = extract_plan((DATA / "county-parts.txt").read_text(encoding="utf-8"))
    cases = plan["actions"][0]["cases"]
    assert cases[0]["lead_departments"] == ["县发改局"]  # "县发改局负责，…"
    assert (cases[1]["lead_departments"], cases[1]["partner_departments"]) == (
        ["县工业集中区管委会"], ["县自然资源局", "县住建局"])  # "A牵头，B、C配合"
    assert cases[3]["lead_departments"] == ["各乡镇（街道）"]  # "各乡镇（街道）要…"
    assert cases[3]["deadline"] == "2024-06-30"
    project_rows = plan["actions"][1]["cases"]
    assert [c["list_kind"] for c in project_rows] == ["project"] * 3
    assert project_rows[0]["deadline"] == "2024-10-31"  # 2024年10月


def test_document_without_numbering():
    plan = extract_plan((DATA / "street-no-numbering.txt").read_text(encoding="utf-8"))
    first = plan["actions"][0]
    assert first["cases"][1]["lead_departments"] == ["街道规划建设办"]
    assert first["cases"][1]["deadline"] == "2024-06-30"
    safety = plan["actions"][3]["cases"][0]["indicators"][0]
    assert (safety["value"], safety["unit"], safety["comparator"]) == (4, "次", "≥")  # 不少于


# ---------------------------------------------------------------------------------------------
# Targets: what is and what is not one
# ---------------------------------------------------------------------------------------------

def _targets(sentence: str) -> list[tuple]:
    text = f"一、重点任务\n（一）测试行动\n{sentence}\n"
    plan = draft_plan(text, year=2024) if _has_target(text) else None
    if plan is None:
        return []
    return [(i.value, i.value_max, i.unit, i.comparator) for i in plan.all_indicators()]


def _has_target(text: str) -> bool:
    try:
        draft_plan(text, year=2024)
    except PlanTextError:
        return False
    return True


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("实有经营主体达到7.15万户以上。", (7.15, None, "万户", "≥")),
        ("总投资达20亿元以上。", (20, None, "亿元", "≥")),
        ("知识价值信用贷款备案8千万元。", (8, None, "千万元", "=")),
        ("全年接待游客2000万人次以上。", (2000, None, "万人次", "≥")),
        ("亩均税收增长15%以上。", (15, None, "%", "≥")),
        ("择优遴选支持1-2个创新团队。", (1, 2, "个", "=")),
        ("新建三所学校。", (3, None, "所", "=")),
        ("新建、改造农贸市场两个。", (2, None, "个", "=")),
        ("城镇调查失业率控制在5.5%以内。", (5.5, None, "%", "≤")),
        ("审批时间不超过60个工作日。", (60, None, "个工作日", "≤")),
        ("生产性服务业占比超过35%。", (35, None, "%", "≥")),
        ("研发投入强度不低于2%。", (2, None, "%", "≥")),
        ("力争新增高新技术企业30家。", (30, None, "家", "≥")),
        ("产值突破8.5亿元。", (8.5, None, "亿元", "≥")),
        ("安全检查不少于4次。", (4, None, "次", "≥")),
        ("能耗下降2.5%。", (2.5, None, "%", "=")),
        ("PM2.5平均浓度控制在33微克/立方米以内。", (33, None, "微克/立方米", "≤")),
        ("营商环境评价进入全省前5位。", (5, None, "位", "≤")),
        ("培训100余人次。", (100, None, "人次", "≥")),
        ("新增学位1,200个。", (1200, None, "个", "=")),
        # enumerated clauses ("一是…；二是…") and 实施 open Chinese-numeral targets too
        ("一是新建城市书房十个；", (10, None, "个", "=")),
        ("实施危桥改造八座。", (8, None, "座", "=")),
        ("二是组织消防演练两次以上。", (2, None, "次", "≥")),
        ("开展安全隐患排查整治4轮。", (4, None, "轮", "=")),
    ],
)
def test_targets_found(sentence, expected):
    assert _targets(sentence) == [expected]


@pytest.mark.parametrize(
    "sentence",
    [
        "2024年6月30日前完成。",
        "根据湘政发〔2024〕1号文件精神，落实〔2024〕3号要求。",
        "围绕“5+N”现代化产业体系，对标“4×4”产业体系。",
        "推进老旧小区改造等三大改造工程，办好十大民生实事。",
        "加大对“三类500强”的招引力度。",
        "深入落实安全生产八项机制，纵深推进“三查一曝光”。",
        "深入实施关键核心技术攻关三年行动计划。",
        "完成G209东盟大道提质，建设5G网络。",
        "第3批试点；排名前3位的单位予以表扬。",
        "持续拓展中老、中越、中缅、怀化至北部湾4条国际物流大通道。",
        "打造城市“15分钟”健身圈。",
        "形成一批科技成果转化产品。",
        "为65岁以上老年人提供服务。",
        "一是实施三年行动计划；二是开展第二轮督查。",
    ],
)
def test_not_targets(sentence):
    assert _targets(sentence) == []


def test_size_class_is_not_a_target():
    assert _targets("引进5亿元以上项目6个。") == [(6, None, "个", "=")]


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("一般登记、抵押登记办理时间分别压缩至3个工作日、1个工作日以内。",
         ["一般登记", "抵押登记办理时间"]),
        ("力争接待游客4200万人次、实现旅游总收入480亿元，分别增长8%和10%。",
         ["接待游客", "旅游总收入", "接待游客增长", "旅游总收入增长"]),
    ],
)
def test_respectively_pairs_values_with_subjects(sentence, names):
    plan = draft_plan(f"一、任务\n（一）事项\n{sentence}\n", year=2025)
    assert [i.name for i in plan.all_indicators()] == names


def test_shared_target_gives_one_indicator_per_subject():
    plan = draft_plan("一、任务\n（一）园区\n确保技工贸总收入、亩均税收均增长15%以上。\n", year=2024)
    names = [i.name for i in plan.all_indicators()]
    assert names == ["技工贸总收入增长", "亩均税收增长"]


# ---------------------------------------------------------------------------------------------
# Units: the ways plans name them
# ---------------------------------------------------------------------------------------------

def _one_case(item: str) -> dict:
    text = f"一、重点任务\n（一）测试行动\n1.{item}\n2.新建学校3所。\n"
    return extract_plan(text, year=2024)["actions"][0]["cases"][0]


@pytest.mark.parametrize(
    ("item", "leads", "partners"),
    [
        ("新增就业500人。牵头单位：区人社局", ["区人社局"], []),
        ("新增就业500人。责任单位：区人社局、区财政局", ["区人社局"], ["区财政局"]),
        ("新增就业500人。(牵头单位:区人社局;责任单位:区财政局、各乡镇(街道))",
         ["区人社局"], ["区财政局", "各乡镇(街道)"]),
        ("新增就业500人。[责任单位：区人社局、区财政局]", ["区人社局"], ["区财政局"]),
        ("新增就业500人。主办：区人社局；协办：区财政局", ["区人社局"], ["区财政局"]),
        ("新增就业500人。（区人社局牵头，区财政局、区教育局配合）",
         ["区人社局"], ["区财政局", "区教育局"]),
        ("新增就业500人（区人社局）。", ["区人社局"], []),
        ("区教育局负责，新建学校3所。", ["区教育局"], []),
        ("各乡镇（街道）要完成改厕1500户。", ["各乡镇（街道）"], []),
        ("由区住房和城乡建设局牵头，区财政局配合，改造小区23个。",
         ["区住房和城乡建设局"], ["区财政局"]),
        ("区发改局会同区财政局完成投资10亿元。", ["区发改局"], ["区财政局"]),
        # a department's own work plan assigns its 处室 / 科室
        ("新增就业500人。（牵头处室：就业促进处；配合处室：财务处、规划处）",
         ["就业促进处"], ["财务处", "规划处"]),
        ("新增就业500人。责任科室：就业科、财务科", ["就业科"], ["财务科"]),
    ],
)
def test_unit_forms(item, leads, partners):
    case = _one_case(item)
    assert case["lead_departments"] == leads
    assert case["partner_departments"] == partners


def test_units_from_table_columns():
    text = ("2024年重点任务清单\n"
            "序号\t任务内容\t牵头单位\t配合单位\t完成时限\n"
            "1\t新建学校3所\t区教育局\t区财政局、区自然资源局\t6月底前\n"
            "2\t改造老旧小区23个\t区住建局\t\t年内\n")
    case1, case2 = extract_plan(text)["actions"][0]["cases"]
    assert (case1["lead_departments"], case1["partner_departments"]) == (
        ["区教育局"], ["区财政局", "区自然资源局"])
    assert case1["deadline"] == "2024-06-30"
    assert (case2["lead_departments"], case2["deadline"]) == (["区住建局"], "2024-12-31")


def test_category_rows_inside_a_table_group_its_rows():
    text = ("某县2025年民生实事项目\n一、项目安排\n"
            "序号\t项目名称\t建设内容及目标\t牵头单位\t完成时限\n"
            "（一）教育类（2项）\n"
            "1\t新建幼儿园\t新建公办幼儿园2—3所\t县教育局\t8月底\n"
            "2\t校舍改造\t改造农村薄弱学校十二所\t县教育局\t年底\n"
            "（二）社会保障类\n"
            "3\t就业帮扶\t新增城镇就业2500人\t县人社局\t二季度末\n"
            "二、保障措施\n县财政局要保障资金。\n")
    plan = extract_plan(text)
    assert [(a["title"], len(a["cases"])) for a in plan["actions"]] == [
        ("教育类", 2), ("社会保障类", 1)]
    cases = [c for a in plan["actions"] for c in a["cases"]]
    assert [(i["value"], i.get("value_max"), i["unit"]) for c in cases
            for i in c["indicators"]] == [(2, 3, "所"), (12, None, "所"), (2500, None, "人")]
    assert [(c["lead_departments"], c["deadline"]) for c in cases] == [
        (["县教育局"], "2025-08-31"), (["县教育局"], "2025-12-31"), (["县人社局"], "2025-06-30")]


def test_multi_space_table_with_responsible_column():
    text = ("2024年重点项目\n"
            "序号  项目名称          建设内容             责任单位              完成时限\n"
            "1     城东污水厂项目    日处理污水2万吨      区住建局、区水利局    2024年底\n")
    (case,) = extract_plan(text)["actions"][0]["cases"]
    assert (case["lead_departments"], case["partner_departments"]) == (["区住建局"], ["区水利局"])
    assert case["indicators"][0]["unit"] == "万吨"
    assert case["list_kind"] == "project"


def test_label_lines_under_numbered_items():
    text = ("某区2024年重点任务分工方案\n一、重点任务\n"
            "1.加快推进城市更新。改造老旧小区30个，新增停车位2000个。\n"
            "牵头单位：区住建局\n配合单位：区城管局、各街道\n完成时限：2024年11月\n"
            "2.提升教育质量。新建中小学2所。\n牵头单位：区教育局\n完成时限：2024年8月底前\n")
    (action,) = extract_plan(text)["actions"]
    first, second = action["cases"]
    assert (first["title"], first["lead_departments"], first["partner_departments"],
            first["deadline"]) == ("加快推进城市更新", ["区住建局"], ["区城管局", "各街道"],
                                   "2024-11-30")
    assert (second["lead_departments"], second["deadline"]) == (["区教育局"], "2024-08-31")


def test_label_lines_under_unnumbered_paragraphs():
    text = ("某区2024年重点工作\n一、产业发展\n"
            "加快推进园区建设，新建标准厂房5万平方米。\n责任单位：区工信局、区发改局\n"
            "持续优化营商环境，新增经营主体3000户。\n责任单位：区市场监管局\n")
    (action,) = extract_plan(text)["actions"]
    assert action["title"] == "产业发展"
    assert [(c["lead_departments"], c["partner_departments"]) for c in action["cases"]] == [
        (["区工信局"], ["区发改局"]), (["区市场监管局"], [])]


@pytest.mark.parametrize(
    ("sentence", "deadline"),
    [("6月底前完成改造23个。", "2024-06-30"), ("年内建成学校3所。", "2024-12-31"),
     ("2024年底前新增就业500人。", "2024-12-31"), ("三季度末前建成站点10个。", "2024-09-30"),
     ("新建学校3所。", "2024-12-31")],
)
def test_case_deadlines(sentence, deadline):
    assert _one_case(sentence)["deadline"] == deadline


def test_year_from_title_and_override():
    text = "某区2025年民生实事\n一、任务\n（一）教育\n新建学校3所，6月底前完成。\n"
    assert extract_plan(text)["year"] == 2025
    assert extract_plan(text)["actions"][0]["cases"][0]["deadline"] == "2025-06-30"
    assert extract_plan(text, year=2026)["year"] == 2026


# ---------------------------------------------------------------------------------------------
# Reading files: encodings, .docx, bad input
# ---------------------------------------------------------------------------------------------

def test_gb18030_file_reads_like_utf8(tmp_path):
    name = "business-env-duties"
    text = (DATA / f"{name}.txt").read_text(encoding="utf-8")
    path = tmp_path / "plan-gbk.txt"
    path.write_bytes(text.encode("gb18030"))
    assert read_plan_document(path) == text
    targets, leads = evaluate(_annotated(name))
    assert targets.recall >= 0.9 and leads.recall >= 0.9


def test_utf8_bom_and_crlf(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff一、任务\r\n新建学校3所。\r\n".encode())
    assert read_plan_document(path) == "一、任务\n新建学校3所。\n"


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _paragraph(text: str, num: tuple[int, int] | None = None) -> str:
    props = (f'<w:pPr><w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/>'
             f'</w:numPr></w:pPr>' if num else "")
    runs = "".join(f'<w:r><w:t xml:space="preserve">{escape(part)}</w:t></w:r>'
                   for part in ([text[:5], text[5:]] if len(text) > 5 else [text]))
    return f"<w:p>{props}{runs}</w:p>"


def _write_docx(path: Path, body: str, numbering: str | None = None) -> None:
    """A minimal but valid .docx made with zipfile (no binary test files in the repo)."""
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
        if numbering:
            archive.writestr("word/numbering.xml",
                             f'<?xml version="1.0" encoding="UTF-8"?><w:numbering {_W}>{numbering}</w:numbering>')


def _docx_body_from_text(text: str) -> str:
    """Paragraphs for lines; runs of tab-separated lines become a real Word table."""
    parts: list[str] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            trs = "".join("<w:tr>" + "".join(f"<w:tc>{_paragraph(c)}</w:tc>" for c in row)
                          + "</w:tr>" for row in rows)
            parts.append(f"<w:tbl>{trs}</w:tbl>")
            rows.clear()

    for line in text.split("\n"):
        if "\t" in line:
            rows.append(line.split("\t"))
            continue
        flush()
        parts.append(_paragraph(line))
    flush()
    return "".join(parts)


def test_docx_with_table_reads_like_the_text(tmp_path):
    name = "rural-task-list"
    text = (DATA / f"{name}.txt").read_text(encoding="utf-8")
    path = tmp_path / "plan.docx"
    _write_docx(path, _docx_body_from_text(text))
    assert read_plan_document(path) == text
    plan = extract_plan(read_plan_document(path))
    assert [a["title"] for a in plan["actions"]][:2] == ["粮食安全保障行动", "产业发展提质行动"]


def test_docx_automatic_numbering_is_restored(tmp_path):
    numbering = (
        '<w:abstractNum w:abstractNumId="0">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="（%2）"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')
    body = "".join([
        _paragraph("某区2024年重点工作方案"),
        _paragraph("主要目标", (1, 0)),
        _paragraph("新增就业3600人。"),
        _paragraph("重点任务", (1, 0)),
        _paragraph("教育提质。新建学校3所。", (1, 1)),
        _paragraph("医疗提升。新建卫生室15个。", (1, 1)),
    ])
    path = tmp_path / "numbered.docx"
    _write_docx(path, body, numbering)
    text = read_plan_document(path)
    assert "一、主要目标" in text and "二、重点任务" in text
    assert "（一）教育提质" in text and "（二）医疗提升" in text
    plan = extract_plan(text)
    assert len(plan["goals"]) == 1
    assert [a["title"] for a in plan["actions"]] == ["重点任务"]
    assert len(plan["actions"][0]["cases"]) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "空文件"),
        (b"  \n\r\n ", "空文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".doc"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"PK\x03\x04 not really a zip", "docx"),
        (b"hello world, no chinese here", "中文"),
        (b"\x00\x01\x02\x03binary\x00", "二进制"),
    ],
)
def test_bad_files_give_clear_chinese_errors(tmp_path, content, message):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with pytest.raises(PlanTextError, match=message) as info:
        read_plan_document(path)
    assert isinstance(info.value, ValueError)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(PlanTextError, match="找不到文件"):
        read_plan_document(tmp_path / "nope.txt")
    with pytest.raises(PlanTextError, match="文件夹"):
        read_plan_document(tmp_path)


def test_xlsx_is_pointed_to_the_list_importer(tmp_path):
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(PlanTextError, match="Excel"):
        read_plan_document(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "为空"),
        ("   \n", "为空"),
        ("plain ascii text", "中文"),
        ("一、总体要求\n坚持稳中求进，推动高质量发展。\n二、工作要求\n各单位要高度重视。\n", "量化指标"),
    ],
)
def test_texts_without_a_plan_give_clear_errors(text, message):
    with pytest.raises(PlanTextError, match=message):
        extract_plan(text)


def test_garbage_never_crashes():
    """Odd but non-empty input either drafts or raises PlanTextError, never anything else."""
    samples = ["（", "一、", "1.", "——", "【】〖〗", "\t\t\t", "附件：", "序号\t任务\t牵头单位\n1\t\t",
               "第一部分\n第二部分\n", "新建学校3所" * 500, "2024年6月30日",
               "一、重点任务\n（一）\n1.\n（1）\n①\n"]
    for sample in samples:
        with contextlib.suppress(PlanTextError):
            extract_plan(sample)
