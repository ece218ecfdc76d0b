"""Per-rep measurements the fault detectors judge (pure numpy, MediaPipe's scale).

Heights come from the analysis' heel-height signal `h` (shank lengths, up positive),
low-passed once more so single-frame glitches cannot fake a dwell or a bounce. Times of a
phase are taken between 10 % and 90 % of its travel, which does not depend on where the
rep machine put the phase boundaries.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from formcheck.core.clean import CleanTracks
from formcheck.core.filters import lowpass, nanmedian_across, small_median, time_window
from formcheck.core.reps import PhaseTimes
from formcheck.core.signals import knee_flexion, trunk_lean

SMOOTH_HZ = 2.5  # extra low-pass of the heel signal before levels and dwells are measured (not ramp times)
NAN = float("nan")


@dataclass(frozen=True)
class RepLevels:
    """Heel levels and phase durations of one rep (shank lengths, seconds)."""

    start: float  # bottom the rise leaves from
    top: float
    bottom: float  # the rep's own bottom, after the lowering
    t_peak: float
    t_low: float  # when the own bottom is reached (lowest point)
    rise_s: float  # 10-90 % of the rise
    lower_s: float  # 90-10 % of the lowering


def smooth_heel(t: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The heel signal low-passed at SMOOTH_HZ (NaN stays NaN)."""
    return lowpass(t, h, SMOOTH_HZ)


