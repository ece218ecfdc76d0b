"""Per-rep measurements: tempo, heel range (degrees, foot lengths, shank lengths, cm), knee, hip, trunk."""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np

from formcheck.core.clean import CleanTracks, segment_length
from formcheck.core.config import ScaleConfig
from formcheck.core.filters import median_of, small_median, time_window
from formcheck.core.reps import PhaseTimes
from formcheck.core.signals import foot_angle, knee_flexion, trunk_lean
from formcheck.core.windows import spans_in_time

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
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def tempo(p: PhaseTimes) -> dict[str, float | None]:
    con, top = p.t_top_start - p.t_start, p.t_top_end - p.t_top_start
    ecc, bottom = p.t_bottom - p.t_top_end, p.t_end - p.t_bottom
    return {"concentric_s": _r(con), "top_pause_s": _r(top), "eccentric_s": _r(ecc), "bottom_pause_s": _r(bottom),
            "time_under_tension_s": _r(p.t_end - p.t_start),
            "eccentric_concentric_ratio": _r(ecc / con if con > 0 else float("nan"), 2)}


def rep_metrics(tracks: CleanTracks, side: str, views: list[str], h: np.ndarray, foot_px: float | np.ndarray,
                forward: float | np.ndarray, scale: ScaleConfig, times: list[PhaseTimes]) -> list[dict]:
    """{"heel_range": heel_range(...), **posture(...)} of each rep (rep i seen in views[i]; foot_px and forward:
    its stance's, one value or one per rep), every window of every rep measured at once."""
    t = tracks.t
    foot_px = np.broadcast_to(np.asarray(foot_px, dtype=float), (len(times),))
    ts, tts, tte, te = (np.array([getattr(p, k) for p in times], dtype=float)
                        for k in ("t_start", "t_top_start", "t_top_end", "t_end"))
    bottom, top = spans_in_time(t, ts - 0.3, ts + 0.02), spans_in_time(t, tts, tte)
    h_bottom, h_top = bottom.of(h).min(), top.of(h).max()
    sagittal = [v in SAGITTAL_VIEWS and math.isfinite(px) for v, px in zip(views, foot_px)]
    angles = None
    if any(sagittal):
        ang = foot_angle(tracks, side)
        angles = bottom.of(ang).min(), top.of(ang).max()
    posture_cols = _postures(tracks, side, forward, ts, tts, tte, te)
    out = []
    for i in range(len(times)):
        hr = _heel_range_dict(float(h_top[i]) - float(h_bottom[i]),
                              (float(angles[0][i]), float(angles[1][i])) if sagittal[i] else None, scale)
        out.append({"heel_range": hr, **{k: v[i] for k, v in posture_cols.items()}})
    return out


def _heel_range_dict(shank_frac: float, angles: tuple[float, float] | None, scale: ScaleConfig) -> dict:
    out = {"foot_angle_deg": None, "foot_length_frac": None, "shank_frac": _r(shank_frac), "cm": None,
           "cm_source": None, "bottom_foot_angle_deg": None, "top_foot_angle_deg": None}
    if angles is not None:
        a_bot, a_top = angles
        frac = (np.sin(np.radians(a_top)) - np.sin(np.radians(a_bot)))
        out.update(foot_angle_deg=_r(a_top - a_bot, 1), foot_length_frac=_r(frac),
                   bottom_foot_angle_deg=_r(a_bot, 1), top_foot_angle_deg=_r(a_top, 1))
    if scale.foot_cm and out["foot_length_frac"] is not None:
        out.update(cm=_r(out["foot_length_frac"] * scale.foot_cm, 1), cm_source="foot_cm")
    elif scale.height_cm and np.isfinite(shank_frac):
        out.update(cm=_r(shank_frac * SHANK_PER_HEIGHT * scale.height_cm, 1), cm_source="height_cm")
    return out


def _postures(tracks: CleanTracks, s: str, forward: float | np.ndarray, ts: np.ndarray, tts: np.ndarray,
              tte: np.ndarray, te: np.ndarray) -> dict[str, list]:
    """posture()'s columns for reps with these phase times (forward: +1 or -1, one value or one per rep)."""
    tr, t = tracks, tracks.t
    forward = np.broadcast_to(np.asarray(forward, dtype=float), ts.shape)
    knee = knee_flexion(tr, s)
    near = lambda when: spans_in_time(t, when - 0.05, when + 0.05)  # noqa: E731 - _at's windows
    start, top = near(ts), near(tts)
    travel = lambda x: (top.of(x).median() - start.of(x).median()) * forward / tr.leg_px  # noqa: E731
    knee_win = spans_in_time(t, ts - 0.2, te).of(knee)
    lean_bottom, lean_top = np.full(ts.shape, np.nan), np.full(ts.shape, np.nan)
    for sign in np.unique(forward).tolist():  # the lean signed by the facing direction, as the faults read it
        lean = tr.cached(("trunk_lean", sign), lambda sign=sign: trunk_lean(tr) * sign)
        mine = forward == sign
        lean_bottom = np.where(mine, start.of(lean).median(), lean_bottom)
        lean_top = np.where(mine, top.of(lean).median(), lean_top)
    cols = {"knee_flexion_bottom_deg": (start.of(knee).median(), 1),
            "knee_flexion_top_deg": (near((tts + tte) / 2).of(knee).median(), 1),
            "knee_flexion_range_deg": (knee_win.max() - knee_win.min(), 1),
            "hip_forward_travel_leg_frac": (travel(tr.p(f"{s}_hip")[:, 0]), 3),
            "shoulder_forward_travel_leg_frac": (travel(tr.p(f"{s}_shoulder")[:, 0]), 3),
            "trunk_lean_bottom_deg": (lean_bottom, 1), "trunk_lean_top_deg": (lean_top, 1)}
    return {k: [_r(float(x), nd) for x in v] for k, (v, nd) in cols.items()}


def heel_range(ctx: RepContext, p: PhaseTimes) -> dict:
    """Heel rise of one rep: shank lengths, foot angle and foot lengths (side views), cm when scaled."""
    return rep_metrics(ctx.tracks, ctx.side, [ctx.view], ctx.h, ctx.foot_px, ctx.forward, ctx.scale, [p])[0]["heel_range"]


def posture(ctx: RepContext, p: PhaseTimes) -> dict:
    """Knee bend at bottom/top, hip and shoulder forward travel in the rise, trunk lean."""
    ts, tts, tte, te = (np.array([x]) for x in (p.t_start, p.t_top_start, p.t_top_end, p.t_end))
    return {k: v[0] for k, v in _postures(ctx.tracks, ctx.side, ctx.forward, ts, tts, tte, te).items()}


def foot_length_px(tracks: CleanTracks, side: str, start: int, stop: int) -> float:
    """Heel-to-toe length in pixels (90th percentile: the foot seen flattest), side/oblique views."""
    d = segment_length(tracks.p(f"{side}_heel")[start:stop], tracks.p(f"{side}_foot_index")[start:stop])
    d = d[np.isfinite(d)]
    return float(np.percentile(d, 90)) if d.size else float("nan")


def forward_sign(tracks: CleanTracks, side: str, start: int, stop: int) -> float:
    dx = tracks.p(f"{side}_foot_index")[start:stop, 0] - tracks.p(f"{side}_heel")[start:stop, 0]
    dx = dx[np.isfinite(dx)]
    return 1.0 if not dx.size or median_of(dx) >= 0 else -1.0
