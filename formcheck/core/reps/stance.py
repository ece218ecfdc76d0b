"""One stance's heel signal, and the rules that turn the machine's cycles into timed calf raises.

Shared by batch analysis (core/analyze.py, over the whole stance) and the live tracker (core/live, over the
stance so far), so both accept and time reps the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.config import RepConfig
from formcheck.core.reps.machine import Cycle
from formcheck.core.reps.timing import PhaseTimes, fit_phases, link_ends, phase_times
from formcheck.core.signal.body import foot_tilt, heel_height
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import finite_runs, gradient, lowpass, nanmedian, noise_level

FLAT_STILL_SPEED = 0.1  # a still stand: the heel moves slower than this fraction of the reps' peak speed
FLAT_BELOW = 0.6  # a level under this fraction of the way from the typical bottom to the typical top is flat
STRETCH_ABOVE = 0.15  # ... and one under this fraction is a stand in the stretch (the bottom), not a flat foot
SEEN_STILL_S = 0.3  # a stance's first rise was seen to begin when the heel held still this long before it
TILT_FOLLOWS = 0.5  # the foot's tilt places a cycle's bottoms where it correlates with the heel this well


@dataclass(frozen=True, eq=False)
class StanceSignal:
    """Frames [start, start + len(t)) of one stance: time, heel height (shank lengths), smoothed foot tilt, heel
    speed (of the timing-smoothed heel height), its range and the rep machine's hysteresis."""

    start: int
    t: np.ndarray
    h: np.ndarray
    tilt: np.ndarray
    v: np.ndarray
    span: float
    threshold: float


def heel_span(h: np.ndarray) -> float:
    """The heel signal's range: 3rd to 97th percentile, so a glitch does not set it."""
    p97, p3 = np.percentile(h[np.isfinite(h)], [97, 3])
    return float(p97 - p3)


def rep_threshold(h: np.ndarray, cfg: RepConfig) -> float:
    """The rep machine's hysteresis for this heel signal: a share of its range, at least a multiple of its noise."""
    return max(cfg.hysteresis_frac * heel_span(h), cfg.noise_factor * noise_level(h))


def stance_signal(
    tracks: CleanTracks, side: str, start: int, stop: int, frontal: np.ndarray, cfg: RepConfig
) -> StanceSignal | None:
    """The signals of frames [start, stop), or None when the heel is seen in fewer than 5 of them."""
    h = heel_height(tracks.t[start:stop], tracks.smooth[start:stop], side, frontal[start:stop], tracks.shank_px)
    if np.isfinite(h).sum() < 5:
        return None
    t = tracks.t[start:stop]
    tilt = lowpass(t, foot_tilt(tracks.smooth[start:stop], side) / tracks.shank_px, cfg.timing_lowpass_hz)
    v = gradient(t, lowpass(t, h, cfg.timing_lowpass_hz))
    return StanceSignal(start, t, h, tilt, v, heel_span(h), rep_threshold(h, cfg))


def confirm_raise(h: np.ndarray, tilt: np.ndarray, cycle: Cycle, min_tilt: float) -> Cycle | None:
    """Check a cycle is a calf raise and put its bottoms where its rise began and its lowering ended.

    A calf raise lifts the heel relative to the ball of the foot, so the foot tilt (heel above toe) must rise
    with h, by at least min_tilt x the rise of h, over the cycle (up to the next rise's bottom, as tilt_per_rise
    reads it: in front and back views the tilt can dip just after the top and peak later). Stepping up onto the
    step lifts the body with the foot flat: a cycle made only of that is rejected (None), and a first rep whose
    bottom the machine placed on the floor before the step-up gets its bottom moved to the lowest tilt before its
    top (likewise the last rep's bottom before a step-off), where the tilt follows the heel from there to the
    cycle's end (tilt_follows_heel); elsewhere the bottoms stay where the machine found the heel lowest. (Live, the
    cycle ends where the rep was counted, so the choice can differ from batch's during the set; at the set's end
    live times its reps as batch does.)"""
    b0, top, b1 = cycle.bottom0, cycle.top, cycle.bottom1
    if not np.isfinite(tilt[b0 : b1 + 1]).any():
        return cycle  # the foot cannot be seen: keep the rep rather than drop it silently
    lo = b0 + _nanargmin(tilt[b0 : top + 1])
    if not tilt_rise(tilt, lo, b1) >= min_tilt * (h[top] - h[lo]):
        return None
    if not tilt_follows_heel(h[lo : b1 + 1], tilt[lo : b1 + 1]):
        return cycle
    return Cycle(lo, top, top + _nanargmin(tilt[top : b1 + 1]))


