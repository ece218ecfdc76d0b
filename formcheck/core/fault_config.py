"""Thresholds of the fault detectors (typed, frozen; documented in formcheck/default_config.toml).

Every threshold is on MediaPipe's scale (what the landmarks show, not the true body motion),
tuned on synthetic sets with MediaPipe-like corruption in every view, on the rendered sample
videos run through MediaPipe, and on the real clips as a whole (bench/faults_synth.py).
Heights are in shank (knee-to-ankle) lengths, travel in leg (hip-to-ankle) lengths, times
in seconds, so the camera distance does not matter.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultConfig:
    enabled: bool = True
    # fast_lowering: the lowering (10-90 % of its travel) takes less than this x the rise
    # (the guide: lower at least as slowly as you lift) while also being quicker than
    # ratio_applies_below_s (a lowering slower than about 1.2 s is controlled whatever the rise) ...
    min_lower_rise_ratio: float = 1.0
    ratio_applies_below_s: float = 0.6
    # ... or less than this many seconds at any tempo (10-90 % time; a full lowering of about 0.8 s).
    min_lower_s: float = 0.4
    # bounce: the heel drops fast into the bottom (10-90 % of the lowering quicker than this) ...
    bounce_max_lower_s: float = 0.4
    # ... and turns straight round: the estimated hold at the bottom is shorter than this.
    bounce_max_hold_s: float = 0.12
    # shallow_bottom: the rep's bottom stays above the set's typical bottom by more than this
    # fraction of the set's typical heel travel (the stretch below flat is about a third of
    # the travel on MediaPipe's scale, so this is a stretch cut by roughly half).
    shallow_bottom_frac: float = 0.18
    # short_top: the rise from the set's typical bottom is under this fraction of the set's best
    # (the largest 3-rep running median, so one high rep does not set the bar).
    short_top_frac: float = 0.8
    # no_top_pause: estimated hold at the top (dwell within 10 % of the peak minus the phases'
    # turn-around) shorter than this.
    min_top_hold_s: float = 0.2
    # torso_help: the trunk leans forward more than this during the rise (MediaPipe reads ~70 %
    # of a true lean) ...
    max_lean_change_deg: float = 5.0
    # ... or the hip travels forward more than this (leg lengths, about 8 cm). Raises on a flat
    # floor shift the hips 4-9 % of leg length forward over the forefoot by themselves (real
    # clips), so a hip shift alone must be larger than that to count.
    max_hip_travel: float = 0.1
    # knee_drive: the working knee's bend changes by more than this over the rise (reads ~74 %).
    max_knee_range_deg: float = 10.0
    # free_leg_assist: the free foot comes within this height of the working toe (shank lengths) ...
    free_foot_touch: float = 0.15
    # ... in a set where it normally hangs higher than this (else both feet are down all set:
    # a two-leg raise, and the check is skipped with a warning).
    free_foot_min_hang: float = 0.35
    # hips_not_level: the free-side hip drops by more than this (shank lengths, ~2.2 cm) during the
    # rise (pelvis tilt reads at 33-60 % of the truth).
    max_hip_drop: float = 0.055
    # A fault is "major" when its value is beyond the threshold by this fraction of the threshold.
    major_excess: float = 0.5
    # stop_set for fatigue: the centred 3-rep mean of the rise from the bottom falls below this
    # fraction of the set's best. The rise includes the stretch below flat, which does not fade,
    # so 0.82 of the rise is a heel height about 25-30 % below its best.
    fatigue_frac: float = 0.82
