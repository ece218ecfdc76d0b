"""Typed, frozen analysis settings with documented defaults (see formcheck/default_config.toml)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from formcheck.errors import InputError


@dataclass(frozen=True)
class CleaningConfig:
    min_visibility: float = 0.3  # landmarks seen with less visibility than this are treated as missing
    max_gap_s: float = 0.3  # gaps up to this long are interpolated; longer ones split the analysis
    outlier_window_s: float = 0.15  # running-median window for spike rejection (a few frames: real motion passes)
    outlier_max_dev: float = 0.1  # a point further than this (x shank length) from the running median is a glitch
    excursion_window_s: float = 0.6  # longer window for multi-frame excursions (a brief left/right leg swap)
    excursion_max_dev: float = 0.3  # x shank from that running median: beyond any real foot motion in 0.6 s
    lowpass_hz: float = 6.0  # zero-phase Butterworth cut-off for offline analysis


@dataclass(frozen=True)
class StanceConfig:
    max_foot_speed: float = 0.8  # the working foot moves slower than this (shank lengths/s) while on the step
    speed_lowpass_hz: float = 2.0  # smoothing of the foot position before its speed is taken
    min_stance_s: float = 2.0  # shorter still periods (a walking step, a shuffle) hold no set
    min_relocation: float = 0.25  # a movement ends the stance only if it moves the foot this far (x shank): a step
    fill_s: float = (
        0.15  # moments of movement shorter than this (a few frames) inside a stance are a wobble, not a step
    )


@dataclass(frozen=True)
class ViewConfig:
    side_max_width: float = 0.2  # (shoulder + hip width) / torso length below this: side view
    front_min_width: float = 0.35  # above this: front or back view (front-oblique included); in between: oblique
    min_segment_s: float = 1.0  # views held shorter than this are merged into their neighbour


@dataclass(frozen=True)
class RepConfig:
    hysteresis_frac: float = 0.35  # a rise or fall counts once it exceeds this fraction of the set's range
    min_range: float = 0.04  # a set whose heel signal moves less than this (x shank length) holds no reps
    noise_factor: float = 5.0  # the hysteresis is at least this many times the signal's noise
    min_tilt_frac: float = (
        0.3  # the heel must rise against the toe by this fraction of the body's rise, relative to what the stance's
        # cycles typically show per rise (the camera's view of the foot); else: a step, not a raise
    )
    # A rep's top must clear the flat-foot level by this fraction of the typical rise (top - flat). A rise out of
    # the stretch that only gets back to a flat foot (before stepping off, a rest mid-set) is not a rep, but a
    # partial rep to half the set's range ends about there when the stretch is deep. Chosen on the tune half
    # (bench/evaluate.py, rep counts; docs/evaluation.md): 0.25 dropped most 40 % reps.
    min_rise_above_flat: float = 0.10
    flat_still_s: float = 0.8  # a still stand this long at the set's start/end gives the flat-foot level
    min_rep_s: float = 0.3  # from the rise being confirmed to the fall being confirmed: quicker is a glitch
    phase_velocity_frac: float = 0.05  # a phase starts/ends where the heel's speed crosses this fraction of its peak
    timing_lowpass_hz: float = 2.0  # extra smoothing of the heel speed used to place phase boundaries


@dataclass(frozen=True)
class ScaleConfig:
    height_cm: float | None = None  # the person's height: gives cm via body proportions
    foot_cm: float | None = None  # the working foot's length: gives cm directly (side view)


# Thresholds of the fault detectors (typed, frozen; documented in formcheck/default_config.toml).
#
# Every threshold is on MediaPipe's scale (what the landmarks show, not the true body motion), chosen
# on the tune half of the evaluation set (rendered clips and landmark-level series with faults at the
# sizes real people make them) by bench/calibrate.py: per fault, the most subtle and moderate faults
# found while flagging at most 1.5 % of the reps without it in any view that checks it; reported on the
# other half, the outside
# renders and the real clips by bench/evaluate.py (docs/evaluation.md).
# Heights are in shank (knee-to-ankle) lengths, travel in leg (hip-to-ankle) lengths, times
# in seconds, so the camera distance does not matter.
@dataclass(frozen=True)
class FaultConfig:
    enabled: bool = True
    # fast_lowering: the lowering (the report's eccentric_s) takes less than min_lower_s, or less than the rise
    # (concentric_s) x min_lower_rise_ratio (the guide: lower at least as slowly as you lift) while also
    # quicker than ratio_applies_below_s (a lowering slower than that is controlled whatever the rise).
    # Calibrated on the tune half of the evaluation set (bench/calibrate.py, docs/evaluation.md): the rise ratio
    # applies to lowerings under 0.8 s (ratio_applies_below_s = min_lower_s would leave it out).
    min_lower_rise_ratio: float = 1.0
    ratio_applies_below_s: float = 0.8
    min_lower_s: float = 0.75
    # bounce: the heel turns straight round at the bottom (the report's bottom_pause_s under this) ...
    bounce_max_hold_s: float = 0.2
    # ... after dropping into it faster than the set's other lowerings, both in peak speed and per unit of the
    # rep's own travel (vs_set.lowering_speed_vs_set: the lesser ratio; faults/reference.pace).
    bounce_min_speed_ratio: float = 1.2
    # shallow_bottom: where the lowering ends stays above the set's typical bottom by more than this
    # fraction of the set's typical heel travel (the report's vs_set.bottom_above_set).
    shallow_bottom_frac: float = 0.18
    # short_top: the top above the set's typical bottom is under this fraction of the set's best
    # (the second highest of the view's other reps, so one high rep does not set the bar; vs_set.rise_vs_best).
    short_top_frac: float = 0.75
    # no_top_pause: the report's top_pause_s is shorter than this.
    min_top_hold_s: float = 0.25
    # torso_help: the trunk leans forward more than this from the rise's start to the top (trunk_lean_change_deg;
    # MediaPipe reads ~70 % of a true lean) ...
    max_lean_change_deg: float = 3.0
    # ... or the hip travels forward more than this (leg lengths, about 8 cm). Raises on a flat
    # floor shift the hips 4-9 % of leg length forward over the forefoot by themselves (real
    # clips), so a hip shift alone must be larger than that to count.
    max_hip_travel: float = 0.1
    # knee_drive: the working knee's bend changes by more than this over the rise (knee_flexion_range_deg;
    # MediaPipe reads ~74 %).
    max_knee_range_deg: float = 5.5
    # free_leg_assist: the free foot comes within this height of the working toe (shank lengths;
    # free_foot_min_gap_shank) ...
    free_foot_touch: float = 0.23
    # ... in a set where it normally hangs higher than this (else both feet are down all set:
    # a two-leg raise, and the check is skipped with a warning).
    free_foot_min_hang: float = 0.35
    # A fault is "major" when its value is beyond the threshold by this fraction of the threshold.
    major_excess: float = 0.5
    # stop_set for fatigue: the centred 3-rep mean of the rise from the bottom falls below this
    # fraction of the set's best. The rise includes the stretch below flat, which does not fade,
    # so 0.82 of the rise is a heel height about 25-30 % below its best.
    fatigue_frac: float = 0.82


@dataclass(frozen=True)
class AnalysisConfig:
    side: str = "auto"  # auto | left | right | both
    cleaning: CleaningConfig = field(default_factory=CleaningConfig)
    stance: StanceConfig = field(default_factory=StanceConfig)
    view: ViewConfig = field(default_factory=ViewConfig)
    reps: RepConfig = field(default_factory=RepConfig)
    scale: ScaleConfig = field(default_factory=ScaleConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        if self.side not in ("auto", "left", "right", "both"):
            raise InputError(f"side must be auto, left, right or both, got {self.side!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> AnalysisConfig:
        return dataclasses.replace(self, **changes)


def config_from_dict(data: Mapping[str, Any], base: AnalysisConfig | None = None) -> AnalysisConfig:
    """Overlay a (TOML-shaped) mapping on the defaults; unknown keys and wrong types are errors."""
    return _merge(base or AnalysisConfig(), data, "")


def _merge(obj: Any, data: Mapping[str, Any], prefix: str) -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise InputError(f"unknown config key '{name}'; see formcheck/default_config.toml for the valid keys")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, Mapping):
                raise InputError(f"config key '{name}' must be a table of settings")
            changes[key] = _merge(current, value, f"{name}.")
        else:
            changes[key] = _coerce(name, current, value)
    try:
        return dataclasses.replace(obj, **changes)
    except InputError:
        raise
    except (TypeError, ValueError) as exc:
        raise InputError(f"bad config: {exc}") from None


# The lengths a person and a foot can have (cm): the settings file's [scale] and the --height-cm / --foot-cm options
HEIGHT_CM_RANGE = (10.0, 300.0)
FOOT_CM_RANGE = (10.0, 40.0)  # adult and child feet are about 12-35 cm long
BODY_CM = {
    "scale.height_cm": ("a person's height", HEIGHT_CM_RANGE),
    "scale.foot_cm": ("a foot's length", FOOT_CM_RANGE),
}


def _coerce(name: str, current: Any, value: Any) -> Any:
    if isinstance(current, bool) or isinstance(value, bool):
        if not isinstance(value, bool):
            raise InputError(f"config key '{name}' must be true or false, got {value!r}")
        return value
    if isinstance(current, (int, float)) or current is None:
        if value is None:
            return None
        if not isinstance(value, (int, float)):
            raise InputError(f"config key '{name}' must be a number, got {value!r}")
        if value < 0:
            raise InputError(f"config key '{name}' must not be negative, got {value}")
        if name in BODY_CM and not BODY_CM[name][1][0] <= value <= BODY_CM[name][1][1]:
            what, (lo, hi) = BODY_CM[name]
            raise InputError(f"config key '{name}' must be {what} in cm ({lo:g}-{hi:g}), got {value}")
        if name.endswith("_hz") and not value > 0:  # a filter's cut-off: 0 Hz filters everything away
            raise InputError(
                f"config key '{name}' must be a positive number of Hz, got {value}; "
                "see formcheck/default_config.toml for its default"
            )
        return float(value) if isinstance(current, float) or current is None else value
    if isinstance(current, str) and not isinstance(value, str):
        raise InputError(f"config key '{name}' must be a string, got {value!r}")
    return value
