"""The history as one self-contained HTML page: tables and inline SVG line charts (no external resources)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from formcheck.history.sets import SetRecord
from formcheck.history.stats import (
    ASYMMETRY_FLAG_PCT,
    MEASURES,
    RECENT_SETS,
    by_side,
    compare_sides,
    most_frequent_fault,
    set_stats,
)
from formcheck.version import __version__

SIDE_ORDER = {"left": 0, "right": 1, "both": 2}
SIDE_COLORS = {"left": "#1f5fbf", "right": "#d62728", "both": "#2ca02c"}
W, H = 460, 200
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 14, 30


@dataclass
class Chart:
    title: str
    unit: str
    lines: list[dict[str, Any]] = field(default_factory=list)
    xticks: list[dict[str, Any]] = field(default_factory=list)
    yticks: list[dict[str, Any]] = field(default_factory=list)
    width: int = W
    height: int = H
    plot_left: int = PAD_L
    plot_right: int = W - PAD_R


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About n round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = (lo // step) * step
    ticks, t = [], first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def line_chart(series: dict[str, list[tuple[datetime, float]]], title: str, unit: str) -> Chart:
    """One chart: a line per side, x = date, y = value (from 0 when all values are positive)."""
    chart = Chart(title, unit)
    points = [p for pts in series.values() for p in pts]
    if not points:
        return chart
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    if t1 - t0 < timedelta(days=1):
        t0, t1 = t0 - timedelta(hours=12), t1 + timedelta(hours=12)
    lo, hi = min(0.0, min(p[1] for p in points)), max(p[1] for p in points)
    yt = nice_ticks(lo, hi * 1.05 if hi > 0 else 1.0)
    y0, y1 = yt[0], yt[-1]
    span = (t1 - t0).total_seconds()
    x_of = lambda t: PAD_L + (t - t0).total_seconds() / span * (W - PAD_L - PAD_R)
    y_of = lambda v: H - PAD_B - (v - y0) / (y1 - y0) * (H - PAD_T - PAD_B)
    chart.yticks = [{"y": round(y_of(v), 1), "label": f"{v:g}"} for v in yt]
    chart.xticks = time_ticks(t0, t1, x_of)
    for side, pts in series.items():
        xy = [(round(x_of(t), 1), round(y_of(v), 1), t, v) for t, v in sorted(pts)]
        chart.lines.append(
            {
                "side": side,
                "color": SIDE_COLORS.get(side, "#555555"),
                "points": " ".join(f"{x},{y}" for x, y, _, _ in xy),
                "dots": [
                    {"x": x, "y": y, "title": f"{side} {t:%Y-%m-%d %H:%M}: {v:.3g} {unit}".strip()} for x, y, t, v in xy
                ],
            }
        )
    return chart


def time_ticks(t0: datetime, t1: datetime, x_of: Any, n: int = 4) -> list[dict[str, Any]]:
    """n evenly spaced date labels (with the hour when the span is under 3 days), no label twice."""
    fmt = "%m-%d %H:%M" if t1 - t0 < timedelta(days=3) else "%Y-%m-%d"
    ticks: list[dict[str, Any]] = []
    for k in range(n):
        t = t0 + (t1 - t0) * k / (n - 1)
        label = t.astimezone().strftime(fmt)
        if not ticks or ticks[-1]["label"] != label:
            anchor = "start" if k == 0 else "end" if k == n - 1 else "middle"
            ticks.append({"x": round(x_of(t), 1), "label": label, "anchor": anchor})
    return ticks


def athlete_view(athlete: str, records: list[SetRecord]) -> dict[str, Any]:
    """Everything the page shows for one athlete."""
    stats = [set_stats(r) for r in records]
    sides = dict(sorted(by_side(stats).items(), key=lambda kv: SIDE_ORDER.get(kv[0], 9)))
    charts = []
    for attr, label, unit in MEASURES:
        series = {
            side: [(s.performed_at, getattr(s, attr)) for s in rows if getattr(s, attr) is not None]
            for side, rows in sides.items()
        }
        series = {k: v for k, v in series.items() if v}
        if series:
            charts.append(line_chart(series, label, unit))
    faults = {side: most_frequent_fault(r for r in records if r.side == side) for side in sides}
    return {
        "name": athlete,
        "sets": sorted(stats, key=lambda s: (s.performed_at, s.set_id)),
        "charts": charts,
        "comparison": compare_sides(stats),
        "faults_by_side": faults,
        "sides": list(sides),
    }


def group_by_athlete(records: Iterable[SetRecord]) -> dict[str, list[SetRecord]]:
    out: dict[str, list[SetRecord]] = {}
    for r in records:
        out.setdefault(r.athlete, []).append(r)
    return dict(sorted(out.items()))


def render_history_html(records: list[SetRecord], title: str = "formcheck training history") -> str:
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("formcheck.history", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["num"] = _fmt
    env.filters["sig"] = lambda x: "-" if x is None else f"{x:.3g}"
    env.filters["basename"] = lambda p: Path(p).name if p and p != "-" else "-"
    env.filters["local"] = lambda t: t.astimezone().strftime("%Y-%m-%d %H:%M")
    views = [athlete_view(name, recs) for name, recs in group_by_athlete(records).items()]
    return env.get_template("history.html.j2").render(
        title=title,
        athletes=views,
        colors=SIDE_COLORS,
        version=__version__,
        flag_pct=ASYMMETRY_FLAG_PCT,
        recent=RECENT_SETS,
        generated=datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M"),
    )


def save_history_html(records: list[SetRecord], path: str | Path) -> Path:
    from formcheck.io.report_files import write_atomic

    return write_atomic(Path(path), render_history_html(records))


def _fmt(x: Any, nd: int = 2) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)
