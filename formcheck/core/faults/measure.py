"""What the fault rules judge, measured once per rep on MediaPipe's scale: heel levels, phase ramps, holds,
posture changes over the rise.

Heights come from the heel-height signal (shank lengths, up positive; the body's rise in front and back
views) low-passed once more, so single-frame glitches cannot fake a dwell or a bounce. The time of a phase is
taken between 10 % and 90 % of its travel, which does not depend on where the phase boundaries were put.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.reps.metrics import max_in, median_in, min_in
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import BodySignals
from formcheck.core.signal.filters import lowpass, nanmedian, time_window

SMOOTH_HZ = 2.5  # extra low-pass of the heel signal before levels and dwells are measured (not ramp times)
DWELL_BAND = 0.2  # a top/bottom dwell is the time within this fraction of the set's heel travel from the extreme
TAIL_PER_RAMP = 0.58  # a smooth phase spends this x its 10-90 % time inside that band (fitted on synthetic sets)
FRONTAL = ("front", "back")  # views where the rise is read from the pelvis, not the heel
NAN = math.nan


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


@dataclass(frozen=True)
class RepMeasure:
    """What the rules judge for one rep (NaN where it cannot be measured)."""

    levels: RepLevels
    top_hold_s: float  # estimated pause at the top (dwell minus the turn-around of the phases)
    bottom_hold_s: float  # estimated pause at the bottom before the next rise
    knee_range_deg: float  # working-knee bend range over the rise
    hip_travel: float  # hip forward travel over the rise, leg lengths
    shoulder_travel: float
    lean_change_deg: float  # trunk lean at the top minus at the start (forward positive)
    free_gap_min: float  # lowest free-foot height above the working toe during the rise, shank lengths
    hip_drop_change: float  # free-side hip drop at the top minus at the start, shank lengths


@dataclass(frozen=True)
class FaultSignals:
    """The signals every rep is judged on: the body's, the heel-height signal (shank lengths, NaN outside the
    stances) and the direction the toes point (+1: image +x)."""

    body: BodySignals
    h: np.ndarray
    forward: float


def seen_indices(t: np.ndarray, x: np.ndarray, a: float, b: float) -> np.ndarray:
    """Indices of the finite samples of x with a <= t <= b."""
    win = time_window(t, a, b)
    return win.start + np.flatnonzero(np.isfinite(x[win]))


def ramp_time(t: np.ndarray, x: np.ndarray, idx: np.ndarray, lo: float, hi: float) -> float:
    """Seconds between 10 % and 90 % of lo -> hi along the samples idx (x moving from lo towards hi)."""
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
    return abs(_cross(t[idx], u, k10, 0.1) - _cross(t[idx], u, k90 - 1, 0.9))


def _cross(t: np.ndarray, u: np.ndarray, k: int, level: float) -> float:
    """Interpolated time between samples k and k+1 where u crosses level."""
    a, b = u[k], u[k + 1]
    frac = 0.0 if a == b else (level - a) / (b - a)
    return float(t[k] + np.clip(frac, 0, 1) * (t[k + 1] - t[k]))


def rep_levels(t: np.ndarray, hs: np.ndarray, p: PhaseTimes, h: np.ndarray) -> RepLevels | None:
    """Levels (on the smoothed heel signal hs) and 10-90 % durations (on h) of the rep."""
    up = seen_indices(t, hs, p.t_start - 0.3, p.t_top_end + 0.1)
    down = seen_indices(t, hs, p.t_top_start - 0.1, p.t_end + 0.1)
    if up.size < 3 or down.size < 3:
        return None
    i_peak = up[np.argmax(hs[up])]
    after = down[down >= i_peak]
    if after.size < 2:
        return None
    i_low = after[np.argmin(hs[after])]
    start, top, bottom = float(np.min(hs[up[up <= i_peak]])), float(hs[i_peak]), float(hs[i_low])
    rise = ramp_time(t, h, up[up <= i_peak], start, top)
    fall = ramp_time(t, h, after[after <= i_low], top, bottom)
    return RepLevels(start, top, bottom, float(t[i_peak]), float(t[i_low]), rise, fall)


def dwell(t: np.ndarray, hs: np.ndarray, i0: int, level: float, band: float, sign: float) -> float:
    """Seconds the smoothed signal stays within `band` of `level` around sample i0 (NaN counts as outside).

    sign=+1 for a top (values above level - band), -1 for a bottom (below level + band)."""
    with np.errstate(invalid="ignore"):
        inside = sign * (hs - level) > -band
    if not inside[i0]:
        return 0.0
    outside = np.flatnonzero(~inside)
    after, before = outside[outside > i0], outside[outside < i0]
    last = after[0] - 1 if after.size else len(hs) - 1
    first = before[-1] + 1 if before.size else 0
    return float(t[last] - t[first])


def index_at(t: np.ndarray, when: float) -> int:
    """The first sample at or after `when` (the last one if none)."""
    return int(np.clip(np.searchsorted(t, when), 0, len(t) - 1))


def holds(t: np.ndarray, hs: np.ndarray, lev: RepLevels, next_rise_s: float, travel: float) -> tuple[float, float]:
    """(top hold, bottom hold) in seconds, turn-around tails removed; can read slightly below 0.

    travel: the set's typical heel travel (the band is a fraction of it, so a short rep's noise is not judged
    against a tighter band)."""
    top = dwell(t, hs, index_at(t, lev.t_peak), lev.top, DWELL_BAND * travel, +1.0)
    bottom = dwell(t, hs, index_at(t, lev.t_low), lev.bottom, DWELL_BAND * travel, -1.0)
    return top - TAIL_PER_RAMP * (lev.rise_s + lev.lower_s), bottom - TAIL_PER_RAMP * (lev.lower_s + next_rise_s)


def posture_changes(signals: FaultSignals, p: PhaseTimes, lev: RepLevels) -> dict[str, float]:
    """Knee range, hip/shoulder travel, lean change, free foot and hip drop over the rise (forward positive)."""
    body, fwd = signals.body, signals.forward
    t = body.t

    def change(x: np.ndarray) -> float:  # from the rise's start to its peak
        return median_in(t, x, lev.t_peak - 0.1, lev.t_peak + 0.1) - median_in(t, x, p.t_start - 0.1, p.t_start + 0.1)

    knee_span = (p.t_start - 0.2, p.t_top_start + 0.1)
    return {
        "knee_range_deg": max_in(t, body.knee_deg, *knee_span) - min_in(t, body.knee_deg, *knee_span),
        "hip_travel": change(body.hip_x) * fwd,
        "shoulder_travel": change(body.shoulder_x) * fwd,
        "lean_change_deg": change(body.lean_deg) * fwd,
        "free_gap_min": min_in(t, body.free_gap, p.t_start, p.t_top_start),
        "hip_drop_change": change(body.hip_drop),
    }


def rise_signal(signals: FaultSignals, frontal: bool) -> np.ndarray:
    """The rise the levels are read from: the heel (side views) or the pelvis (front, back), inside stances."""
    h = signals.body.pelvis_rise if frontal else signals.h
    return np.where(np.isfinite(signals.h), h, np.nan)


def measure_reps(times: list[PhaseTimes], views: list[str], signals: FaultSignals) -> list[RepMeasure | None]:
    """One RepMeasure per rep (None where the rise signal does not show the rep). Reps seen from the front or
    back are measured on the body's rise, the others on the heel; each group against its own typical travel."""
    t = signals.body.t
    out: list[RepMeasure | None] = [None] * len(times)
    for frontal in (False, True):
        idx = [k for k, v in enumerate(views) if (v in FRONTAL) == frontal]
        if not idx:
            continue
        h = rise_signal(signals, frontal)
        hs = lowpass(t, h, SMOOTH_HZ)
        levels = [rep_levels(t, hs, times[k], h) for k in idx]
        travel = nanmedian([lev.top - lev.bottom for lev in levels if lev is not None] or [NAN])
        for j, (k, lev) in enumerate(zip(idx, levels)):
            if lev is None or not (math.isfinite(lev.rise_s) and math.isfinite(lev.lower_s)):
                continue
            nxt = levels[j + 1] if j + 1 < len(levels) else None
            next_rise = nxt.rise_s if nxt is not None and np.isfinite(nxt.rise_s) else lev.rise_s
            top_hold, bottom_hold = holds(t, hs, lev, next_rise, travel)
            out[k] = RepMeasure(lev, top_hold, bottom_hold, **posture_changes(signals, times[k], lev))
    return out
