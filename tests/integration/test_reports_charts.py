"""Charts legible in black-and-white print (issue 12): every series of a report chart has its
own fill pattern, read back from a grey raster (`pdftoppm -gray`) of the chart as the PDF
lays it out; a control shows the measure fails the colour-only charts the reports had.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile

import pytest
from PIL import Image, ImageStat

DPI = 216  # 3 pixels a point
SVG = re.compile(r"<svg\b.*?</svg>", re.S)
LEGEND = re.compile(r'<rect x="([\d.]+)" y="4" width="9" height="9" fill="([^"]+)"[^>]*data-series="([^"]+)"')
BAR = re.compile(r'<rect [^>]*fill="([^"]+)"[^>]*data-series="([^"]+)"')


@pytest.fixture(scope="module")
def charts(app, report_progress) -> list[str]:
    """June's monthly bulletin's chart of cases by state, and an indicator chart."""
    from app.extensions import db
    from app.reports import report_html
    from app.services.plans import latest_plan
    from workflows.periods import parse_period

    with app.app_context():
        try:
            html = report_html("monthly", period=parse_period("2024-06"), plan=latest_plan(), options={})
        finally:
            db.session.remove()
    found = SVG.findall(html)
    assert len(found) == 1, "the bulletin has the state chart"
    return [found[0], indicator_svg(app)]


def indicator_svg(app) -> str:
    """The indicator chart as the bulletins draw it, for two amounts: one met, one not
    (the March–June data has no amount indicator with its expected value)."""
    from flask_babel import force_locale

    from app.reports.charts import indicator_chart
    from workflows.periods import parse_period

    chart = indicator_chart([{"name": "新增规上工业企业", "ratio": 120, "met": True},
                             {"name": "招商引资到位资金", "ratio": 64, "met": False},
                             {"name": "新开工项目", "ratio": 88, "met": False}])
    with app.app_context(), force_locale("zh"):
        macros = app.jinja_env.get_template("reports/_macros.html").module
        html = str(macros.indicator_chart(chart, parse_period("2024-06")))
    return SVG.findall(html)[0]


def grey_raster(app, svg: str) -> Image.Image:
    from app.reports.images import svg_to_pdf

    with app.app_context():
        pdf = svg_to_pdf(svg)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(DPI), "-singlefile", "-", f"{folder}/chart"],
                       input=pdf, capture_output=True, check=True)
        with Image.open(f"{folder}/chart.png") as image:
            return image.convert("L")


def swatches(app, svg: str) -> dict[str, tuple[float, float]]:
    """Each legend entry's swatch on the grey raster: (mean grey, its spread) inside the box."""
    image = grey_raster(app, svg)
    scale = DPI / 72
    out = {}
    for x, _fill, series in LEGEND.findall(svg):
        left, top = (float(x) + 1.5) * scale, (4 + 1.5) * scale
        box = image.crop((round(left), round(top), round(left + 6 * scale), round(top + 6 * scale)))
        stat = ImageStat.Stat(box)
        out[series] = (stat.mean[0], stat.stddev[0])
    return out


def apart(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Two greys a reader tells apart in print: clearly lighter or darker, or clearly textured."""
    return abs(a[0] - b[0]) >= 30 or abs(a[1] - b[1]) >= 20


def indistinct_pairs(found: dict[str, tuple[float, float]]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in itertools.combinations(found, 2) if not apart(found[a], found[b])]


def test_every_series_is_told_apart_in_grey_print(app, charts):
    states, targets = charts
    found = swatches(app, states)
    assert list(found) == ["已核验/办结", "已报送", "办理中", "已交办未签收"]
    assert indistinct_pairs(found) == [], found
    found = swatches(app, targets)
    assert list(found) == ["已达目标", "未达目标"]
    assert indistinct_pairs(found) == [], found


def test_the_bars_carry_their_series_fill_and_unmet_targets_say_so(charts):
    for svg in charts:
        legend = {series: fill for _x, fill, series in LEGEND.findall(svg)}
        bars = [(fill, series) for fill, series in BAR.findall(svg) if not fill.startswith("#f2")]
        bars = bars[len(legend):]  # the legend's own swatches come first
        assert bars, "bars drawn"
        for fill, series in bars:
            assert fill == legend[series], (series, fill)
        # Every pattern a fill names is defined in the same SVG.
        for name in set(re.findall(r"url\(#([^)]+)\)", svg)):
            assert f'<pattern id="{name}"' in svg
    states, targets = charts
    assert {series for _f, series in BAR.findall(states)} >= {"已核验/办结", "已报送", "办理中", "已交办未签收"}
    notes = re.findall(r'data-series="未达目标"/>\s*<text [^>]*>([^<]+)</text>', targets)
    assert notes[0] == "未达目标"  # the legend's own
    assert notes[1:] == ["64% 未达", "88% 未达"]  # each bar below its target says so in words


def test_the_measure_catches_colour_as_the_only_cue(app, charts):
    """The charts as they were (plain colours: done #2e7d32, submitted #1565c0 …) fail."""
    states, targets = charts
    old = {"已核验/办结": "#2e7d32", "已报送": "#1565c0", "办理中": "#64b5f6", "已交办未签收": "#bdbdbd",
           "已达目标": "#2e7d32", "未达目标": "#c62828"}

    def colour_only(svg: str) -> str:
        return LEGEND.sub(lambda m: m.group(0).replace(f'fill="{m.group(2)}"', f'fill="{old[m.group(3)]}"'), svg)

    assert ("已核验/办结", "已报送") in indistinct_pairs(swatches(app, colour_only(states)))
    assert indistinct_pairs(swatches(app, colour_only(targets))) == [("已达目标", "未达目标")]
