"""What the live overlay says about the rep under way: its phase, the time in it, and the tempo cue. Pure.

The phase is the report's, read as it happens: the rep machine says whether the heel is on its way up (after a
confirmed rise) or down (after a confirmed fall), and the edge of that move is placed by the report's own edge
fit (reps/timing.fit_edge) on the heel signal so far. Once the fitted edge has ended before now, the heel is
holding (top or bottom) and the timer counts from that end: so the top timer, when the lowering starts, shows
what the table will give as the rep's top pause (the same fit on a slightly shorter stretch of signal).
"""

from __future__ import annotations

import math

import numpy as np

from formcheck.core.reps.machine import RepState
from formcheck.core.reps.timing import EDGE_REACH_S, fit_edge

REFIT_S = 0.1  # the edge is fitted afresh this often
SETTLED_S = 0.1  # the move is over once its fitted end lies this far in the past (then it stays over) ...
STILL_FRAC = 0.15  # ... and the heel has moved less than this share of the move since
CUE_SAMPLES = 4  # frames over which the lowering's speed is read for the tempo cue


class PhaseDisplay:
    """Feed update() each frame of a stance: (phase bottom | rise | top | lower, seconds in it, "slower" cue)."""

    def __init__(self) -> None:
        self._edge: tuple[float, float] | None = None  # (start, end) of the move under way
        self._key: tuple[str, float] | None = None  # the machine's mode and the move's first guess
        self._fitted_t = -math.inf
        self._holding = False  # the move under way has ended: the heel holds (top or bottom)

    def update(
        self, t: float, times: list[float], h: list[float], state: RepState, start_i: int, rise_s: float
    ) -> tuple[str | None, float, str | None]:
        """times, h: the stance so far (frame start_i on); state: the rep machine's; rise_s: the last rep's rise."""
        if state.mode not in ("top", "bottom") or len(times) < 4:
            self._edge = self._key = None
            return None, 0.0, None
        up = state.mode == "top"
        k0 = (state.bottom_i if up else state.hi_i) - start_i  # the bottom the rise left, or the top
        if not 0 <= k0 < len(times):
            return None, 0.0, None
        key = (state.mode, times[k0])
        if key != self._key:
            self._holding = False
        if key != self._key or t - self._fitted_t >= REFIT_S:
            self._fit(times, h, k0, t)
            self._key, self._fitted_t = key, t
        start, end = self._edge
        self._holding = self._holding or (end < times[-1] - SETTLED_S and self._still_since(times, h, start, end))
        moving = not self._holding
        phase = ("rise" if moving else "top") if up else ("lower" if moving else "bottom")
        since = start if moving else end
        cue = self._tempo_cue(t, times, h, start, rise_s) if phase == "lower" else None
        return phase, max(t - since, 0.0), cue

    @staticmethod
    def _still_since(times: list[float], h: list[float], start: float, end: float) -> bool:
        """The heel has barely moved since the fitted end of the move (against the move's own size)."""
        ts, hs = np.asarray(times), np.asarray(h)
        at = lambda when: float(np.nanmedian(hs[max(0, int(np.searchsorted(ts, when)) - 1) :][:3]))
        move = abs(at(end) - at(start))
        return bool(move > 0 and abs(hs[-1] - at(end)) < STILL_FRAC * move)

    def _fit(self, times: list[float], h: list[float], k0: int, t: float) -> None:
        """The move from the still level around frame k0 to now, fitted as the report fits an edge."""
        ts, hs = np.asarray(times), np.asarray(h)
        a = int(np.searchsorted(ts, ts[k0] - EDGE_REACH_S))
        guess_start = ts[k0]
        self._edge = fit_edge(ts[a:], hs[a:], guess_start, t)

    @staticmethod
    def _tempo_cue(t: float, times: list[float], h: list[float], start: float, rise_s: float) -> str | None:
        """'slower' while the lowering is on course to take less time than the last rise (the guide: lower at
        least as slowly as you lift): the time so far plus the rest of the way at the current speed."""
        if not rise_s > 0 or len(h) < CUE_SAMPLES:
            return None
        (t0, h0), (t1, h1) = (times[-CUE_SAMPLES], h[-CUE_SAMPLES]), (times[-1], h[-1])
        v = (h1 - h0) / (t1 - t0) if t1 > t0 else 0.0
        if not v < 0:
            return None
        bottom = float(np.nanpercentile(h, 3))
        projected = (t - start) + max(h1 - bottom, 0.0) / -v
        return "slower" if projected < rise_s else None
