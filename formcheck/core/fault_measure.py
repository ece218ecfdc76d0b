"""The fault measures of every rep at once: fault_rules.rep_levels, holds and posture_changes, value
for value, with each rep's windows measured in one pass (core/windows.py) instead of a loop of small
numpy calls per rep."""
from __future__ import annotations

import numpy as np

from formcheck.core.clean import CleanTracks
from formcheck.core.fault_rules import (DWELL_BAND, NAN, TAIL_PER_RAMP, RepLevels, _run_end, free_foot_gap,
                                        hip_drop)
from formcheck.core.reps import PhaseTimes
from formcheck.core.signals import knee_flexion, trunk_lean
from formcheck.core.windows import Windows, spans_in_time, time_windows, windows, windows_in_time

SCAN = 64  # samples a dwell is first looked for on each side (longer ones: fault_rules._run_end)


def times_of(times: list[PhaseTimes]) -> dict[str, np.ndarray]:
    return {k: np.array([getattr(p, k) for p in times], dtype=float)
            for k in ("t_start", "t_top_start", "t_top_end", "t_end")}


def rep_levels_all(t: np.ndarray, hs: np.ndarray, times: list[PhaseTimes], h: np.ndarray) -> list[RepLevels | None]:
    """fault_rules.rep_levels of each rep."""
    p = times_of(times)
    up_a, up_b = time_windows(t, p["t_start"] - 0.3, p["t_top_end"] + 0.1)
    down_a, down_b = time_windows(t, p["t_top_start"] - 0.1, p["t_end"] + 0.1)
    up, down = windows(hs, up_a, up_b), windows(hs, down_a, down_b)
    ok = (up.count >= 3) & (down.count >= 3)
    i_peak = up.argmax()
    after = windows(hs, np.maximum(down_a, i_peak), np.where(ok, down_b, 0))  # down[down >= i_peak]
    ok &= after.count >= 2
    i_low = after.argmin()
    rise_part = windows(hs, up_a, np.where(ok, i_peak + 1, 0))  # up[up <= i_peak]
    fall_part = windows(hs, np.maximum(down_a, i_peak), np.where(ok, i_low + 1, 0))  # after[after <= i_low]
    start, top, bottom = rise_part.min(), hs[i_peak], hs[i_low]
    rise = ramp_times(t, h, rise_part, start, top)
    fall = ramp_times(t, h, fall_part, top, bottom)
    return [RepLevels(float(start[k]), float(top[k]), float(bottom[k]), float(t[i_peak[k]]), float(t[i_low[k]]),
                      float(rise[k]), float(fall[k])) if ok[k] else None for k in range(len(times))]