def tilt_follows_heel(h: np.ndarray, tilt: np.ndarray) -> bool:
    """Whether the foot's tilt follows the heel over these frames (correlation at least TILT_FOLLOWS), so its
    lowest points can place the bottoms. Seen from behind or in front the heel and toe can be too close in the
    picture for their tilt to show the rise: its lowest point is noise, often in the middle of the rise."""
    seen = np.isfinite(h) & np.isfinite(tilt)
    if seen.sum() < 3 or np.ptp(h[seen]) == 0 or np.ptp(tilt[seen]) == 0:
        return False
    return bool(np.corrcoef(h[seen], tilt[seen])[0, 1] >= TILT_FOLLOWS)


def tilt_rise(tilt: np.ndarray, b0: int, b1: int) -> float:
    """How far the foot tilts up from b0 over [b0, b1] (NaN when it is not seen)."""
    seen = tilt[b0 : b1 + 1]
    return float(np.fmax.reduce(seen) - tilt[b0]) if np.isfinite(seen).any() else math.nan


def tilt_per_rise(h: np.ndarray, tilt: np.ndarray, cycles: list[Cycle]) -> float:
    """The typical foot tilt per heel rise of these cycles: how well the camera shows the tilt (about 1 side-on,
    less from the front or back, where the foot is foreshortened); 1 when it cannot be told."""
    ratios = []
    for c in cycles:
        b0 = c.bottom0 + _nanargmin(tilt[c.bottom0 : c.top + 1])
        rise = h[c.top] - h[b0]
        if rise > 0:
            ratios.append(tilt_rise(tilt, b0, c.bottom1) / rise)
    ratios = [x for x in ratios if math.isfinite(x)]
    return min(1.0, max(float(np.median(ratios)), 0.0)) if ratios else 1.0


def _nanargmin(x: np.ndarray) -> int:
    return int(np.nanargmin(x)) if np.isfinite(x).any() else 0


def still_runs(t: np.ndarray, v: np.ndarray, speed: float, min_s: float) -> list[tuple[int, int]]:
    """[start, stop) runs where |v| < speed for at least min_s, in time order."""
    return [(a, b) for a, b in finite_runs(np.abs(np.nan_to_num(v, nan=np.inf)) < speed) if t[b - 1] - t[a] >= min_s]


def flat_level(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig, ended: bool = True) -> float | None:
    """The flat-foot level: the lower of the still stands at the very start and end of the stance.

    While the stance goes on (live: ended=False) its end is not seen yet. The stand it began with gives the level
    when it is one (between the stretch and well below the typical top: stepping on, standing flat); else, as a
    rest standing flat mid-set would pass for a rep with a long top hold, the highest stand well below the typical
    top (as drop_flat_returns judges) does, if any. That one is also a partial rep's top hold, which is why live
    keeps a rep to half the range only after a flat stand at the start."""
    if not cycles:
        return None
    peak = nanmedian([np.fmax.reduce(np.abs(sig.v[c.bottom0 : c.bottom1 + 1])) for c in cycles])  # (NaN-aware)
    runs = still_runs(sig.t, sig.v, FLAT_STILL_SPEED * peak, cfg.flat_still_s)
    if not runs:
        return None
    if ended:
        return min(nanmedian(sig.h[a:b]) for a, b in (runs[0], runs[-1]))
    bottom, top = typical_range(sig.h, cycles)
    ceiling = bottom + FLAT_BELOW * (top - bottom)
    levels = [nanmedian(sig.h[a:b]) for a, b in runs]
    if bottom + STRETCH_ABOVE * (top - bottom) < levels[0] < ceiling:
        return levels[0]  # the stance began standing flat (stepping on): as batch, whose other stand is not seen yet
    low = [lvl for lvl in levels if lvl < ceiling]
    return max(low) if low else None


