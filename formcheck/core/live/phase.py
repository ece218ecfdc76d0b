"""What the live overlay says about the rep under way: its phase, the time in it, and the tempo cue. Pure.

Display only: the rep count, the reps' times and every fault come from the shared rules (core/reps,
core/faults) through the tracker. The phase is read from the heel gauge (0 = the set's bottom, 1 = its top)
with bands and hysteresis, so noise at an edge does not flicker it, and from the rep machine (a confirmed rise
or fall switches it even when a short top or a shallow bottom never reaches a band).
"""

from __future__ import annotations

import math

BOTTOM_BAND = (0.2, 0.3)  # the gauge enters the bottom below the first level and leaves it above the second
TOP_BAND = (0.8, 0.7)  # ... the top likewise
CUE_WINDOW = 4  # frames over which the lowering's speed is read for the tempo cue


class PhaseDisplay:
    """Follows the gauge frame by frame: phase (bottom | rise | top | lower), seconds in it, "slower" cue."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.phase_t = math.nan
        self._trace: list[tuple[float, float]] = []  # (t, gauge) of the last few frames
        self._rise_t = self._fall_t = -math.inf

    def note_machine(self, kind: str, t: float) -> None:
        """The rep machine confirmed a rise ("rise") or a fall ("rep")."""
        if kind == "rise":
            self._rise_t = t
        else:
            self._fall_t = t

    def update(self, t: float, gauge: float | None, mode: str, rise_s: float) -> tuple[str | None, float, str | None]:
        """(phase, seconds in it, tempo cue); mode: the rep machine's; rise_s: the last rep's rise (10-90 %)."""
        if gauge is None:
            self._trace, self.phase = [], None
            return None, 0.0, None
        self._trace = (self._trace + [(t, gauge)])[-CUE_WINDOW:]
        phase = self._next_phase(gauge, mode)
        if phase != self.phase:
            self.phase, self.phase_t = phase, t
        return self.phase, t - self.phase_t, self._tempo_cue(t, gauge, rise_s)

    def _next_phase(self, g: float, mode: str) -> str:
        p = self.phase
        if g < BOTTOM_BAND[0] or (p == "bottom" and g < BOTTOM_BAND[1]):
            return "bottom"
        if g > TOP_BAND[0] or (p == "top" and g > TOP_BAND[1]):
            return "top"
        if p in ("top", "lower") or (p == "rise" and mode == "bottom" and self._rise_t < self._fall_t):
            return "lower"
        return "rise"

    def _tempo_cue(self, t: float, g: float, rise_s: float) -> str | None:
        """'slower' while the lowering is on course to take less time than the last rise (the guide: lower at
        least as slowly as you lift): the time so far plus the rest of the way at the current speed."""
        if self.phase != "lower" or not rise_s > 0 or len(self._trace) < CUE_WINDOW:
            return None
        (t0, g0), (t1, g1) = self._trace[0], self._trace[-1]
        v = (g1 - g0) / (t1 - t0) if t1 > t0 else 0.0
        if v >= 0:
            return None
        projected = (t - self.phase_t) + max(g - 0.1, 0.0) / -v
        return "slower" if projected < rise_s else None
