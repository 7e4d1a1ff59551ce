"""Chart geometry for the SVG charts drawn in templates/reports/_charts.html.

Here only numbers: positions and lengths in points (the SVG's user unit), so the template
writes plain <rect> and <text> elements — no script, no fetched resource.
"""

from __future__ import annotations

WIDTH = 442  # the type area, 156 mm, in points
LABEL_WIDTH = 112
NOTE_WIDTH = 76
ROW = 20
BAR = 12
TOP = 26  # room for the legend
BOTTOM = 18  # room for the axis labels

# Segment order, colours and fills of the per-action chart (done first, untouched last).
# Each series has its own fill pattern as well as its colour, so the chart reads in
# black-and-white print (PATTERNS; templates/charts/_bars.html draws them as <pattern>s).
STATE_SEGMENTS = (
    ("done", "已核验/办结", "#2e7d32", "solid"),
    ("submitted", "已报送", "#1565c0", "hatch"),
    ("in_progress", "办理中", "#1e88e5", "cross"),
    ("assigned", "已交办未签收", "#757575", "dots"),
)

# The fills: a solid colour, diagonal lines, a cross-hatch and dots, each in the series'
# colour on white. In grey they differ by texture and by darkness (tested on a grey raster).
PATTERNS = ("solid", "hatch", "cross", "dots")
MET = ("#2e7d32", "solid")  # an indicator at or above its target
UNMET = ("#c62828", "hatch")  # below it


def fill(colour: str, pattern: str, prefix: str) -> str:
    """The SVG fill of a series: its colour when solid, else its pattern (ids unique per chart)."""
    return colour if pattern == "solid" else f"url(#{prefix}-{pattern}-{colour.lstrip('#')})"


def patterns_of(*series: tuple[str, str]) -> list[dict]:
    """The <pattern> definitions a chart uses: (colour, pattern) pairs other than solid."""
    seen = []
    for colour, pattern in series:
        if pattern != "solid" and (colour, pattern) not in seen:
            seen.append((colour, pattern))
    return [{"colour": c, "pattern": p, "key": f"{p}-{c.lstrip('#')}"} for c, p in seen]


def _scale(value: float, maximum: float, length: float) -> float:
    return round(length * max(0.0, min(value, maximum)) / maximum, 2) if maximum else 0.0


def action_progress_chart(actions: list[dict], prefix: str = "states") -> dict:
    """Stacked bars: each action's cases by state (share of its cases), with average progress.

    `prefix` makes the chart's pattern ids unique on a page holding several charts.
    """
    plot = WIDTH - LABEL_WIDTH - NOTE_WIDTH
    legend, x = [], LABEL_WIDTH
    for _key, label, colour, pattern in STATE_SEGMENTS:
        legend.append({"x": x, "label": label, "colour": colour, "fill": fill(colour, pattern, prefix)})
        x += 12 + 10 * len(label) + 14
    rows = []
    for i, action in enumerate(actions):
        y = TOP + i * ROW
        states = action["states"]
        counts = {
            "done": states["verified"] + states["closed"],
            "submitted": states["submitted"],
            "in_progress": states["in_progress"],
            "assigned": states["assigned"],
        }
        segments, left = [], LABEL_WIDTH
        for key, label, colour, pattern in STATE_SEGMENTS:
            width = _scale(counts[key], action["cases"], plot)
            if width:
                segments.append({"x": round(left, 2), "width": width, "colour": colour,
                                 "fill": fill(colour, pattern, prefix), "series": label, "count": counts[key]})
            left += width
        rows.append({
            "y": y,
            "label": f"{action['number']}、{action['short']}",
            "segments": segments,
            "note": f"{action['cases']}项 平均{action['average_percent']}%",
        })
    ticks = [{"x": LABEL_WIDTH + _scale(p, 100, plot), "label": f"{p}%"} for p in (0, 25, 50, 75, 100)]
    return {
        "prefix": prefix,
        "patterns": patterns_of(*((c, p) for _k, _l, c, p in STATE_SEGMENTS)),
        "width": WIDTH,
        "height": TOP + len(actions) * ROW + BOTTOM,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + plot,
        "bar": BAR,
        "legend": legend,
        "rows": rows,
        "ticks": ticks,
        "note_x": WIDTH,
        "axis_y": TOP + len(actions) * ROW,
    }


def indicator_chart(indicators: list[dict], limit: int = 20, prefix: str = "targets") -> dict:
    """Bars of completion (% of target) for indicators with an actual; 100% marked.

    Met and unmet differ by fill (solid, hatched) as well as colour, and each bar's note
    says 未达 when below the target.
    """
    reported = [row for row in indicators if row["ratio"] is not None][:limit]
    plot = WIDTH - LABEL_WIDTH - NOTE_WIDTH
    maximum = 150
    rows = []
    for i, row in enumerate(reported):
        name = row["name"] if len(row["name"]) <= 11 else row["name"][:10] + "…"
        rows.append({
            "y": TOP + i * ROW,
            "label": name,
            "width": _scale(row["ratio"], maximum, plot),
            "colour": (MET if row["met"] else UNMET)[0],
            "fill": fill(*(MET if row["met"] else UNMET), prefix),
            "note": f"{row['ratio']}%" + ("" if row["met"] else " 未达"),
        })
    ticks = [{"x": LABEL_WIDTH + _scale(p, maximum, plot), "label": f"{p}%"} for p in (0, 50, 100, 150)]
    return {
        "prefix": prefix,
        "patterns": patterns_of(MET, UNMET),
        "width": WIDTH,
        "height": TOP + len(rows) * ROW + BOTTOM,
        "plot_left": LABEL_WIDTH,
        "plot_right": LABEL_WIDTH + plot,
        "bar": BAR,
        "rows": rows,
        "ticks": ticks,
        "target_x": LABEL_WIDTH + _scale(100, maximum, plot),
        "axis_y": TOP + len(rows) * ROW,
        "legend": [
            {"x": LABEL_WIDTH, "label": "已达目标", "colour": MET[0], "fill": fill(*MET, prefix)},
            {"x": LABEL_WIDTH + 80, "label": "未达目标", "colour": UNMET[0], "fill": fill(*UNMET, prefix)},
        ],
        "shown": len(rows),
    }
