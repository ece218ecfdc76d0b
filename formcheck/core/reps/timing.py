"""Phase times of a rep: where the heel starts and stops moving.

Two steps. The heel's speed (the heel signal low-passed at 2 Hz) finds each phase roughly: a boundary is where
the speed crosses 5 % of its peak in the rise or in the fall. The low-pass that makes the speed readable also
spreads it, so quick phases read long and holds short. Each edge (the rise, the lowering) is then placed
precisely by fitting a smooth ramp between two still levels to the unsmoothed heel signal around it (least
squares over every start and end between the middles of the still phases around it; a raised cosine, the shape that fits
hand-labelled real reps and renders made outside the project best).
"""

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


EDGE_REACH_S = 0.5  # a first or last rep's window reaches this far beyond its guesses
EDGE_GRID_S = 0.1  # the coarse grid of an edge's candidate starts and ends
MIN_EDGE_S = 0.1  # the quickest rise or lowering


def ramp(u: np.ndarray) -> np.ndarray:
    """The raised cosine from 0 (u <= 0) to 1 (u >= 1)."""
    return (1 - np.cos(np.pi * np.clip(u, 0, 1))) / 2


def fit_edge(t: np.ndarray, h: np.ndarray, start: float, end: float) -> tuple[float, float]:
    """The (start, end) of the ramp between two free still levels that fits h (t, h: the samples around one edge,
    from the middle of the still phase before it to the middle of the one after) best in least squares; the
    guesses (start, end) when there is too little to fit.

    Every start and end in the window is a candidate, so a slow 3 s lowering is found however far the speed's
    guesses are off: first on a grid of EDGE_GRID_S, then at every sample within one grid step of the best."""
    seen = np.isfinite(h)
    t, h = t[seen], h[seen]
    if len(t) < 6:
        return start, end
    dt = max(float(np.median(np.diff(t))), 1e-3)
    step = max(1, int(round(EDGE_GRID_S / dt)))
    coarse = best_ramp(t, h, t[::step], t[::step])
    if coarse is None:
        return start, end
    reach = step * dt + 1e-9
    fine = best_ramp(t, h, t[np.abs(t - coarse[0]) <= reach], t[np.abs(t - coarse[1]) <= reach])
    return fine or coarse


def best_ramp(t: np.ndarray, h: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[float, float] | None:
    """Of the ramps from a start to an end (at least MIN_EDGE_S apart), the one fitting h best (h ~ a + d ramp)."""
    s, e = (x.ravel() for x in np.meshgrid(starts, ends, indexing="ij"))
    s, e = s[e - s >= MIN_EDGE_S], e[e - s >= MIN_EDGE_S]
    if not len(s):
        return None
    r = ramp((t[None, :] - s[:, None]) / (e - s)[:, None])  # (candidates, samples)
    # h ~ a + d r: the least-squares a, d of each candidate, and its sum of squared residuals
    n, sr, srr, sh, srh = len(t), r.sum(1), (r * r).sum(1), h.sum(), r @ h
    det = n * srr - sr * sr
    d = np.divide(n * srh - sr * sh, det, out=np.zeros_like(det), where=det > 0)
    a = (sh - d * sr) / n
    sse = h @ h - 2 * a * sh - 2 * d * srh + n * a * a + 2 * a * d * sr + d * d * srr
    k = int(np.argmin(sse))
    return float(s[k]), float(e[k])


def fit_phases(t: np.ndarray, h: np.ndarray, times: list[PhaseTimes]) -> list[PhaseTimes]:
    """The phase times of consecutive reps, each edge fitted between the middles of the still phases around it."""
    out = []
    for k, p in enumerate(times):
        before = (times[k - 1].t_bottom + p.t_start) / 2 if k else p.t_start - EDGE_REACH_S
        after = (p.t_bottom + times[k + 1].t_start) / 2 if k + 1 < len(times) else p.t_bottom + EDGE_REACH_S
        top = (p.t_top_start + p.t_top_end) / 2
        rise = slice(*np.searchsorted(t, [before, top], side="right"))
        fall = slice(*np.searchsorted(t, [top, after], side="right"))
        t_start, t_top_start = fit_edge(t[rise], h[rise], p.t_start, p.t_top_start)
        t_top_end, t_bottom = fit_edge(t[fall], h[fall], p.t_top_end, p.t_bottom)
        t_top_end = max(t_top_end, t_top_start)
        t_bottom = max(t_bottom, t_top_end + MIN_EDGE_S)
        out.append(PhaseTimes(t_start, t_top_start, t_top_end, t_bottom, t_bottom, True))
    return out


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
