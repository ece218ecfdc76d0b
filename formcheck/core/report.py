"""Analysis -> the report dictionary (schema_version 1). Pure: no files, no clock."""

from __future__ import annotations

from typing import Any

import numpy as np

from formcheck.core.analyze import Analysis, RepResult
from formcheck.core.faults.rules import RULES

SCHEMA_VERSION = 1
TEMPO_KEYS = (
    "concentric_s",
    "top_pause_s",
    "eccentric_s",
    "bottom_pause_s",
    "time_under_tension_s",
    "eccentric_concentric_ratio",
)


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def rep_to_dict(rep: RepResult) -> dict[str, Any]:
    p, m = rep.times, rep.metrics
    out: dict[str, Any] = {
        "index": rep.index,
        "t_start": _r(p.t_start),
        "t_top_start": _r(p.t_top_start),
        "t_top_end": _r(p.t_top_end),
        "t_bottom": _r(p.t_bottom),
        "t_end": _r(p.t_end),
    }
    out.update({k: m.get(k) for k in TEMPO_KEYS})
    out["bottom_pause_estimated"] = m["bottom_pause_estimated"]
    out["view"] = rep.view
    out["track"], out["track_refined_frac"] = rep.track
    out["heel_range"] = m.get("heel_range", {})
    out.update({k: v for k, v in m.items() if k not in (*TEMPO_KEYS, "heel_range", "bottom_pause_estimated")})
    out["vs_set"] = rep.vs_set.to_dict()
    out["tracking_quality"] = round(rep.quality, 2)
    out["tracking_quality_by_phase"] = {k: round(v, 2) for k, v in rep.phase_quality.items()}
    out["faults"] = list(rep.faults)
    out["uncertain"] = list(rep.uncertain)
    out["not_checked"] = list(rep.not_checked)
    return out


def analysis_to_dict(a: Analysis) -> dict[str, Any]:
    """The analysis part of report.json (input, config and versions are added by the caller)."""
    ev = a.side_evidence
    return {
        "side": a.side,
        "side_detail": {
            "detected": ev.side,
            "reason": ev.reason,
            "signal_leg": a.signal_side,
            "knee_flexion_deg": {k: _r(v, 1) for k, v in ev.knee_flexion_deg.items()},
            "toe_height_shank": {k: _r(v) for k, v in ev.toe_height.items()},
        },
        "views": [v.to_dict() for v in a.views],
        "stances": [{"t_start": _r(s), "t_end": _r(e)} for s, e in a.stances],
        "rep_count": len(a.reps),
        "reps": [rep_to_dict(r) for r in a.reps],
        "faults_not_checked": list(a.faults_not_checked),
        "stop_set": a.stop_set,
        "summary": a.summary,
        "warnings": list(a.warnings),
    }


def rep_heel_range(rep: dict[str, Any]) -> str:
    """A rep's heel range as the table shows it: the foot's angle (or shank lengths where the foot's angle
    cannot be read), with centimetres when the set was scaled; "-" when not measured."""
    hr = rep.get("heel_range") or {}
    if hr.get("foot_angle_deg") is not None:
        text = f"{hr['foot_angle_deg']:.0f} deg"
    elif hr.get("shank_frac") is not None:
        text = f"{hr['shank_frac']:.2f} shank"
    else:
        text = "-"
    return text + (f" ({hr['cm']:.1f} cm)" if hr.get("cm") is not None else "")


def partly_checked(data: dict[str, Any]) -> dict[int, tuple[str, list[str]]]:
    """Reps judged on fewer faults than the clip as a whole, from report.json's dict:
    {rep index: (its view, the faults checked on other reps but not on this one)}.

    A fault no view of the clip can show is in faults_not_checked already, for the whole clip; bounce on a rep
    whose bottom pause is estimated (a set's last rep) is said by the pause's own mark ("~"); a fault judged on no
    rep at all (bounce in sets of one rep) is in faults_not_checked too."""
    checked_somewhere = {fid for r in data.get("reps", []) for fid in _judgeable(r)}
    out = {}
    for r in data.get("reps", []):
        by_pause = {"bounce"} if r.get("bottom_pause_estimated") else set()
        missing = [fid for fid in r.get("not_checked", []) if fid in checked_somewhere and fid not in by_pause]
        if missing:
            out[r["index"]] = (r.get("view") or "unknown", missing)
    return out


def _judgeable(rep: dict[str, Any]) -> set[str]:
    return set(RULES) - set(rep.get("not_checked", []))
