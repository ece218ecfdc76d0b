"""The rep state machine (one for batch and live) and phase timing.

A rep is a full cycle bottom -> top -> bottom of the heel-height signal. The
machine is a zigzag with hysteresis: a rise counts once the signal is
`threshold` above the lowest point since the last top, a fall once it is
`threshold` below the highest point since the last bottom. Thresholds are
relative to the running extremes, not fixed levels, so a shallow bottom or a
short top is still a (partial) rep, and noise smaller than the threshold can
never make one. `step(state, sample) -> (state, events)` is pure: batch folds
it over the series (fold_reps), live calls it frame by frame.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, replace

import numpy as np

from formcheck.core.filters import gradient, nanmedian_of


@dataclass(frozen=True)
class Sample:
    i: int  # frame index
    t: float  # seconds
    h: float  # heel height (any unit; NaN = not seen: ignored)
    threshold: float  # hysteresis in the same unit


@dataclass(frozen=True)
class RepEvent:
    kind: str  # "rise" (heel left a bottom) | "rep" (a top was passed and the fall confirmed)
    t: float  # when the machine knew
    bottom_i: int  # the bottom before the rise
    top_i: int = -1  # for "rep": the top


@dataclass(frozen=True)
class RepState:
    mode: str = "init"  # init | bottom | top
    lo: float = math.inf
    lo_i: int = -1
    lo_t: float = math.nan
    hi: float = -math.inf
    hi_i: int = -1
    bottom_i: int = -1  # the bottom before the current rise
    bottom_t: float = math.nan
    bottom_h: float = math.nan  # the level of that bottom
    rise_t: float = math.nan  # when the current rise was confirmed
    count: int = 0


def step(state: RepState, s: Sample, min_rep_s: float = 0.0) -> tuple[RepState, tuple[RepEvent, ...]]:
    """Advance the machine by one sample."""
    if not (math.isfinite(s.h) and math.isfinite(s.threshold)) or s.threshold <= 0:
        return state, ()
    if state.mode == "init":
        return _step_init(state, s)
    if state.mode == "top":
        if s.h > state.hi:
            return replace(state, hi=s.h, hi_i=s.i), ()
        if state.hi - s.h >= s.threshold:
            if s.t - state.rise_t < min_rep_s:  # up and down again too quickly: a glitch, forget it
                back = replace(state, mode="bottom", lo=state.bottom_h, lo_i=state.bottom_i, lo_t=state.bottom_t)
                return (replace(back, lo=s.h, lo_i=s.i, lo_t=s.t) if s.h < back.lo else back), ()
            bottom = replace(state, mode="bottom", lo=s.h, lo_i=s.i, lo_t=s.t)
            event = RepEvent("rep", s.t, state.bottom_i, state.hi_i)
            return replace(bottom, count=state.count + 1), (event,)
        return state, ()
    if s.h < state.lo:  # bottom mode
        return replace(state, lo=s.h, lo_i=s.i, lo_t=s.t), ()
    if s.h - state.lo >= s.threshold:
        return _rise(state, s), (RepEvent("rise", s.t, state.lo_i),)
    return state, ()


def _step_init(state: RepState, s: Sample) -> tuple[RepState, tuple[RepEvent, ...]]:
    if s.h < state.lo:
        state = replace(state, lo=s.h, lo_i=s.i, lo_t=s.t)
    if s.h > state.hi:
        state = replace(state, hi=s.h, hi_i=s.i)
    if s.h - state.lo >= s.threshold and state.lo_i < s.i:
        return _rise(state, s), (RepEvent("rise", s.t, state.lo_i),)
    if state.hi - s.h >= s.threshold:  # we started at the top: no rep for that half
        return replace(state, mode="bottom", lo=s.h, lo_i=s.i, lo_t=s.t), ()
    return state, ()


def _rise(state: RepState, s: Sample) -> RepState:
    return replace(state, mode="top", bottom_i=state.lo_i, bottom_t=state.lo_t, bottom_h=state.lo, rise_t=s.t,
                   hi=s.h, hi_i=s.i)


@dataclass(frozen=True)
class Cycle:
    """Frame indices of one rep: the bottom before, the top, the bottom after."""

    bottom0: int
    top: int
    bottom1: int


def fold_reps(t: np.ndarray, h: np.ndarray, threshold: float | np.ndarray, min_rep_s: float = 0.0,
              offset: int = 0) -> tuple[list[Cycle], list[RepEvent]]:
    """Batch: run the machine over a series; returns the cycles and every event (in order).

    Gives exactly the events and final state of folding `step` over the samples (a test checks
    it), with the state in local variables instead of a new RepState per sample.
    """
    thr = np.broadcast_to(np.asarray(threshold, dtype=float), h.shape)
    t, h = np.asarray(t, dtype=float), np.asarray(h, dtype=float)
    state, events = fold_fast(t.tolist(), h.tolist(), thr.tolist(), min_rep_s, offset, blocks=block_stats(t, h, thr))
    return cycles_from_events(events, state), events


BLOCK = 8  # samples judged at once by fold_fast's block skipping


def block_stats(t: np.ndarray, h: np.ndarray, thr: np.ndarray) -> tuple[list, ...]:
    """For each block of BLOCK samples (valid ones only: finite h and thr, thr > 0): max h, min h, min
    threshold, and the first sample holding the max and the min (for fold_fast's skipping)."""
    n = len(h)
    valid = np.isfinite(h) & np.isfinite(thr) & (thr > 0)
    pad = (-n) % BLOCK
    blocks = lambda x, fill: np.concatenate([np.where(valid, x, fill), np.full(pad, fill)]).reshape(-1, BLOCK)  # noqa: E731
    first = np.arange(0, n + pad, BLOCK)
    up, down = blocks(h, -np.inf), blocks(h, np.inf)
    return (up.max(axis=1).tolist(), down.min(axis=1).tolist(), blocks(thr, np.inf).min(axis=1).tolist(),
            (up.argmax(axis=1) + first).tolist(), (down.argmin(axis=1) + first).tolist())


def fold_fast(ts: list[float], hs: list[float], thrs: list[float], min_rep_s: float = 0.0, offset: int = 0,
              state: RepState | None = None, blocks: tuple[list, ...] | None = None) -> tuple[RepState, list[RepEvent]]:
    """`step` folded over samples (offset + k, ts[k], hs[k], thrs[k]): (final state, events).

    With `blocks` (block_stats of the same samples), a block that cannot trigger an event is passed in
    one go: at the top, a fall needs a sample a threshold below the highest value so far (the block's
    max included), at the bottom a rise a sample a threshold above the lowest; such a block only moves
    the running extreme, to its first sample holding it."""
    s0 = state or RepState()
    mode, lo, lo_i, lo_t, hi, hi_i = s0.mode, s0.lo, s0.lo_i, s0.lo_t, s0.hi, s0.hi_i
    bottom_i, bottom_t, bottom_h, rise_t, count = s0.bottom_i, s0.bottom_t, s0.bottom_h, s0.rise_t, s0.count
    events: list[RepEvent] = []
    isfinite = math.isfinite
    b_max, b_min, b_thr, i_max, i_min = blocks or ((), (), (), (), ())
    n, k, check = len(hs), 0, 0 if blocks else len(hs)
    while k < n:
        if k == check:
            check += BLOCK
            b = k // BLOCK
            if mode == "top" and not (max(hi, b_max[b]) - b_min[b] >= b_thr[b]):
                if b_max[b] > hi:
                    hi, hi_i = b_max[b], offset + i_max[b]
                k = check
                continue
            if mode == "bottom" and not (b_max[b] - min(lo, b_min[b]) >= b_thr[b]):
                if b_min[b] < lo:
                    lo, lo_i, lo_t = b_min[b], offset + i_min[b], ts[i_min[b]]
                k = check
                continue
        t, h, thr, i = ts[k], hs[k], thrs[k], offset + k
        k += 1
        if not (isfinite(h) and isfinite(thr)) or thr <= 0:
            continue
        if mode == "top":
            if h > hi:
                hi, hi_i = h, i
            elif hi - h >= thr:
                if t - rise_t < min_rep_s:  # up and down again too quickly: a glitch, forget it
                    mode, lo, lo_i, lo_t = "bottom", bottom_h, bottom_i, bottom_t
                    if h < lo:
                        lo, lo_i, lo_t = h, i, t
                else:
                    events.append(RepEvent("rep", t, bottom_i, hi_i))
                    mode, lo, lo_i, lo_t, count = "bottom", h, i, t, count + 1
            continue
        if mode == "init":
            if h < lo:
                lo, lo_i, lo_t = h, i, t
            if h > hi:
                hi, hi_i = h, i
            if not (h - lo >= thr and lo_i < i):
                if hi - h >= thr:  # we started at the top: no rep for that half
                    mode, lo, lo_i, lo_t = "bottom", h, i, t
                continue
        elif h < lo:  # bottom mode
            lo, lo_i, lo_t = h, i, t
            continue
        elif h - lo < thr:
            continue
        events.append(RepEvent("rise", t, lo_i))  # the rise (from init or bottom mode)
        mode, bottom_i, bottom_t, bottom_h, rise_t, hi, hi_i = "top", lo_i, lo_t, lo, t, h, i
    final = RepState(mode, lo, lo_i, lo_t, hi, hi_i, bottom_i, bottom_t, bottom_h, rise_t, count)
    return final, events


def cycles_from_events(events: list[RepEvent], final: RepState) -> list[Cycle]:
    """Pair each counted rep with the bottom after it (the next rise's bottom, or the last low)."""
    cycles = []
    reps = [e for e in events if e.kind == "rep"]
    rise_bottoms = [e.bottom_i for e in events if e.kind == "rise"]
    ordered = all(a <= b for a, b in zip(rise_bottoms, rise_bottoms[1:]))  # always, for the machine's events
    for rep in reps:
        if ordered:
            k = bisect.bisect_right(rise_bottoms, rep.top_i)
            after = rise_bottoms[k] if k < len(rise_bottoms) else None
        else:
            after = next((b for b in rise_bottoms if b > rep.top_i), None)
        if after is None:
            after = final.lo_i if final.mode == "bottom" and final.lo_i > rep.top_i else rep.top_i
        cycles.append(Cycle(rep.bottom_i, rep.top_i, after))
    return cycles


def confirm_raise(h: np.ndarray, tilt: np.ndarray, cycle: Cycle, min_tilt_frac: float) -> Cycle | None:
    """Check a cycle is a calf raise and put its bottoms where the heel really was lowest.

    A calf raise lifts the heel relative to the ball of the foot, so the foot tilt (heel above
    toe) must rise with h. Stepping up onto the step lifts the body with the foot flat: a cycle
    made only of that is rejected (None), and a first rep whose bottom the machine placed on the
    floor before the step-up gets its bottom moved to the lowest tilt before its top (likewise
    the last rep's bottom before a step-off).
    """
    b0, top, b1 = cycle.bottom0, cycle.top, cycle.bottom1
    seen = np.isfinite(tilt[b0:b1 + 1])
    if seen.all():  # the usual case: plain argmin / max (the same values as the NaN-aware ones)
        b0 = b0 + int(tilt[b0:top + 1].argmin())
        b1 = top + int(tilt[top:b1 + 1].argmin())
    elif seen.any():
        b0 = b0 + _nanargmin(tilt[b0:top + 1])
        b1 = top + _nanargmin(tilt[top:b1 + 1])
    else:
        return cycle  # the foot cannot be seen: keep the rep rather than drop it silently
    rise_h = h[top] - h[b0]
    rise_tilt = np.fmax.reduce(tilt[b0:b1 + 1]) - tilt[b0]  # np.nanmax's value
    if not np.isfinite(rise_tilt) or rise_tilt < min_tilt_frac * rise_h:
        return None
    return Cycle(b0, top, b1)


def _nanargmin(x: np.ndarray) -> int:
    return int(np.nanargmin(x)) if np.isfinite(x).any() else 0


def still_levels(t: np.ndarray, h: np.ndarray, v: np.ndarray, speed: float, min_s: float) -> list[float]:
    """Levels of h where it holds still (|v| < speed) for at least min_s, in time order."""
    return [nanmedian_of(h[a:b]) for a, b in still_runs(t, v, speed, min_s)]


def still_runs(t: np.ndarray, v: np.ndarray, speed: float, min_s: float) -> list[tuple[int, int]]:
    """[start, stop) runs where |v| < speed for at least min_s, in time order."""
    from formcheck.core.filters import finite_runs

    return [(a, b) for a, b in finite_runs(np.abs(np.nan_to_num(v, nan=np.inf)) < speed) if t[b - 1] - t[a] >= min_s]


def drop_flat_returns(cycles: list[Cycle], h: np.ndarray, flat: float | None, min_above: float) -> list[Cycle]:
    """Drop cycles whose top never clears the flat-foot level by min_above of the set's typical rise.

    Rising out of the stretch back to a flat foot (before stepping off, or after stepping on and
    lowering into the first stretch) is not a calf raise. `flat` is the level of the still stands at
    the set's start/end; if it is not clearly below the typical top (a set that starts at the top),
    nothing is dropped.
    """
    if flat is None or not cycles:
        return cycles
    tops = np.array([h[c.top] for c in cycles])
    bottoms = np.array([h[c.bottom0] for c in cycles])
    top, bottom = float(np.median(tops)), float(np.median(bottoms))
    if not flat < bottom + 0.6 * (top - bottom):
        return cycles
    floor = flat + min_above * (top - flat)
    return [c for c, ht in zip(cycles, tops) if ht >= floor]


@dataclass(frozen=True)
class PhaseTimes:
    t_start: float  # heel leaves the bottom
    t_top_start: float  # reaches the top
    t_top_end: float  # leaves the top
    t_bottom: float  # reaches the bottom
    t_end: float  # leaves the bottom again (end of the bottom pause)
    end_estimated: bool  # True for a last rep whose bottom pause had no next rise to end it


def _crossing(t: list[float], v: list[float], i0: int, i1: int, level: float, above: bool) -> float:
    """Time of the first sample going from i0 toward i1 (either direction) where v stops being beyond level."""
    step_ = 1 if i1 >= i0 else -1
    prev = i0
    for i in range(i0, i1 + step_, step_):
        if not math.isfinite(v[i]):
            return float(t[prev])
        if (v[i] <= level) if above else (v[i] >= level):
            a, b = v[prev], v[i]
            frac = 0.0 if a == b else (a - level) / (a - b)
            return float(t[prev] + frac * (t[i] - t[prev]))
        prev = i
    return float(t[i1])


def phase_times(t: np.ndarray, h: np.ndarray, cycle: Cycle, next_start: float | None, frac: float,
                v: np.ndarray | None = None) -> PhaseTimes:
    """Phase boundaries where the heel's speed crosses `frac` of its peak in the rise and in the fall."""
    v = gradient(t, h) if v is None else v
    b0, top, b1 = cycle.bottom0, cycle.top, cycle.bottom1
    plain = bool(np.isfinite(v[b0:b1 + 1]).all())  # then argmax/argmin equal the NaN-aware ones, cheaper
    up = b0 + int(v[b0:top + 1].argmax() if plain else np.nanargmax(v[b0:top + 1])) if top > b0 else b0
    down = top + int(v[top:b1 + 1].argmin() if plain else np.nanargmin(v[top:b1 + 1])) if b1 > top else top
    v_up, v_down = max(float(v[up]), 1e-9), min(float(v[down]), -1e-9)
    lo, hi = min(b0, up), max(b1, down)  # every crossing lies in [lo, hi]: scan it as plain floats
    tl, vl = t[lo:hi + 1].tolist(), v[lo:hi + 1].tolist()
    t_start = _crossing(tl, vl, up - lo, b0 - lo, frac * v_up, above=True)
    t_top_start = _crossing(tl, vl, up - lo, (top if down == top else down) - lo, frac * v_up, above=True)
    t_top_end = _crossing(tl, vl, down - lo, up - lo, frac * v_down, above=False)
    t_bottom = _crossing(tl, vl, down - lo, b1 - lo, frac * v_down, above=False)
    t_top_end = max(t_top_end, t_top_start)
    if next_start is not None:
        return PhaseTimes(t_start, t_top_start, t_top_end, t_bottom, max(next_start, t_bottom), False)
    return PhaseTimes(t_start, t_top_start, t_top_end, t_bottom, t_bottom, True)
