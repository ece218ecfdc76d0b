"""One rule per fault, each reading numbers the report shows for the rep (reps/metrics.RepNumbers, and its
`vs_set` numbers) against FaultConfig. Batch analysis and the live tracker call these same functions.

A rule gives the conditions that must all hold for the fault: each names the rep's number it reads, so a fault
can be checked against the rep's own reported numbers (tests/test_contradictions.py does, on every input).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from formcheck.core.config import FaultConfig
from formcheck.core.faults.reference import VsSet
from formcheck.core.reps.metrics import PHASE_SPANS, RepNumbers


@dataclass(frozen=True)
class Condition:
    """The rep's number `measure` (a RepNumbers or VsSet field) beyond `threshold`: above it, or below it."""

    measure: str
    value: float | None
    threshold: float
    above: bool

    @property
    def holds(self) -> bool:
        v = self.value
        return v is not None and math.isfinite(v) and (v > self.threshold if self.above else v < self.threshold)

    @property
    def margin(self) -> float:
        """How far beyond the threshold (negative: on the safe side; NaN when not measured)."""
        if self.value is None or not math.isfinite(self.value):
            return math.nan
        return self.value - self.threshold if self.above else self.threshold - self.value


def rule_bounce(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    """The heel drops into the bottom faster than the set's lowerings and turns straight back up. A last rep's
    bottom pause is the set's typical one, not a reading (no next rise ended it): bounce is not judged on it."""
    return [
        Condition("bottom_pause_s", n.reading("bottom_pause_s"), cfg.bounce_max_hold_s, above=False),
        Condition("lowering_speed_vs_set", vs.lowering_speed_vs_set, cfg.bounce_min_speed_ratio, above=True),
    ]


def rule_fast_lowering(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    """The lowering takes less than min_lower_s, or less than the rise x min_lower_rise_ratio while also under
    ratio_applies_below_s: one threshold per rep, max(min_lower_s, min(ratio x rise, ratio_applies_below_s))."""
    limit = cfg.min_lower_s
    if n.concentric_s is not None:
        limit = max(limit, min(cfg.min_lower_rise_ratio * n.concentric_s, cfg.ratio_applies_below_s))
    return [Condition("eccentric_s", n.eccentric_s, round(limit, 3), above=False)]


def rule_shallow_bottom(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return [Condition("bottom_above_set", vs.bottom_above_set, cfg.shallow_bottom_frac, above=True)]


def rule_short_top(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return [Condition("rise_vs_best", vs.rise_vs_best, cfg.short_top_frac, above=False)]


def rule_no_top_pause(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return [Condition("top_pause_s", n.top_pause_s, cfg.min_top_hold_s, above=False)]


def rule_torso_help(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    """The trunk leans or the hip shifts forward over the rise: judged on whichever is further beyond its
    threshold (as a share of it)."""
    lean = Condition("trunk_lean_change_deg", n.trunk_lean_change_deg, cfg.max_lean_change_deg, above=True)
    hip = Condition("hip_forward_travel_leg_frac", n.hip_forward_travel_leg_frac, cfg.max_hip_travel, above=True)
    share = [c.margin / c.threshold if math.isfinite(c.margin) else -math.inf for c in (lean, hip)]
    return [lean if share[0] >= share[1] else hip]


def rule_knee_drive(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return [Condition("knee_flexion_range_deg", n.knee_flexion_range_deg, cfg.max_knee_range_deg, above=True)]


def rule_free_leg_assist(n: RepNumbers, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return [Condition("free_foot_min_gap_shank", n.free_foot_min_gap_shank, cfg.free_foot_touch, above=False)]


RULES: dict[str, Callable[[RepNumbers, VsSet, FaultConfig], list[Condition]]] = {
    "bounce": rule_bounce,
    "fast_lowering": rule_fast_lowering,
    "shallow_bottom": rule_shallow_bottom,
    "short_top": rule_short_top,
    "no_top_pause": rule_no_top_pause,
    "torso_help": rule_torso_help,
    "knee_drive": rule_knee_drive,
    "free_leg_assist": rule_free_leg_assist,
}
# A fault not reported when another explains the same trace: a bounce is a fast drop by definition, and its
# instant turnaround reads about a tenth of the travel shallower than a paused bottom once the heel trace is
# low-pass filtered; a rep driven by the knee has no clean heel ramp to time the top hold against (the knee's
# bend and straightening shifts the heel's rise).
SUPERSEDED_BY = {"fast_lowering": "bounce", "shallow_bottom": "bounce", "no_top_pause": "knee_drive"}
# The phase of the rep each fault happens in (reported as the fault's t_start, t_end; its tracking quality is read
# there): reps/metrics.PHASE_SPANS' names. The others: the rise.
PHASES = {
    "bounce": "bottom",
    "fast_lowering": "lowering",
    "shallow_bottom": "bottom",
    "short_top": "top",
    "no_top_pause": "top",
}


def phase_of(fid: str) -> str:
    return PHASES.get(fid, "rise")


def span_of(fid: str) -> tuple[str, str]:
    """The fault's phase as the phase times' fields it runs between."""
    return PHASE_SPANS[phase_of(fid)]
