"""Per-rep measurements: tempo, heel range (degrees, foot lengths, shank lengths, cm), knee, hip, trunk."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.clean import CleanTracks, segment_length
from formcheck.core.config import ScaleConfig
from formcheck.core.filters import small_median, time_window
from formcheck.core.reps import PhaseTimes
from formcheck.core.signals import foot_angle, knee_flexion, trunk_lean

SHANK_PER_HEIGHT = 0.246  # knee-to-ankle length / body height (Drillis & Contini anthropometry)
SAGITTAL_VIEWS = ("side", "oblique")


@dataclass(frozen=True)
class RepContext:
    """What every rep of one stance segment shares."""

    tracks: CleanTracks
    side: str  # the leg the signals come from
    view: str
    h: np.ndarray  # full-length heel-height signal (shank lengths), NaN outside stance
    foot_px: float  # foot length in pixels (heel to toe, side view), NaN if not measurable
    forward: float  # +1 if the toes point to image +x, -1 otherwise
    scale: ScaleConfig


def _at(t: np.ndarray, x: np.ndarray, when: float, half_s: float = 0.05, how: str = "median") -> float:
    return _over(t, x, when - half_s, when + half_s, how)


def _over(t: np.ndarray, x: np.ndarray, a: float, b: float, how: str) -> float:
    part = x[time_window(t, a, b)]
    part = part[np.isfinite(part)]
    if not part.size:
        return float("nan")
    return small_median(part) if how == "median" else float(part.min() if how == "min" else part.max())


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def tempo(p: PhaseTimes) -> dict[str, float | None]:
    con, top = p.t_top_start - p.t_start, p.t_top_end - p.t_top_start
    ecc, bottom = p.t_bottom - p.t_top_end, p.t_end - p.t_bottom
    return {"concentric_s": _r(con), "top_pause_s": _r(top), "eccentric_s": _r(ecc), "bottom_pause_s": _r(bottom),
            "time_under_tension_s": _r(p.t_end - p.t_start),
            "eccentric_concentric_ratio": _r(ecc / con if con > 0 else float("nan"), 2)}


def heel_range(ctx: RepContext, p: PhaseTimes) -> dict:
    t = ctx.tracks.t
    h_bottom = _over(t, ctx.h, p.t_start - 0.3, p.t_start + 0.02, "min")
    h_top = _over(t, ctx.h, p.t_top_start, p.t_top_end, "max")
    shank_frac = h_top - h_bottom
    out = {"foot_angle_deg": None, "foot_length_frac": None, "shank_frac": _r(shank_frac), "cm": None,
           "cm_source": None, "bottom_foot_angle_deg": None, "top_foot_angle_deg": None}
    if ctx.view in SAGITTAL_VIEWS and np.isfinite(ctx.foot_px):
        ang = foot_angle(ctx.tracks, ctx.side)
        a_bot = _over(t, ang, p.t_start - 0.3, p.t_start + 0.02, "min")
        a_top = _over(t, ang, p.t_top_start, p.t_top_end, "max")
        frac = (np.sin(np.radians(a_top)) - np.sin(np.radians(a_bot)))
        out.update(foot_angle_deg=_r(a_top - a_bot, 1), foot_length_frac=_r(frac),
                   bottom_foot_angle_deg=_r(a_bot, 1), top_foot_angle_deg=_r(a_top, 1))
    if ctx.scale.foot_cm and out["foot_length_frac"] is not None:
        out.update(cm=_r(out["foot_length_frac"] * ctx.scale.foot_cm, 1), cm_source="foot_cm")
    elif ctx.scale.height_cm and np.isfinite(shank_frac):
        out.update(cm=_r(shank_frac * SHANK_PER_HEIGHT * ctx.scale.height_cm, 1), cm_source="height_cm")
    return out


def posture(ctx: RepContext, p: PhaseTimes) -> dict:
    """Knee bend at bottom/top, hip and shoulder forward travel in the rise, trunk lean."""
    tr, t, s = ctx.tracks, ctx.tracks.t, ctx.side
    knee = knee_flexion(tr, s)
    lean = tr.cached(("trunk_lean", ctx.forward), lambda: trunk_lean(tr) * ctx.forward)
    hip_x = tr.p(f"{s}_hip")[:, 0]
    sh_x = tr.p(f"{s}_shoulder")[:, 0]
    travel = lambda x: (_at(t, x, p.t_top_start) - _at(t, x, p.t_start)) * ctx.forward / tr.leg_px  # noqa: E731
    knee_rep = _over(t, knee, p.t_start - 0.2, p.t_end, "max") - _over(t, knee, p.t_start - 0.2, p.t_end, "min")
    return {
        "knee_flexion_bottom_deg": _r(_at(t, knee, p.t_start), 1),
        "knee_flexion_top_deg": _r(_at(t, knee, (p.t_top_start + p.t_top_end) / 2), 1),
        "knee_flexion_range_deg": _r(knee_rep, 1),
        "hip_forward_travel_leg_frac": _r(travel(hip_x)),
        "shoulder_forward_travel_leg_frac": _r(travel(sh_x)),
        "trunk_lean_bottom_deg": _r(_at(t, lean, p.t_start), 1),
        "trunk_lean_top_deg": _r(_at(t, lean, p.t_top_start), 1),
    }


def foot_length_px(tracks: CleanTracks, side: str, start: int, stop: int) -> float:
    """Heel-to-toe length in pixels (90th percentile: the foot seen flattest), side/oblique views."""
    d = segment_length(tracks.p(f"{side}_heel")[start:stop], tracks.p(f"{side}_foot_index")[start:stop])
    d = d[np.isfinite(d)]
    return float(np.percentile(d, 90)) if d.size else float("nan")


def forward_sign(tracks: CleanTracks, side: str, start: int, stop: int) -> float:
    dx = tracks.p(f"{side}_foot_index")[start:stop, 0] - tracks.p(f"{side}_heel")[start:stop, 0]
    dx = dx[np.isfinite(dx)]
    return 1.0 if not dx.size or np.median(dx) >= 0 else -1.0
