"""Fault detection over an analysed set: fills each rep's `faults` and returns the set verdict.

Each rep is measured once (formcheck.core.fault_rules), then judged by one small rule per
fault against FaultConfig. Heights are judged against the set's own reps (MediaPipe
compresses heel travel, so absolute levels mean little). A fault is only reported for a
rep whose view can show it (core/faults.py); arch collapse and rolling out are not checked
(see faults.py: MediaPipe's foot points do not show them reliably).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np

from formcheck.core.fault_config import FaultConfig
from formcheck.core.fault_measure import holds_all, posture_changes_all, rep_levels_all
from formcheck.core.fault_rules import NAN, RepMeasure, SetRef, best_of, free_foot_gap, pelvis_rise, smooth_heel
from formcheck.core.fault_verdict import SetVerdict, set_verdict
from formcheck.core.filters import nanmedian_of
from formcheck.core.faults import SPECS
from formcheck.core.metrics import forward_sign

if TYPE_CHECKING:  # pragma: no cover
    from formcheck.core.analyze import Analysis, RepResult

DETECTORS: frozenset[str] = frozenset({
    "bounce", "fast_lowering", "shallow_bottom", "short_top", "no_top_pause", "torso_help", "knee_drive",
    "free_leg_assist", "hips_not_level"})
# A fault not reported when another explains the same trace: a bounce is a fast drop by definition,
# and a rep driven by the knee has no clean heel ramp to time the top hold against (the knee's bend
# and straightening shifts the heel's rise; on the faults_side render it read a 0.35 s hold as none).
SUPERSEDED_BY = {"fast_lowering": "bounce", "no_top_pause": "knee_drive"}
FRONTAL = ("front", "back")  # views where the rise is read from the pelvis, not the heel

__all__ = ["DETECTORS", "SetVerdict", "detect_faults", "measure_reps"]


def detect_faults(analysis: "Analysis", cfg: FaultConfig) -> SetVerdict:
    """Append detected faults to analysis.reps[i].faults; return the set-level verdict."""
    measures = measure_reps(analysis)
    refs = {v: set_reference([m for m, r in zip(measures, analysis.reps) if r.view == v], analysis, cfg)
            for v in {r.view for r in analysis.reps}}
    if not set_reference(measures, analysis, cfg).free_leg_checkable and any(m is not None for m in measures):
        analysis.warnings.append("the free foot stays as low as the working foot all set (a two-leg raise?): "
                                 "the free-leg check was skipped")
    for rep, m in zip(analysis.reps, measures):
        rep.not_checked = unjudged(rep, m, refs[rep.view])
        if m is None:
            continue
        found = [f for f in (judge(fid, rep, m, refs[rep.view], cfg) for fid in RULES) if f is not None]
        ids = {f["id"] for f in found}
        rep.faults.extend(f for f in found if not (SUPERSEDED_BY.get(f["id"], "") in ids))
    return set_verdict(analysis, measures, [refs[r.view] for r in analysis.reps], cfg)


def measure_reps(analysis: "Analysis") -> list[RepMeasure | None]:
    """One RepMeasure per rep (None where the rise signal does not show the rep)."""
    t, tracks, side = analysis.t, analysis.tracks, analysis.signal_side
    forward = forward_sign(tracks, side, 0, len(t))
    out: list[RepMeasure | None] = [None] * len(analysis.reps)
    for frontal in (False, True):
        idx = [k for k, r in enumerate(analysis.reps) if (r.view in FRONTAL) == frontal]
        if not idx:
            continue
        h = pelvis_rise(tracks, side) if frontal else analysis.h
        h = np.where(np.isfinite(analysis.h), h, np.nan)  # only inside stances
        hs = smooth_heel(t, h)
        levels = rep_levels_all(t, hs, [analysis.reps[k].times for k in idx], h)
        travels = [lev.top - lev.bottom for lev in levels if lev is not None]
        travel = float(np.median(travels)) if travels else NAN
        ready = [j for j, lev in enumerate(levels)
                 if lev is not None and math.isfinite(lev.rise_s) and math.isfinite(lev.lower_s)]
        if not ready:
            continue
        next_rise = []
        for j in ready:
            nxt = levels[j + 1] if j + 1 < len(levels) else None
            next_rise.append(nxt.rise_s if nxt is not None and np.isfinite(nxt.rise_s) else levels[j].rise_s)
        ready_levels = [levels[j] for j in ready]
        top_hold, bottom_hold = holds_all(t, hs, ready_levels, next_rise, travel)
        postures = posture_changes_all(tracks, side, forward, [analysis.reps[idx[j]].times for j in ready],
                                       ready_levels)
        for n, j in enumerate(ready):
            out[idx[j]] = RepMeasure(levels[j], float(top_hold[n]), float(bottom_hold[n]), **postures[n])
    return out


def set_reference(measures: list[RepMeasure | None], analysis: "Analysis", cfg: FaultConfig) -> SetRef:
    """Typical bottom, travel and best rise of these reps (heights differ between views: pass one view's)."""
    ms = [m for m in measures if m is not None]
    if not ms:
        return SetRef(NAN, NAN, NAN, False)
    bottom = float(np.median([m.levels.bottom for m in ms]))
    travel = float(np.median([m.levels.top - m.levels.bottom for m in ms]))
    rises = np.array([m.levels.top - bottom for m in ms])
    hang = float(analysis.tracks.cached(("free_foot_hang", analysis.signal_side),
                                        lambda: _hang(free_foot_gap(analysis.tracks, analysis.signal_side))))
    return SetRef(bottom, travel, best_of(rises), bool(hang > cfg.free_foot_min_hang))


def _hang(gap: np.ndarray) -> np.ndarray:
    """How high the free foot typically hangs (NaN if it is never seen), as a 0-d array for the cache."""
    return np.array(nanmedian_of(gap) if np.isfinite(gap).any() else NAN)


def unjudged(rep: "RepResult", m: RepMeasure | None, ref: SetRef) -> list[str]:
    """The faults with a rule that this rep could not be judged on: all of them if it could not be
    measured, else those its view cannot show, and the free-leg check when the set gives no reference."""
    if m is None:
        return list(RULES)
    return [fid for fid in RULES
            if rep.view not in SPECS[fid].views or (fid == "free_leg_assist" and not ref.free_leg_checkable)]


def judge(fid: str, rep: "RepResult", m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> dict | None:
    """The fault dict if rule `fid` fires on this rep and its view can show the fault, else None."""
    if rep.view not in SPECS[fid].views:
        return None
    hit = RULES[fid](m, ref, cfg)
    if hit is None:
        return None
    value, threshold, above, (t0, t1) = hit
    excess = (value - threshold if above else threshold - value) / max(abs(threshold), 1e-9)
    major = fid == "bounce" or excess >= cfg.major_excess
    return {"id": fid, "severity": "major" if major else "minor", "t_start": round(float(t0), 3),
            "t_end": round(float(t1), 3), "value": round(float(value), 3), "threshold": float(threshold),
            "cue": SPECS[fid].cue}


Hit = tuple[float, float, bool, tuple[float, float]]  # value, threshold, fires-above?, (t_start, t_end)


def _fires(value: float, threshold: float, above: bool) -> bool:
    return bool(math.isfinite(value) and (value > threshold if above else value < threshold))


def _lowering(m: RepMeasure) -> tuple[float, float]:
    return m.levels.t_peak, m.levels.t_low


def _rise(m: RepMeasure) -> tuple[float, float]:
    return m.levels.t_peak - 2 * m.levels.rise_s, m.levels.t_peak


def rule_bounce(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    hold = max(m.bottom_hold_s, 0.0)  # the estimate can dip below zero: no hold at all
    if m.levels.lower_s >= cfg.bounce_max_lower_s or not _fires(hold, cfg.bounce_max_hold_s, False):
        return None
    return hold, cfg.bounce_max_hold_s, False, (m.levels.t_low - 0.3, m.levels.t_low + 0.3)


def rule_fast_lowering(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    ratio = m.levels.lower_s / m.levels.rise_s
    if _fires(ratio, cfg.min_lower_rise_ratio, False) and m.levels.lower_s < cfg.ratio_applies_below_s:
        return ratio, cfg.min_lower_rise_ratio, False, _lowering(m)
    if _fires(m.levels.lower_s, cfg.min_lower_s, False):
        return m.levels.lower_s, cfg.min_lower_s, False, _lowering(m)
    return None


def rule_shallow_bottom(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    frac = (m.levels.bottom - ref.bottom) / ref.travel if ref.travel > 0 else NAN
    if not _fires(frac, cfg.shallow_bottom_frac, True):
        return None
    return frac, cfg.shallow_bottom_frac, True, (m.levels.t_low - 0.3, m.levels.t_low + 0.3)


def rule_short_top(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    frac = (m.levels.top - ref.bottom) / ref.best_rise if ref.best_rise > 0 else NAN
    if not _fires(frac, cfg.short_top_frac, False):
        return None
    return frac, cfg.short_top_frac, False, (m.levels.t_peak - 0.2, m.levels.t_peak + 0.2)


def rule_no_top_pause(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    hold = max(m.top_hold_s, 0.0)
    if not _fires(hold, cfg.min_top_hold_s, False):
        return None
    return hold, cfg.min_top_hold_s, False, (m.levels.t_peak - 0.2, m.levels.t_peak + 0.2)


def rule_torso_help(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    lean = m.lean_change_deg / cfg.max_lean_change_deg
    hip = m.hip_travel / cfg.max_hip_travel
    if _fires(lean, 1.0, True) and (not np.isfinite(hip) or lean >= hip):
        return m.lean_change_deg, cfg.max_lean_change_deg, True, _rise(m)
    if _fires(hip, 1.0, True):
        return m.hip_travel, cfg.max_hip_travel, True, _rise(m)
    return None


def rule_knee_drive(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not _fires(m.knee_range_deg, cfg.max_knee_range_deg, True):
        return None
    return m.knee_range_deg, cfg.max_knee_range_deg, True, _rise(m)


def rule_free_leg_assist(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not ref.free_leg_checkable or not _fires(m.free_gap_min, cfg.free_foot_touch, False):
        return None
    return m.free_gap_min, cfg.free_foot_touch, False, _rise(m)


def rule_hips_not_level(m: RepMeasure, ref: SetRef, cfg: FaultConfig) -> Hit | None:
    if not _fires(m.hip_drop_change, cfg.max_hip_drop, True):
        return None
    return m.hip_drop_change, cfg.max_hip_drop, True, _rise(m)


RULES: dict[str, Callable[[RepMeasure, SetRef, FaultConfig], Hit | None]] = {
    "bounce": rule_bounce, "fast_lowering": rule_fast_lowering, "shallow_bottom": rule_shallow_bottom,
    "short_top": rule_short_top, "no_top_pause": rule_no_top_pause, "torso_help": rule_torso_help,
    "knee_drive": rule_knee_drive, "free_leg_assist": rule_free_leg_assist, "hips_not_level": rule_hips_not_level,
}
