"""Chinese deadline parsing (workflows.dates), shared by the plan extractor and the Excel importer."""

from datetime import date, datetime

import pytest

from workflows.dates import DateParseError, find_deadline, parse_deadline, parse_deadline_strict

YEAR = 2024


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年6月30日", date(2024, 6, 30)),
        ("2024/6/30", date(2024, 6, 30)),
        ("2024-06-30", date(2024, 6, 30)),
        ("2024.6.30", date(2024, 6, 30)),
        ("２０２４年６月３０日", date(2024, 6, 30)),  # full-width digits, as WPS often stores them
        (" 2024年 6月30日 ", date(2024, 6, 30)),
        ("6月30日", date(2024, 6, 30)),
        ("6月30日前", date(2024, 6, 30)),
        ("6月底", date(2024, 6, 30)),
        ("6月底前", date(2024, 6, 30)),
        ("六月底", date(2024, 6, 30)),
        ("2月底", date(2024, 2, 29)),  # leap year
        ("12月中旬", date(2024, 12, 20)),
        ("3月上旬", date(2024, 3, 10)),
        ("2024年6月", date(2024, 6, 30)),
        ("2024.6", date(2024, 6, 30)),
        ("6月前", date(2024, 5, 31)),  # before June starts
        ("年底", date(2024, 12, 31)),
        ("年末", date(2024, 12, 31)),
        ("年内", date(2024, 12, 31)),
        ("年底前", date(2024, 12, 31)),
        ("年内完成", date(2024, 12, 31)),
        ("2024年底", date(2024, 12, 31)),
        ("2024年", date(2024, 12, 31)),
        ("2024年度", date(2024, 12, 31)),
        ("2025年前", date(2024, 12, 31)),
        ("明年底", date(2025, 12, 31)),
        ("明年3月", date(2025, 3, 31)),
        ("三季度末", date(2024, 9, 30)),
        ("三季度末前", date(2024, 9, 30)),
        ("第三季度", date(2024, 9, 30)),
        ("一季度", date(2024, 3, 31)),
        ("2024年第二季度", date(2024, 6, 30)),
        ("Q4", date(2024, 12, 31)),
        ("上半年", date(2024, 6, 30)),
        ("下半年", date(2024, 12, 31)),
        ("2024年3月-6月", date(2024, 6, 30)),  # a range ends at its end
        ("1-6月", date(2024, 6, 30)),
        ("2024.1-2024.12", date(2024, 12, 31)),
    ],
)
def test_parse_deadline_phrases(text, expected):
    assert parse_deadline(text, YEAR) == expected
    assert parse_deadline_strict(text, YEAR) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45473, date(2024, 6, 30)),  # Excel serial
        (45473.0, date(2024, 6, 30)),
        ("45473", date(2024, 6, 30)),  # serial stored as text
        ("45473.0", date(2024, 6, 30)),
        (2024, date(2024, 12, 31)),  # a year typed into a number cell
        (date(2024, 5, 1), date(2024, 5, 1)),
        (datetime(2024, 5, 1, 8, 30), date(2024, 5, 1)),
    ],
)
def test_parse_deadline_values(value, expected):
    assert parse_deadline(value, YEAR) == expected
    assert parse_deadline_strict(value, YEAR) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "长期", "持续推进", "常态化", "长期坚持"])
def test_no_deadline_is_none_not_an_error(text):
    assert parse_deadline(text, YEAR) is None
    assert parse_deadline_strict(text, YEAR) is None


@pytest.mark.parametrize("value", ["abc", "尽快", "2024年2月30日", "13月底", 12, -5, 1e12, True,
                                   object()])
def test_garbage_gives_none_and_strict_raises_chinese(value):
    assert parse_deadline(value, YEAR) is None
    with pytest.raises(DateParseError) as info:
        parse_deadline_strict(value, YEAR)
    assert isinstance(info.value, ValueError)
    assert "日期" in str(info.value)


def test_strict_rejects_an_ambiguous_cell():
    with pytest.raises(DateParseError):
        parse_deadline_strict("6月底或7月", YEAR)


def test_strict_names_impossible_dates():
    with pytest.raises(ValueError, match="日期不存在"):
        parse_deadline_strict("2024年2月30日", YEAR)


def test_lenient_cell_with_two_deadlines_gives_the_latest():
    assert parse_deadline("6月底前完成方案，12月底前完成建设", YEAR) == date(2024, 12, 31)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("力争新引进项目5个以上，6月底前完成签约。", date(2024, 6, 30)),
        ("年内建成投用城乡垃圾综合利用项目。", date(2024, 12, 31)),
        ("到2024年末，实有经营主体达到7.15万户以上。", date(2024, 12, 31)),
        ("确保2024年底全区新增“四上”企业80家以上。", date(2024, 12, 31)),
        ("于9月30日前全部开工。", date(2024, 9, 30)),
        ("三季度末前完成年度投资计划的75%。", date(2024, 9, 30)),
        ("3月至6月开展专项整治。", date(2024, 6, 30)),
        ("上半年完成招标，下半年开工。", date(2024, 6, 30)),  # the first phrase
        ("2024年8月31日前投入使用。", date(2024, 8, 31)),
        ("11月完成验收。", date(2024, 11, 30)),
    ],
)
def test_find_deadline_in_free_text(sentence, expected):
    assert find_deadline(sentence, YEAR) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "深入推进关键核心技术攻关三年行动计划。",  # 三年 is a duration, not a deadline
        "三年内完成全部改造。",
        "总专班于每月底编发工作月报。",  # recurring
        "每季度末报送进展。",
        "本方案自2024年3月1日起施行。",  # a start date
        "2023年以来，全区经济回升向好。",
        "力争2024年新引进重大产业项目3个。",  # a bare year is not a deadline in free text
        "全年接待游客2000万人次以上。",
        "5月开始试运行。",
        "",
        "增长13月底",
    ],
)
def test_find_deadline_ignores_non_deadlines(sentence):
    assert find_deadline(sentence, YEAR) is None


def test_find_deadline_never_raises():
    assert find_deadline(None, YEAR) is None  # type: ignore[arg-type]
    assert find_deadline("2月30日前完成", YEAR) is None
