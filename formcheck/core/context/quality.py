"""How well the pose model saw the working leg: detection rate, visibility, gaps. Pure."""

from __future__ import annotations

import numpy as np

from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.signal.filters import finite_runs

LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


def landmark_quality(series: LandmarkSeries, side: str, min_vis: float = 0.3, min_gap_s: float = 0.1) -> dict:
    """detection_rate: frames with a pose; leg_visibility: median visibility of the working leg's hip,
    knee, ankle, heel and toe where a pose was found; leg_seen_frac: frames where all five are visible
    (>= min_vis); gaps: runs of at least min_gap_s where they are not, with the longest and total."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    n = len(series)
    if n == 0:
        return {
            "detection_rate": 0.0,
            "leg_visibility": None,
            "leg_seen_frac": 0.0,
            "gaps": 0,
            "longest_gap_s": 0.0,
            "gap_total_s": 0.0,
        }
    found = series.found
    vis = series.vis[:, [INDEX[f"{side}_{p}"] for p in LEG_POINTS]]
    seen = found & np.all(np.nan_to_num(vis, nan=0.0) >= min_vis, axis=1)
    dt = float(np.median(np.diff(series.t))) if n > 1 else 0.0
    t_end = np.append(series.t[1:], series.t[-1] + dt)  # each frame lasts until the next
    spans = [float(t_end[b - 1] - series.t[a]) for a, b in finite_runs(~seen)]
    gaps = [s for s in spans if s >= min_gap_s]
    leg_vis = vis[found]
    return {
        "detection_rate": round(float(found.mean()), 4),
        "leg_visibility": round(float(np.nanmedian(leg_vis)), 3) if np.isfinite(leg_vis).any() else None,
        "leg_seen_frac": round(float(seen.mean()), 4),
        "gaps": len(gaps),
        "longest_gap_s": round(max(gaps, default=0.0), 3),
        "gap_total_s": round(sum(gaps), 3),
    }