def typical_range(h: np.ndarray, cycles: list[Cycle]) -> tuple[float, float]:
    """(bottom, top): the median level of these cycles' bottoms (before each rise) and of their tops."""
    return float(np.median([h[c.bottom0] for c in cycles])), float(np.median([h[c.top] for c in cycles]))


def drop_flat_returns(cycles: list[Cycle], h: np.ndarray, flat: float | None, min_above: float) -> list[Cycle]:
    """Drop cycles whose top never clears the flat-foot level by min_above of the set's typical rise.

    Rising out of the stretch back to a flat foot (before stepping off, or after stepping on and lowering into
    the first stretch) is not a calf raise. If the flat level is not clearly below the typical top (a set that
    starts at the top), nothing is dropped."""
    if flat is None or not cycles:
        return cycles
    bottom, top = typical_range(h, cycles)
    if not flat < bottom + FLAT_BELOW * (top - bottom):
        return cycles
    floor = flat + min_above * (top - flat)
    return [c for c in cycles if h[c.top] >= floor]


def accept_cycles(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig, ended: bool = True) -> list[Cycle]:
    """Stance-local cycles that are calf raises (the foot tilts, by at least min_tilt_frac of what the stance's
    cycles typically show per rise; the top clears the flat-foot level; the stance's first rise was seen to begin),
    with their bottoms where each rise began and lowering ended (confirm_raise). ended: the stance is over (see
    flat_level)."""
    min_tilt = cfg.min_tilt_frac * tilt_per_rise(sig.h, sig.tilt, cycles)
    confirmed = [c for c in (confirm_raise(sig.h, sig.tilt, c, min_tilt) for c in cycles) if c is not None]
    flat = flat_level(sig, confirmed, cfg, ended)
    return drop_unseen_rise(sig, drop_flat_returns(confirmed, sig.h, flat, cfg.min_rise_above_flat))


def time_cycles(sig: StanceSignal, cycles: list[Cycle], cfg: RepConfig) -> list[PhaseTimes]:
    """Phase times of stance-local cycles; a rep ends when the next one starts (the last one's end is left to the
    caller: end_estimated=True)."""
    guesses = [phase_times(sig.t, sig.v, c, cfg.phase_velocity_frac) for c in cycles]
    return link_ends(fit_phases(sig.t, sig.h, guesses))


def drop_unseen_rise(sig: StanceSignal, cycles: list[Cycle]) -> list[Cycle]:
    """Drop a stance's first cycle when its rise was not seen: it began above the stretch (STRETCH_ABOVE of the
    typical range over the typical bottom) and nothing shows where it began (rise_seen). Its rise began before the
    stance (the foot landing heel-up when stepping on, a clip starting mid-rep), so it can be neither seen nor
    timed. A rise from a flat stand, out of the stretch or after the heel came down from stepping on is kept."""
    if not cycles:
        return cycles
    first = cycles[0]
    bottom, top = typical_range(sig.h, cycles)
    bottom = min(bottom, sig.h[first.bottom1])  # with one cycle, the typical bottom is its own start
    margin = STRETCH_ABOVE * (top - bottom)
    if sig.h[first.bottom0] > bottom + margin and not rise_seen(sig, first, margin):
        return cycles[1:]
    return cycles


def rise_seen(sig: StanceSignal, c: Cycle, margin: float) -> bool:
    """Whether the stance shows where this cycle's rise began: before its steepest point the heel held still (for
    SEEN_STILL_S) or came down by more than margin. True when the rise cannot be read."""
    rise = sig.v[c.bottom0 : c.top + 1]
    if not np.isfinite(rise).any():
        return True
    up = c.bottom0 + int(np.nanargmax(rise)) + 1  # the rise's steepest point: still before it, not at the top
    seen = sig.h[:up][np.isfinite(sig.h[:up])]
    if len(seen) and seen[0] - seen.min() > margin:
        return True
    peak = float(np.nanmax(np.abs(sig.v[c.bottom0 : c.bottom1 + 1])))
    return bool(still_runs(sig.t[:up], sig.v[:up], FLAT_STILL_SPEED * peak, SEEN_STILL_S))
