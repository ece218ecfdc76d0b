"""One stance's heel-height signal and the batch rules that turn machine cycles into timed reps.

Shared by batch analysis (core/analyze.py, over the whole stance) and live mode (core/live.py,
over the stance so far), so both accept and time reps the same way.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.clean import CleanTracks
from formcheck.core.config import RepConfig
from formcheck.core.filters import gradient, lowpass_rows, nanmedian_of, window_nanmax
from formcheck.core.reps import Cycle, PhaseTimes, drop_flat_returns, phase_times, still_runs
from formcheck.core.signals import foot_tilt, heel_height, noise_level
from formcheck.core.windows import windows


@dataclass(frozen=True, eq=False)
class StanceSignal:
    """Frames [start, stop) of one stance: time, heel height (shank lengths), smoothed foot tilt,
    heel speed (of the timing-smoothed heel height), its range and the rep machine's hysteresis."""

    start: int
    t: np.ndarray
    h: np.ndarray
    tilt: np.ndarray
    v: np.ndarray
    span: float
    threshold: float


def stance_signal(tracks: CleanTracks, side: str, start: int, stop: int, frontal: np.ndarray,
                  cfg: RepConfig) -> StanceSignal | None:
    """The stance's signals, or None when its heel barely moves (fewer than 5 samples seen, or a
    range under cfg.min_range: no reps there)."""
    h = heel_height(tracks, side, start, stop, frontal)
    finite = h[np.isfinite(h)]
    if finite.size < 5:
        return None
    p97, p3 = np.percentile(finite, [97, 3])  # one partition for both
    span = float(p97 - p3)
    t = tracks.t[start:stop]
    tilt, h_smooth = lowpass_rows(t, np.stack([foot_tilt(tracks, side, start, stop), h]), cfg.timing_lowpass_hz)
    v = gradient(t, h_smooth)
    threshold = max(cfg.hysteresis_frac * span, cfg.noise_factor * noise_level(h))
    return StanceSignal(start, t, h, tilt, v, span, threshold)


def accept_cycles(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig, ended: bool = True) -> list[Cycle]:
    """Stance-local cycles that are calf raises (the foot tilts; the top clears the flat-foot level),
    with their bottoms moved to where the heel was lowest. ended: the stance is over (see flat_level)."""
    confirmed = confirm_raises(sig.h, sig.tilt, cycles, cfg.min_tilt_frac)
    local = [c for c in confirmed if c is not None]
    return drop_flat_returns(local, sig.h, flat_level(sig, local, cfg, ended), cfg.min_rise_above_flat)


def confirm_raises(h: np.ndarray, tilt: np.ndarray, cycles: list[Cycle], min_tilt_frac: float) -> list[Cycle | None]:
    """reps.confirm_raise of every cycle at once."""
    if not cycles:
        return []
    b0, top, b1 = (np.array([getattr(c, k) for c in cycles]) for k in ("bottom0", "top", "bottom1"))
    seen = windows(tilt, b0, b1 + 1).count > 0
    low0, low1 = windows(tilt, b0, top + 1).argmin(), windows(tilt, top, b1 + 1).argmin()
    b0, b1 = np.where(low0 < 0, b0, low0), np.where(low1 < 0, top, low1)  # (no number there: unmoved)
    rise_tilt = windows(tilt, b0, b1 + 1).max() - tilt[b0]
    with np.errstate(invalid="ignore"):
        raise_ok = np.isfinite(rise_tilt) & ~(rise_tilt < min_tilt_frac * (h[top] - h[b0]))
    return [c if not seen[k] else Cycle(int(b0[k]), c.top, int(b1[k])) if raise_ok[k] else None
            for k, c in enumerate(cycles)]


def flat_level(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig, ended: bool = True) -> float | None:
    """The flat-foot level: the lower of the still stands at the very start and end of the stance.

    While the stance goes on (live: ended=False) its end is not seen yet, and a rest standing flat
    mid-set would pass for a rep with a long top hold: there, the highest stand well below the
    typical top (under 60 % of the rise, as reps.drop_flat_returns judges) gives the level, if any."""
    if not cycles:
        return None
    peak = nanmedian_of(window_nanmax(np.abs(sig.v), [c.bottom0 for c in cycles], [c.bottom1 + 1 for c in cycles]))
    runs = still_runs(sig.t, sig.v, 0.1 * peak, cfg.flat_still_s)  # only the first and last stands count
    if not runs:
        return None
    if ended:
        return min(nanmedian_of(sig.h[a:b]) for a, b in (runs[0], runs[-1]))
    top = float(np.median([sig.h[c.top] for c in cycles]))
    bottom = float(np.median([sig.h[c.bottom0] for c in cycles]))
    low = [lvl for lvl in (nanmedian_of(sig.h[a:b]) for a, b in runs) if lvl < bottom + 0.6 * (top - bottom)]
    return max(low) if low else None


