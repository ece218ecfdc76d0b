"""The rep state machine, one for batch and live.

A rep is a full cycle bottom -> top -> bottom of the heel-height signal. The machine is a zigzag with
hysteresis: a rise counts once the signal is `threshold` above the lowest point since the last top, a fall
once it is `threshold` below the highest point since the last bottom. Thresholds are relative to the running
extremes, not fixed levels, so a shallow bottom or a short top is still a (partial) rep, and noise smaller
than the threshold can never make one. `step(state, sample) -> (state, events)` is pure: batch folds it over
the series (fold_reps), live calls it frame by frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np


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
    return replace(
        state, mode="top", bottom_i=state.lo_i, bottom_t=state.lo_t, bottom_h=state.lo, rise_t=s.t, hi=s.h, hi_i=s.i
    )


@dataclass(frozen=True)
class Cycle:
    """Frame indices of one rep: the bottom before, the top, the bottom after."""

    bottom0: int
    top: int
    bottom1: int


def fold_reps(
    t: np.ndarray, h: np.ndarray, threshold: float, min_rep_s: float = 0.0, offset: int = 0
) -> tuple[list[Cycle], list[RepEvent]]:
    """Batch: the machine folded over a series (sample k has index offset + k); the cycles and every event."""
    state, events = RepState(), []
    for k, (tk, hk) in enumerate(zip(np.asarray(t, dtype=float).tolist(), np.asarray(h, dtype=float).tolist())):
        state, evs = step(state, Sample(offset + k, tk, hk, threshold), min_rep_s)
        events += evs
    return cycles_from_events(events, state), events


def cycles_from_events(events: list[RepEvent], final: RepState) -> list[Cycle]:
    """Pair each counted rep with the bottom after it (the next rise's bottom, or the last low)."""
    rise_bottoms = [e.bottom_i for e in events if e.kind == "rise"]
    cycles = []
    for rep in (e for e in events if e.kind == "rep"):
        after = next((b for b in rise_bottoms if b > rep.top_i), None)
        if after is None:
            after = final.lo_i if final.mode == "bottom" and final.lo_i > rep.top_i else rep.top_i
        cycles.append(Cycle(rep.bottom_i, rep.top_i, after))
    return cycles
