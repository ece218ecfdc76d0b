"""The report's charts as inline SVG: heel height over time, and per-rep tempo bars."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from markupsafe import Markup

from formcheck.viz.labels import PHASE_NAMES, fault_banner
from formcheck.viz.svg import circle, group, line, pct, rect, stretched_polyline, svg, text, title

PHASE_SPANS = (
    ("rise", "t_start", "t_top_start"),
    ("top", "t_top_start", "t_top_end"),
    ("lower", "t_top_end", "t_bottom"),
    ("bottom", "t_bottom", "t_end"),
)
MAX_POINTS = 1200
# heel plot geometry (px)
REP_ROW, PLOT_TOP, PLOT_H, AXIS_H = 18, 34, 170, 22


def _nice_step(span: float, target: int = 8) -> float:
    raw = span / max(target, 1)
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600):
        if step >= raw:
            return float(step)
    return float(math.ceil(raw / 600) * 600)


def heel_plot(t: np.ndarray, height: np.ndarray, reps: Sequence[dict[str, Any]]) -> Markup:
    """Heel height over the clip (0 = the set's bottom, 1 = its top), reps' four phases shaded, rep
    boundaries and numbers, faults marked where they happened (hover for the fault)."""
    t = np.asarray(t, float)
    t0, t1 = float(t[0]), float(t[-1]) if len(t) > 1 else float(t[0]) + 1.0
    x = lambda v: 100.0 * (float(v) - t0) / (t1 - t0)
    finite = height[np.isfinite(height)]
    lo = min(-0.15, float(finite.min()) if finite.size else 0.0)
    hi = max(1.15, float(finite.max()) if finite.size else 1.0)
    y = lambda v: PLOT_TOP + PLOT_H * (hi - v) / (hi - lo)
    parts: list[Markup] = [rect(0, PLOT_TOP, "100%", PLOT_H, "plot-bg")]
    parts += _phase_shading(reps, x)
    for level, name in ((0.0, "bottom"), (1.0, "top")):
        parts += [line(0, y(level), "100%", y(level), "ref"), text(4, y(level) - 3, f"set {name}", "ref-label")]
    step = max(1, len(t) // MAX_POINTS)
    xs = (t[::step] - t0) / (t1 - t0)
    ys = (height[::step] - lo) / (hi - lo)
    parts.append(stretched_polyline(xs.tolist(), ys.tolist(), PLOT_TOP, PLOT_H, "heel"))
    parts += _rep_marks(reps, x)
    parts += _fault_marks(reps, x)
    parts += _time_axis(t0, t1, x)
    return svg(
        parts, PLOT_TOP + PLOT_H + AXIS_H, "heel height over time with reps, phases and faults", "chart heel-plot"
    )


def _phase_shading(reps: Sequence[dict[str, Any]], x: Any) -> list[Markup]:
    out = []
    for r in reps:
        for phase, a, b in PHASE_SPANS:
            if r.get(a) is None or r.get(b) is None or r[b] <= r[a]:
                continue
            tip = f"rep {r['index']} {PHASE_NAMES[phase]}: {r[b] - r[a]:.2f} s"
            out.append(rect(pct(x(r[a])), PLOT_TOP, pct(x(r[b]) - x(r[a])), PLOT_H, f"ph-{phase}", tip))
    return out


def _rep_marks(reps: Sequence[dict[str, Any]], x: Any) -> list[Markup]:
    out = []
    for r in reps:
        out.append(line(pct(x(r["t_start"])), REP_ROW - 12, pct(x(r["t_start"])), PLOT_TOP + PLOT_H, "rep-line"))
        out.append(text(pct((x(r["t_start"]) + x(r["t_end"])) / 2), REP_ROW - 2, str(r["index"]), "rep-num", "middle"))
    if reps:
        end = pct(x(reps[-1]["t_end"]))
        out.append(line(end, REP_ROW - 12, end, PLOT_TOP + PLOT_H, "rep-line"))
    return out


def _fault_marks(reps: Sequence[dict[str, Any]], x: Any) -> list[Markup]:
    """Each fault: a bar over its time span near the top of the plot and a dot in its middle."""
    out = []
    for r in reps:
        for k, f in enumerate(r.get("faults", [])):
            severity = f.get("severity", "minor")
            tip = f"rep {r['index']}: {fault_banner(f['id'])} ({severity})"
            a, b = x(f["t_start"]), x(f["t_end"])
            yy = PLOT_TOP + 7 + 9 * k
            out.append(
                group(
                    [
                        title(tip),
                        rect(pct(a), yy - 2, pct(max(b - a, 0.3)), 4, "fault-span"),
                        circle(pct((a + b) / 2), yy, 5, "fault-dot"),
                    ],
                    f"fault {severity}",
                )
            )
    return out


def _time_axis(t0: float, t1: float, x: Any) -> list[Markup]:
    step = _nice_step(t1 - t0)
    out = []
    v = math.ceil(t0 / step) * step
    while v <= t1 + 1e-9:
        out.append(line(pct(x(v)), PLOT_TOP + PLOT_H, pct(x(v)), PLOT_TOP + PLOT_H + 4, "tick"))
        anchor = "start" if x(v) < 3 else "end" if x(v) > 97 else "middle"
        out.append(text(pct(x(v)), PLOT_TOP + PLOT_H + 17, f"{v:g} s", "tick-label", anchor))
        v += step
    return out


# tempo bars geometry (px)
BAR_H, BAR_GAP, ROW_GAP, LABEL_W = 13, 2, 10, 7.0  # LABEL_W: % of the width for the rep number


def tempo_bars(reps: Sequence[dict[str, Any]]) -> Markup:
    """Per rep two bars from the same start: up (rise, then top pause) over down (lowering, then bottom
    pause), so a lowering shorter than the rise shows at a glance. A rep carrying `fast_lowering` has its
    lowering drawn as `fast` with the fault's severity (`fast look` when the fault is uncertain: "look at this
    rep") and a tick where the lowering should have reached (the rule's threshold): the chart says what the
    fault list says."""
    totals = [
        max(_s(r, "concentric_s") + _s(r, "top_pause_s"), _s(r, "eccentric_s") + _s(r, "bottom_pause_s"), _tick(r))
        for r in reps
    ]
    scale = (100.0 - LABEL_W - 1) / max(max(totals, default=1.0), 1e-6)
    row = 2 * BAR_H + BAR_GAP + ROW_GAP
    parts: list[Markup] = []
    for k, r in enumerate(reps):
        y0 = 4 + k * row
        parts.append(text(pct(LABEL_W - 2), y0 + BAR_H + 5, str(r["index"]), "rep-num", "end"))
        fast = fast_lowering(r)
        parts += _bar(r, ("rise", "concentric_s"), ("top", "top_pause_s"), y0, scale, None)
        parts += _bar(r, ("lower", "eccentric_s"), ("bottom", "bottom_pause_s"), y0 + BAR_H + BAR_GAP, scale, fast)
        should = _tick(r)
        if should > 0:
            xr = pct(LABEL_W + should * scale)
            yb = y0 + BAR_H + BAR_GAP
            parts.append(line(xr, yb - 1, xr, yb + BAR_H + 1, "should"))
    height = 4 + len(reps) * row
    return svg(
        parts, max(height, 10), "per-rep tempo: rise and top pause over lowering and bottom pause", "chart tempo-bars"
    )


def _tick(rep: dict[str, Any]) -> float:
    """Where a too-fast lowering should have reached (its fault's threshold, s); 0 without one."""
    fast = fast_lowering(rep)
    should = None if fast is None else fast[0].get("threshold")
    return float(should) if should is not None and math.isfinite(should) else 0.0


def fast_lowering(rep: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
    """The rep's fast_lowering fault and whether it is uncertain ("look at this rep"), or None."""
    for key, uncertain in (("faults", False), ("uncertain", True)):
        for f in rep.get(key) or ():
            if f.get("id") == "fast_lowering":
                return f, uncertain
    return None


def _s(rep: dict[str, Any], key: str) -> float:
    v = rep.get(key)
    return float(v) if v is not None and math.isfinite(v) else 0.0


def _bar(
    rep: dict[str, Any],
    first: tuple[str, str],
    second: tuple[str, str],
    y: float,
    scale: float,
    fast: tuple[dict[str, Any], bool] | None,
) -> list[Markup]:
    out = []
    x = LABEL_W
    for phase, key in (first, second):
        d = _s(rep, key)
        w = d * scale
        cls = f"ph-{phase} bar"
        if phase == "lower" and fast is not None:
            cls += " fast look" if fast[1] else f" fast {fast[0].get('severity', 'major')}"
        estimated = phase == "bottom" and rep.get("bottom_pause_estimated")
        tip = f"rep {rep['index']} {PHASE_NAMES[phase]}: {d:.2f} s" + (" (estimated)" if estimated else "")
        if phase == "lower" and fast is not None:
            tip += " - too fast?" if fast[1] else " - too fast"
        out.append(rect(pct(x), y, pct(max(w, 0.0)), BAR_H, cls + (" est" if estimated else ""), tip))
        if w >= 6:
            out.append(text(pct(x), y + BAR_H - 3, f"{d:.1f}", "bar-label", dx=3))
        x += w
    return out