def time_cycles(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig) -> list[PhaseTimes]:
    """Phase times of stance-local cycles; a rep ends when the next one starts (the last one's end
    is left to the caller: end_estimated=True)."""
    return link_ends(phase_times_all(sig.t, sig.h, cycles, cfg.phase_velocity_frac, sig.v))


def phase_times_all(t: np.ndarray, h: np.ndarray, cycles: list[Cycle], frac: float, v: np.ndarray) -> list[PhaseTimes]:
    """reps.phase_times (next_start None) of every cycle, all scans at once."""
    if not cycles:
        return []
    b0, top, b1 = (np.array([getattr(c, k) for c in cycles]) for k in ("bottom0", "top", "bottom1"))
    up = np.where(top > b0, windows(v, b0, top + 1).argmax(), b0)
    down = np.where(b1 > top, windows(v, top, b1 + 1).argmin(), top)
    if (up < 0).any() or (down < 0).any():  # a window without a number: as the one-cycle code does
        return [phase_times(t, h, c, None, frac, v) for c in cycles]
    rise, fall = frac * np.maximum(v[up], 1e-9), frac * np.minimum(v[down], -1e-9)
    t_start = crossings(t, v, up, b0, rise, above=True)
    t_top_start = crossings(t, v, up, np.where(down == top, top, down), rise, above=True)
    t_top_end = np.maximum(crossings(t, v, down, up, fall, above=False), t_top_start)
    t_bottom = crossings(t, v, down, b1, fall, above=False)
    return [PhaseTimes(*(float(x) for x in (a, b, c, d, d)), True)
            for a, b, c, d in zip(t_start, t_top_start, t_top_end, t_bottom)]


def crossings(t: np.ndarray, v: np.ndarray, i0: np.ndarray, i1: np.ndarray, level: np.ndarray,
              above: bool) -> np.ndarray:
    """reps._crossing of each scan: the time the samples going from i0 toward i1 stop being beyond level
    (interpolated), the last sample before a gap, or t[i1]."""
    step = np.where(i1 >= i0, 1, -1)
    length = np.abs(i1 - i0) + 1
    owner = np.repeat(np.arange(len(i0)), length)
    k = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    pos = i0[owner] + step[owner] * k
    vals = v[pos]
    with np.errstate(invalid="ignore"):
        hit = (vals <= level[owner]) if above else (vals >= level[owner])
    gap = ~np.isfinite(vals)
    stops = np.flatnonzero(gap | hit)
    out = t[i1].astype(float)
    if stops.size == 0:
        return out
    first = stops[np.concatenate([[True], owner[stops[1:]] != owner[stops[:-1]]])]
    w = owner[first]
    here, prev = pos[first], i0[w] + step[w] * np.maximum(k[first] - 1, 0)
    a, b = v[prev], vals[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(a == b, 0.0, (a - level[w]) / (a - b))
        out[w] = np.where(gap[first], t[prev], t[prev] + part * (t[here] - t[prev]))
    return out


def link_ends(times: list[PhaseTimes]) -> list[PhaseTimes]:
    """A rep ends when the next one starts (the bottom pause is between them)."""
    out = list(times)
    for k in range(len(out) - 1):
        p = out[k]
        out[k] = PhaseTimes(p.t_start, p.t_top_start, p.t_top_end, p.t_bottom, max(out[k + 1].t_start, p.t_bottom), False)
    return out


def finish_last_pause(p: PhaseTimes, typical_s: float, stance_end: float) -> PhaseTimes:
    """A last rep has no next rise: give it the set's typical bottom pause (flagged estimated),
    cut short if the person steps off or the clip ends first."""
    end = max(p.t_bottom, min(p.t_bottom + typical_s, max(stance_end, p.t_bottom)))
    return PhaseTimes(p.t_start, p.t_top_start, p.t_top_end, p.t_bottom, end, True)
