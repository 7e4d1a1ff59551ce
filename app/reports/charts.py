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

# Segment order and colours of the per-action chart (done first, untouched last).
STATE_SEGMENTS = (
    ("done", "已核验/办结", "#2e7d32"),
    ("submitted", "已报送", "#1565c0"),
    ("in_progress", "办理中", "#64b5f6"),
    ("assigned", "已交办未签收", "#bdbdbd"),
)


def _scale(value: float, maximum: float, length: float) -> float:
    return round(length * max(0.0, min(value, maximum)) / maximum, 2) if maximum else 0.0


def action_progress_chart(actions: list[dict]) -> dict:
    """Stacked bars: each action's cases by state (share of its cases), with average progress."""
    plot = WIDTH - LABEL_WIDTH - NOTE_WIDTH
    legend, x = [], LABEL_WIDTH
    for _key, label, colour in STATE_SEGMENTS:
        legend.append({"x": x, "label": label, "colour": colour})
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
        for key, _label, colour in STATE_SEGMENTS:
            width = _scale(counts[key], action["cases"], plot)
            if width:
                segments.append({"x": round(left, 2), "width": width, "colour": colour})
            left += width
        rows.append({
            "y": y,
            "label": f"{action['number']}、{action['short']}",
            "segments": segments,
            "note": f"{action['cases']}项 平均{action['average_percent']}%",
        })
    ticks = [{"x": LABEL_WIDTH + _scale(p, 100, plot), "label": f"{p}%"} for p in (0, 25, 50, 75, 100)]
    return {
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


def indicator_chart(indicators: list[dict], limit: int = 20) -> dict:
    """Bars of completion (% of target) for indicators with an actual; 100% marked."""
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
            "colour": "#2e7d32" if row["met"] else "#c62828",
            "note": f"{row['ratio']}%",
        })
    ticks = [{"x": LABEL_WIDTH + _scale(p, maximum, plot), "label": f"{p}%"} for p in (0, 50, 100, 150)]
    return {
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
            {"x": LABEL_WIDTH, "label": "已达目标", "colour": "#2e7d32"},
            {"x": LABEL_WIDTH + 80, "label": "未达目标", "colour": "#c62828"},
        ],
        "shown": len(rows),
    }