def ramp_times(t: np.ndarray, x: np.ndarray, w: Windows, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """fault_rules._ramp_time of each window: x (at the window's samples) from lo towards hi, 10 % to 90 %."""
    n = len(lo)
    out = np.full(n, NAN)
    with np.errstate(invalid="ignore", divide="ignore"):
        valid = (w.count >= 2) & np.isfinite(hi - lo) & (hi != lo)
        u = (x[w.pos] - lo[w.owner]) / (hi[w.owner] - lo[w.owner])
        j = np.arange(len(w.pos))
        full = w.count > 0
        k10 = np.full(n, -1)
        k10[full] = np.maximum.reduceat(np.where(u < 0.1, j, -1), w.bounds[:-1][full])
        big = len(w.pos) + 1
        k90 = np.full(n, big)
        k90[full] = np.minimum.reduceat(np.where((u >= 0.9) & (j >= k10[w.owner]), j, big), w.bounds[:-1][full])
    valid &= (k10 >= 0) & (k90 < big)
    k10, k90 = k10[valid], k90[valid]
    tp = t[w.pos]
    out[valid] = np.abs(_cross(tp, u, k10, 0.1) - _cross(tp, u, k90 - 1, 0.9))
    return out


def _cross(t: np.ndarray, u: np.ndarray, k: np.ndarray, level: float) -> np.ndarray:
    """fault_rules._cross at each k."""
    a, b = u[k], u[k + 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(a == b, 0.0, (level - a) / (b - a))
    return t[k] + np.clip(frac, 0, 1) * (t[k + 1] - t[k])


def holds_all(t: np.ndarray, hs: np.ndarray, levels: list[RepLevels], next_rise_s: list[float],
              travel: float) -> tuple[np.ndarray, np.ndarray]:
    """fault_rules.holds of each rep: (top holds, bottom holds)."""
    lev = {k: np.array([getattr(x, k) for x in levels], dtype=float)
           for k in ("top", "bottom", "t_peak", "t_low", "rise_s", "lower_s")}
    band = DWELL_BAND * travel
    top = dwells(t, hs, np.clip(np.searchsorted(t, lev["t_peak"]), 0, len(t) - 1), lev["top"], band, +1.0)
    bottom = dwells(t, hs, np.clip(np.searchsorted(t, lev["t_low"]), 0, len(t) - 1), lev["bottom"], band, -1.0)
    top_hold = top - TAIL_PER_RAMP * (lev["rise_s"] + lev["lower_s"])
    bottom_hold = bottom - TAIL_PER_RAMP * (lev["lower_s"] + np.array(next_rise_s, dtype=float))
    return top_hold, bottom_hold


def dwells(t: np.ndarray, hs: np.ndarray, i0: np.ndarray, level: np.ndarray, band: float, sign: float) -> np.ndarray:
    """fault_rules.dwell at each i0 (with its level)."""
    n = len(hs)
    ends = []
    for direction in (+1, -1):
        idx = i0[:, None] + direction * np.arange(SCAN + 1)
        beyond = (idx < 0) | (idx >= n)
        with np.errstate(invalid="ignore"):
            inside = (sign * (hs[np.clip(idx, 0, n - 1)] - level[:, None]) > -band) & ~beyond
        stop = np.where(inside.all(axis=1), -1, np.argmin(inside, axis=1))  # the first sample outside
        end = i0 + direction * (stop - 1)  # (the series' ends count as outside)
        for k in np.flatnonzero(stop == -1):  # a dwell longer than the scan: look further
            inside_k = lambda lo, hi, k=k: sign * (hs[lo:hi] - level[k]) > -band  # noqa: E731
            end[k] = _run_end(inside_k, int(i0[k]), n, direction)
        ends.append(np.clip(end, 0, n - 1))  # (clipped only where i0 itself is outside: no dwell)
    with np.errstate(invalid="ignore"):
        first_in = sign * (hs[i0] - level) > -band
    return np.where(first_in, t[ends[0]] - t[ends[1]], 0.0)


def posture_changes_all(tracks: CleanTracks, side: str, forward: float, times: list[PhaseTimes],
                        levels: list[RepLevels]) -> list[dict]:
    """fault_rules.posture_changes of each rep."""
    t, p = tracks.t, times_of(times)
    t_peak = np.array([lev.t_peak for lev in levels], dtype=float)
    peak, start = (spans_in_time(t, when - 0.1, when + 0.1) for when in (t_peak, p["t_start"]))  # fault_rules.at
    change = lambda x: peak.of(x).median() - start.of(x).median()  # noqa: E731
    forward_x = lambda name: tracks.cached(  # noqa: E731
        ("forward_x", name, forward), lambda: tracks.p(name)[:, 0] * forward / tracks.leg_px)
    lean = tracks.cached(("trunk_lean", forward), lambda: trunk_lean(tracks) * forward)
    knee = windows_in_time(t, knee_flexion(tracks, side), p["t_start"] - 0.2, p["t_top_start"] + 0.1)
    cols = {"knee_range_deg": knee.max() - knee.min(), "hip_travel": change(forward_x(f"{side}_hip")),
            "shoulder_travel": change(forward_x(f"{side}_shoulder")), "lean_change_deg": change(lean),
            "free_gap_min": windows_in_time(t, free_foot_gap(tracks, side), p["t_start"], p["t_top_start"]).min(),
            "hip_drop_change": change(hip_drop(tracks, side))}
    return [{k: float(v[i]) for k, v in cols.items()} for i in range(len(times))]
