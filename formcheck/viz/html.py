"""report.html: one self-contained page (inline CSS and SVG, thumbnails as data: URIs, no network).

`report_context()` gathers what the page shows from report.json's dict and a few arrays;
`render_report_html()` fills the jinja2 template (package data, autoescape on: every string from the
input, such as file names, is escaped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from formcheck.core.report import partly_checked, rep_heel_range
from formcheck.viz.labels import PHASE_NAMES, fault_label, fault_noun, why_doubtful
from formcheck.viz.plots import heel_plot, tempo_bars

TEMPO = (("rise", "concentric_s"), ("top", "top_pause_s"), ("lower", "eccentric_s"), ("bottom", "bottom_pause_s"))


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("formcheck.viz", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report_html(context: dict[str, Any]) -> str:
    return _env().get_template("report.html.j2").render(**context)


def report_context(
    data: dict[str, Any],
    t: np.ndarray,
    height: np.ndarray,
    quality: dict[str, Any] | None = None,
    thumbs: dict[int, dict[str, str]] | None = None,
    thumbs_note: str | None = None,
    video_name: str | None = None,
) -> dict[str, Any]:
    """Everything the template needs. height: the set-relative heel height (0 bottom, 1 top) at times t;
    thumbs: {rep: {"bottom": data URI, "top": data URI}}; thumbs_note: why there are none."""
    inp = data.get("input", {})
    reps = data.get("reps", [])
    summary = data.get("summary") or {}
    partly = partly_checked(data)
    return {
        "title": Path(inp["path"]).name if inp.get("path") else "landmark series",
        "input": inp,
        "versions": data.get("versions", {}),
        "side": data.get("side"),
        "views": data.get("views", []),
        "rep_count": data.get("rep_count", len(reps)),
        "clean_reps": summary.get("clean_reps", sum(1 for r in reps if not r.get("faults"))),
        "tempo": [(PHASE_NAMES[p], p, (summary.get("average_tempo_s") or {}).get(k)) for p, k in TEMPO],
        "heel_range": heel_range_text(reps),
        "stop_set": data.get("stop_set"),
        "not_checked": [(fault_noun(f["id"]), f["id"], f["reason"]) for f in data.get("faults_not_checked", [])],
        "quality": quality,
        "warnings": data.get("warnings", []),
        "reps": [rep_row(r, (thumbs or {}).get(r["index"]), partly.get(r["index"])) for r in reps],
        "heel_plot": heel_plot(t, height, reps) if len(t) > 1 else None,
        "tempo_bars": tempo_bars(reps) if reps else None,
        "thumbs_note": thumbs_note,
        "has_thumbs": bool(thumbs),
        "video_name": video_name,
        "phases": [(p, PHASE_NAMES[p]) for p, _ in TEMPO],
    }


def heel_range_text(reps: list[dict[str, Any]]) -> str | None:
    """'median 23 deg (10-29 deg) foot angle', or in shank lengths when no foot angle was measured."""

    def spread(values: list[float], unit: str, nd: int) -> str:
        return f"median {np.median(values):.{nd}f} {unit} ({min(values):.{nd}f}-{max(values):.{nd}f})"

    ranges = [r.get("heel_range") or {} for r in reps]
    angles = [h["foot_angle_deg"] for h in ranges if h.get("foot_angle_deg") is not None]
    cms = [h["cm"] for h in ranges if h.get("cm") is not None]
    if angles:
        text = spread(angles, "deg", 0) + " foot angle"
    else:
        shank = [h["shank_frac"] for h in ranges if h.get("shank_frac") is not None]
        if not shank:
            return None
        text = spread(shank, "shank lengths", 2)
    return text + (f"; {spread(cms, 'cm', 1)}" if cms else "")


def rep_row(
    rep: dict[str, Any], thumbs: dict[str, str] | None, partly: tuple[str, list[str]] | None = None
) -> dict[str, Any]:
    """One rep's table row; partly: (view, faults checked on other reps but not this one)."""
    rng = rep_heel_range(rep)
    faults = [
        {
            "id": f["id"],
            "label": fault_label(f["id"]),
            "severity": f.get("severity", "minor"),
            "cue": f.get("cue", ""),
        }
        for f in rep.get("faults", [])
    ]
    look = [
        {
            "id": f["id"],
            "label": fault_label(f["id"]),
            "confidence": f.get("confidence"),
            "why": why_doubtful(f),
        }
        for f in rep.get("uncertain", [])
    ]
    return {
        "index": rep["index"],
        "t_start": rep.get("t_start"),
        "range": rng,
        "faults": faults,
        "look": look,
        "tempo": [(p, rep.get(k)) for p, k in TEMPO],
        "estimated": bool(rep.get("bottom_pause_estimated")),
        "ratio": rep.get("eccentric_concentric_ratio"),
        "thumbs": thumbs or {},
        "unchecked": None if partly is None else (partly[0], ", ".join(fault_noun(fid) for fid in partly[1])),
    }


def report_html(
    report: Any,
    data: dict[str, Any],
    thumbs: dict[int, dict[str, str]] | None = None,
    thumbs_note: str | None = None,
    video_name: str | None = None,
) -> str:
    """report.html's text for a formcheck.api.Report (data: its to_dict())."""
    from formcheck.core.context.quality import landmark_quality
    from formcheck.viz.timeline import gauge_signal

    a = report.analysis
    height = gauge_signal(a.t, a.h, data.get("reps", []), clip=False)
    quality = landmark_quality(report.series, a.signal_side, report.config.cleaning.min_visibility)
    return render_report_html(report_context(data, a.t, height, quality, thumbs, thumbs_note, video_name))