def pelvis_rise(tracks: CleanTracks, side: str) -> np.ndarray:
    """Body rise for front/back views, shank lengths: median of the working hip, the higher of the
    two hips and the working ankle (each centred on its own median).

    Shoulders are left out: a forward lean lowers them and would fake a missing top pause. The
    pelvis tilts about the standing hip, so a dropping free-side hip (hips not level) must not
    lower the rise: the higher hip stands in for it."""
    free = "left" if side == "right" else "right"
    comps = np.stack([-tracks.p(n)[:, 1] for n in (f"{side}_hip", f"{free}_hip", f"{side}_ankle")], axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        comps = comps - np.nanmedian(comps, axis=0)
        comps[:, 1] = np.fmax(comps[:, 0], comps[:, 1])
        return nanmedian_across(comps, 1) / tracks.shank_px


def _sel(t: np.ndarray, x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Indices of the finite samples of x with a <= t <= b (1e-9 slack), found by binary search."""
    win = time_window(t, a, b)
    return win.start + np.flatnonzero(np.isfinite(x[win]))


def _ramp_time(t: np.ndarray, x: np.ndarray, idx: np.ndarray, lo: float, hi: float) -> float:
    """Seconds between 10 % and 90 % of lo -> hi along idx (x moving from lo towards hi)."""
    if idx.size < 2 or not np.isfinite(hi - lo) or hi == lo:
        return NAN
    u = (x[idx] - lo) / (hi - lo)
    below = np.flatnonzero(u < 0.1)
    if below.size == 0:
        return NAN
    k10 = below[-1]
    above = np.flatnonzero(u[k10:] >= 0.9)
    if above.size == 0:
        return NAN
    k90 = k10 + above[0]
    return abs(float(_cross(t[idx], u, k10, 0.1) - _cross(t[idx], u, k90 - 1, 0.9)))


def _cross(t: np.ndarray, u: np.ndarray, k: int, level: float) -> float:
    """Interpolated time between samples k and k+1 where u crosses level."""
    a, b = u[k], u[k + 1]
    frac = 0.0 if a == b else (level - a) / (b - a)
    return float(t[k] + np.clip(frac, 0, 1) * (t[k + 1] - t[k]))


def rep_levels(t: np.ndarray, hs: np.ndarray, p: PhaseTimes, h: np.ndarray | None = None) -> RepLevels | None:
    """Levels (on the smoothed heel signal hs) and 10-90 % durations (on h, default hs) of the rep."""
    h = hs if h is None else h
    up = _sel(t, hs, p.t_start - 0.3, p.t_top_end + 0.1)
    down = _sel(t, hs, p.t_top_start - 0.1, p.t_end + 0.1)
    if up.size < 3 or down.size < 3:
        return None
    i_peak = up[np.argmax(hs[up])]
    after = down[down >= i_peak]
    if after.size < 2:
        return None
    i_low = after[np.argmin(hs[after])]
    start, top, bottom = float(np.min(hs[up[up <= i_peak]])), float(hs[i_peak]), float(hs[i_low])
    rise = _ramp_time(t, h, up[up <= i_peak], start, top)
    fall = _ramp_time(t, h, after[after <= i_low], top, bottom)
    return RepLevels(start, top, bottom, float(t[i_peak]), float(t[i_low]), rise, fall)


def dwell(t: np.ndarray, hs: np.ndarray, i0: int, level: float, band: float, sign: float) -> float:
    """Seconds the smoothed signal stays within `band` of `level` around sample i0.

    sign=+1 for a top (values above level - band), -1 for a bottom (below level + band)."""
    def inside(lo: int, hi: int) -> np.ndarray:
        return sign * (hs[lo:hi] - level) > -band

    if not inside(i0, i0 + 1)[0]:
        return 0.0
    return float(t[_run_end(inside, i0, len(hs), +1)] - t[_run_end(inside, i0, len(hs), -1)])


def _run_end(inside, i0: int, n: int, direction: int, first: int = 64) -> int:  # noqa: ANN001 - callable
    """The last index of the run of inside() samples through i0, going one way; looks in growing windows
    (so a dwell costs its own length, not the whole series)."""
    span = first
    while True:
        lo, hi = (i0, min(n, i0 + span + 1)) if direction > 0 else (max(0, i0 - span), i0 + 1)
        ok = inside(lo, hi)
        if direction > 0:
            out = np.flatnonzero(~ok)
            if out.size:
                return lo + int(out[0]) - 1
            if hi == n:
                return n - 1
        else:
            out = np.flatnonzero(~ok)
            if out.size:
                return lo + int(out[-1]) + 1
            if lo == 0:
                return 0
        span *= 4


def index_at(t: np.ndarray, when: float) -> int:
    return int(np.clip(np.searchsorted(t, when), 0, len(t) - 1))


def window_range(t: np.ndarray, x: np.ndarray, a: float, b: float) -> float:
    """max - min of x over [a, b] (NaN if unseen)."""
    part = x[_sel(t, x, a, b)]
    return float(part.max() - part.min()) if part.size else NAN


def at(t: np.ndarray, x: np.ndarray, when: float, half_s: float = 0.1) -> float:
    return small_median(x[_sel(t, x, when - half_s, when + half_s)])


def hip_drop(tracks: CleanTracks, side: str) -> np.ndarray:
    """How far the free-side hip sits below the working-side hip, shank lengths (image y, front/back)."""
    free = "left" if side == "right" else "right"
    return tracks.cached(("hip_drop", side), lambda: (tracks.p(f"{free}_hip")[:, 1] - tracks.p(f"{side}_hip")[:, 1])
                         / tracks.shank_px)


def free_foot_gap(tracks: CleanTracks, side: str) -> np.ndarray:
    """Height of the free foot's lowest point above the working foot's toe, shank lengths (image y)."""
    def compute() -> np.ndarray:
        free = "left" if side == "right" else "right"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low_free = np.nanmax(np.stack([tracks.p(f"{free}_{n}")[:, 1] for n in ("heel", "foot_index", "ankle")]),
                                 axis=0)
        stance = tracks.p(f"{side}_foot_index")[:, 1]
        return (stance - low_free) / tracks.shank_px

    return tracks.cached(("free_foot_gap", side), compute)


DWELL_BAND = 0.2  # a top/bottom dwell is the time within this fraction of the set's heel travel from the extreme
TAIL_PER_RAMP = 0.58  # a smooth phase spends this x its 10-90 % time inside that band (fitted on synthetic sets, 1.4-3.2 s reps)


@dataclass(frozen=True)
class RepMeasure:
    """What the detectors judge for one rep (NaN where it cannot be measured)."""

    levels: RepLevels
    top_hold_s: float  # estimated pause at the top (dwell minus the turn-around of the phases)
    bottom_hold_s: float  # estimated pause at the bottom before the next rise
    knee_range_deg: float  # working-knee bend range over the rise
    hip_travel: float  # hip forward travel over the rise, leg lengths
    shoulder_travel: float
    lean_change_deg: float  # trunk lean at the top minus at the start (forward positive)
    free_gap_min: float  # lowest free-foot height above the working toe during the rise, shank lengths
    hip_drop_change: float  # free-side hip drop at the top minus at the start, shank lengths


def holds(t: np.ndarray, hs: np.ndarray, lev: RepLevels, next_rise_s: float, travel: float) -> tuple[float, float]:
    """(top hold, bottom hold) in seconds, turn-around tails removed; can read slightly below 0.

    travel: the set's typical heel travel (the band is a fraction of it, so a short rep's
    noise is not judged against a tighter band)."""
    top = dwell(t, hs, index_at(t, lev.t_peak), lev.top, DWELL_BAND * travel, +1.0)
    bottom = dwell(t, hs, index_at(t, lev.t_low), lev.bottom, DWELL_BAND * travel, -1.0)
    top_hold = top - TAIL_PER_RAMP * (lev.rise_s + lev.lower_s)
    bottom_hold = bottom - TAIL_PER_RAMP * (lev.lower_s + next_rise_s)
    return top_hold, bottom_hold


def posture_changes(tracks: CleanTracks, side: str, forward: float, p: PhaseTimes, lev: RepLevels) -> dict:
    """Knee range, hip/shoulder travel, lean change, free foot and hip drop over the rise."""
    t = tracks.t
    change = lambda x: at(t, x, lev.t_peak) - at(t, x, p.t_start)  # noqa: E731
    forward_x = lambda name: tracks.cached(  # noqa: E731
        ("forward_x", name, forward), lambda: tracks.p(name)[:, 0] * forward / tracks.leg_px)
    hip_x, sh_x = forward_x(f"{side}_hip"), forward_x(f"{side}_shoulder")
    gap = free_foot_gap(tracks, side)
    sel = _sel(t, gap, p.t_start, p.t_top_start)
    lean = tracks.cached(("trunk_lean", forward), lambda: trunk_lean(tracks) * forward)
    return {"knee_range_deg": window_range(t, knee_flexion(tracks, side), p.t_start - 0.2, p.t_top_start + 0.1),
            "hip_travel": change(hip_x), "shoulder_travel": change(sh_x),
            "lean_change_deg": change(lean),
            "free_gap_min": float(np.min(gap[sel])) if sel.size else NAN,
            "hip_drop_change": change(hip_drop(tracks, side))}


@dataclass(frozen=True)
class SetRef:
    """What each rep is compared with: the set's typical bottom, travel and best rise."""

    bottom: float
    travel: float
    best_rise: float
    free_leg_checkable: bool


def best_of(values: np.ndarray) -> float:
    """The largest 3-value running median (the median itself for fewer than 3)."""
    if len(values) < 3 or not np.isfinite(values).all():
        return float(np.median(values)) if len(values) < 3 else float(
            max(np.median(values[k - 1:k + 2]) for k in range(1, len(values) - 1)))
    a, b, c = values[:-2], values[1:-1], values[2:]  # the median of three finite values: a min/max network
    return float(np.max(np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))))


def running_mean3(values: np.ndarray) -> np.ndarray:
    """Centred 3-value running mean (2 values at the ends), as np.mean of each window: ((a + b) + c) / 3."""
    v = np.asarray(values, dtype=float)
    if len(v) < 3:
        return np.array([float(np.mean(v[max(0, k - 1):k + 2])) for k in range(len(v))])
    return np.concatenate([[(v[0] + v[1]) / 2], ((v[:-2] + v[1:-1]) + v[2:]) / 3, [(v[-2] + v[-1]) / 2]])
