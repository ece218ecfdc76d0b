"""One rule per fault, each judging one rep's measures against the set's reference and FaultConfig.

A rule returns (value, threshold, fires above the threshold?, (t_start, t_end)) when it fires, else None.
Heights are judged against the set's own reps (MediaPipe compresses heel travel, so absolute levels mean
little). Batch analysis and the live tracker call these same functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formcheck.core.config import FaultConfig
from formcheck.core.faults.catalogue import SPECS
from formcheck.core.faults.measure import RepMeasure

NAN = math.nan
Hit = tuple[float, float, bool, tuple[float, float]]  # value, threshold, fires above?, (t_start, t_end)


@dataclass(frozen=True)
class SetRef:
    """What each rep is compared with: the set's typical bottom, travel and best rise (one view's reps)."""

    bottom: float
    travel: float
    best_rise: float
    free_leg_checkable: bool


def fires(value: float, threshold: float, above: bool) -> bool:
    return bool(math.isfinite(value) and (value > threshold if above else value < threshold))


def _lowering(m: RepMeasure) -> tuple[float, float]:
    return m.levels.t_peak, m.levels.t_low


def _rise(m: RepMeasure) -> tuple[float, float]:
    return m.levels.t_peak - 2 * m.levels.rise_s, m.levels.t_peak


def rule_bounce(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    hold = max(m.bottom_hold_s, 0.0)  # the estimate can dip below zero: no hold at all
    if m.levels.lower_s >= cfg.bounce_max_lower_s or not fires(hold, cfg.bounce_max_hold_s, False):
        return None
    return hold, cfg.bounce_max_hold_s, False, (m.levels.t_low - 0.3, m.levels.t_low + 0.3)


def rule_fast_lowering(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    ratio = m.levels.lower_s / m.levels.rise_s
    if fires(ratio, cfg.min_lower_rise_ratio, False) and m.levels.lower_s < cfg.ratio_applies_below_s:
        return ratio, cfg.min_lower_rise_ratio, False, _lowering(m)
    if fires(m.levels.lower_s, cfg.min_lower_s, False):
        return m.levels.lower_s, cfg.min_lower_s, False, _lowering(m)
    return None


def rule_shallow_bottom(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    frac = (m.levels.bottom - ref.bottom) / ref.travel if ref.travel > 0 else NAN
    if not fires(frac, cfg.shallow_bottom_frac, True):
        return None
    return frac, cfg.shallow_bottom_frac, True, (m.levels.t_low - 0.3, m.levels.t_low + 0.3)


def rule_short_top(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    frac = (m.levels.top - ref.bottom) / ref.best_rise if ref.best_rise > 0 else NAN
    if not fires(frac, cfg.short_top_frac, False):
        return None
    return frac, cfg.short_top_frac, False, (m.levels.t_peak - 0.2, m.levels.t_peak + 0.2)


def rule_no_top_pause(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    hold = max(m.top_hold_s, 0.0)
    if not fires(hold, cfg.min_top_hold_s, False):
        return None
    return hold, cfg.min_top_hold_s, False, (m.levels.t_peak - 0.2, m.levels.t_peak + 0.2)


def rule_torso_help(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    """The trunk leans or the hip shifts forward over the rise; judged by whichever is further beyond its
    threshold."""
    lean = m.lean_change_deg / cfg.max_lean_change_deg
    hip = m.hip_travel / cfg.max_hip_travel
    if fires(lean, 1.0, True) and (not np.isfinite(hip) or lean >= hip):
        return m.lean_change_deg, cfg.max_lean_change_deg, True, _rise(m)
    if fires(hip, 1.0, True):
        return m.hip_travel, cfg.max_hip_travel, True, _rise(m)
    return None


def rule_knee_drive(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not fires(m.knee_range_deg, cfg.max_knee_range_deg, True):
        return None
    return m.knee_range_deg, cfg.max_knee_range_deg, True, _rise(m)


def rule_free_leg_assist(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not ref.free_leg_checkable or not fires(m.free_gap_min, cfg.free_foot_touch, False):
        return None
    return m.free_gap_min, cfg.free_foot_touch, False, _rise(m)


def rule_hips_not_level(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not fires(m.hip_drop_change, cfg.max_hip_drop, True):
        return None
    return m.hip_drop_change, cfg.max_hip_drop, True, _rise(m)


RULES: dict[str, Callable[[RepMeasure, SetRef, FaultConfig], Hit | None]] = {
    "bounce": rule_bounce,
    "fast_lowering": rule_fast_lowering,
    "shallow_bottom": rule_shallow_bottom,
    "short_top": rule_short_top,
    "no_top_pause": rule_no_top_pause,
    "torso_help": rule_torso_help,
    "knee_drive": rule_knee_drive,
    "free_leg_assist": rule_free_leg_assist,
    "hips_not_level": rule_hips_not_level,
}
# A fault not reported when another explains the same trace: a bounce is a fast drop by definition, and a rep
# driven by the knee has no clean heel ramp to time the top hold against (the knee's bend and straightening
# shifts the heel's rise; on the faults_side render it read a 0.35 s hold as none).
SUPERSEDED_BY = {"fast_lowering": "bounce", "no_top_pause": "knee_drive"}


def fault_dict(fid: str, hit: Hit, cfg: FaultConfig) -> dict:
    """The report's fault entry for a rule's hit."""
    value, threshold, above, (t0, t1) = hit
    excess = (value - threshold if above else threshold - value) / max(abs(threshold), 1e-9)
    major = fid == "bounce" or excess >= cfg.major_excess
    return {
        "id": fid,
        "severity": "major" if major else "minor",
        "t_start": round(float(t0), 3),
        "t_end": round(float(t1), 3),
        "value": round(float(value), 3),
        "threshold": float(threshold),
        "cue": SPECS[fid].cue,
    }


def judge_rep(
    view: str, m: RepMeasure, ref: SetRef, cfg: FaultConfig, only: tuple[str, ...] | None = None
) -> list[dict]:
    """The faults of one rep that its view can show (those in `only`, when given), superseded ones left out."""
    found = []
    for fid, rule in RULES.items():
        if view not in SPECS[fid].views or (only is not None and fid not in only):
            continue
        hit = rule(m, ref, cfg)
        if hit is not None:
            found.append(fault_dict(fid, hit, cfg))
    ids = {f["id"] for f in found}
    return [f for f in found if SUPERSEDED_BY.get(f["id"], "") not in ids]


def unjudged(view: str, m: RepMeasure | None, ref: SetRef) -> list[str]:
    """The faults with a rule that this rep could not be judged on: all of them if it could not be measured, else
    those its view cannot show, and the free-leg check when the set gives no reference."""
    if m is None:
        return list(RULES)
    return [
        fid
        for fid in RULES
        if view not in SPECS[fid].views or (fid == "free_leg_assist" and not ref.free_leg_checkable)
    ]
