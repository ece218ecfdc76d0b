"""Phase times of a rep: where the heel starts and stops moving, from its speed."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.reps.machine import Cycle


@dataclass(frozen=True)
class PhaseTimes:
    t_start: float  # heel leaves the bottom
    t_top_start: float  # reaches the top
    t_top_end: float  # leaves the top
    t_bottom: float  # reaches the bottom
    t_end: float  # leaves the bottom again (end of the bottom pause)
    end_estimated: bool  # True for a last rep whose bottom pause had no next rise to end it


def crossing(t: np.ndarray, v: np.ndarray, i0: int, i1: int, level: float, above: bool) -> float:
    """Time of the first sample going from i0 toward i1 (either direction) where v stops being beyond level
    (above it, or below it), interpolated between samples; the last sample before a gap; else t[i1]."""
    step = 1 if i1 >= i0 else -1
    prev = i0
    for i in range(i0, i1 + step, step):
        if not math.isfinite(v[i]):
            return float(t[prev])
        if (v[i] <= level) if above else (v[i] >= level):
            a, b = v[prev], v[i]
            frac = 0.0 if a == b else (a - level) / (a - b)
            return float(t[prev] + frac * (t[i] - t[prev]))
        prev = i
    return float(t[i1])


def phase_times(t: np.ndarray, v: np.ndarray, cycle: Cycle, frac: float) -> PhaseTimes:
    """Phase boundaries where the heel's speed v crosses `frac` of its peak in the rise and in the fall; the rep
    ends at its bottom for now (end_estimated: see link_ends and finish_last_pause)."""
    b0, top, b1 = cycle.bottom0, cycle.top, cycle.bottom1
    with np.errstate(invalid="ignore"):
        up = b0 + int(np.nanargmax(v[b0 : top + 1])) if top > b0 else b0
        down = top + int(np.nanargmin(v[top : b1 + 1])) if b1 > top else top
    v_up, v_down = max(float(v[up]), 1e-9), min(float(v[down]), -1e-9)
    t_start = crossing(t, v, up, b0, frac * v_up, above=True)
    t_top_start = crossing(t, v, up, top if down == top else down, frac * v_up, above=True)
    t_top_end = max(crossing(t, v, down, up, frac * v_down, above=False), t_top_start)
    t_bottom = crossing(t, v, down, b1, frac * v_down, above=False)
    return PhaseTimes(t_start, t_top_start, t_top_end, t_bottom, t_bottom, True)


def link_ends(times: list[PhaseTimes]) -> list[PhaseTimes]:
    """A rep ends when the next one starts (the bottom pause is between them)."""
    out = list(times)
    for k in range(len(out) - 1):
        p = out[k]
        out[k] = PhaseTimes(
            p.t_start, p.t_top_start, p.t_top_end, p.t_bottom, max(out[k + 1].t_start, p.t_bottom), False
        )
    return out


def finish_last_pause(p: PhaseTimes, typical_s: float, stance_end: float) -> PhaseTimes:
    """A last rep has no next rise: give it the set's typical bottom pause (flagged estimated), cut short if the
    person steps off or the clip ends first."""
    end = max(p.t_bottom, min(p.t_bottom + typical_s, max(stance_end, p.t_bottom)))
    return PhaseTimes(p.t_start, p.t_top_start, p.t_top_end, p.t_bottom, end, True)


def typical_bottom_pause(times: list[PhaseTimes]) -> float:
    """The median bottom pause of the reps whose pause ended with a next rise (0 when there are none)."""
    pauses = [p.t_end - p.t_bottom for p in times if not p.end_estimated]
    return float(np.median(pauses)) if pauses else 0.0


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def tempo(p: PhaseTimes) -> dict[str, float | None]:
    """The rep's phase durations, as the report gives them."""
    con, top = p.t_top_start - p.t_start, p.t_top_end - p.t_top_start
    ecc, bottom = p.t_bottom - p.t_top_end, p.t_end - p.t_bottom
    return {
        "concentric_s": _r(con),
        "top_pause_s": _r(top),
        "eccentric_s": _r(ecc),
        "bottom_pause_s": _r(bottom),
        "time_under_tension_s": _r(p.t_end - p.t_start),
        "eccentric_concentric_ratio": _r(ecc / con if con > 0 else float("nan"), 2),
    }
