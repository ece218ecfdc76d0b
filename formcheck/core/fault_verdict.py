"""The set-level verdict: where the set should have stopped, and a summary of the reps."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from formcheck.core.fault_config import FaultConfig
from formcheck.core.fault_rules import RepMeasure, SetRef, running_mean3

if TYPE_CHECKING:  # pragma: no cover
    from formcheck.core.analyze import Analysis

PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")
STOP_FAULTS = {  # the guide: stop the set when one of these starts
    "bounce": "the heel started bouncing at the bottom",
    "arch_collapse": "the arch started collapsing inward",
    "torso_help": "the torso started helping the rise",
}


@dataclass
class SetVerdict:
    stop_set: dict | None = None  # {"rep": n, "reason": "..."} or None
    summary: dict = field(default_factory=dict)


def set_verdict(analysis: "Analysis", measures: list[RepMeasure | None], refs: list[SetRef],
                cfg: FaultConfig) -> SetVerdict:
    """refs: each rep's reference (its view's typical bottom and best rise)."""
    rise = rise_fractions(measures, refs)
    return SetVerdict(stop_set=find_stop(analysis, rise, cfg), summary=summarize(analysis, rise))


def rise_fractions(measures: list[RepMeasure | None], refs: list[SetRef]) -> np.ndarray:
    """Each rep's rise from its view's typical bottom as a fraction of that view's best (NaN if unmeasured)."""
    return np.array([(m.levels.top - ref.bottom) / ref.best_rise if m is not None and ref.best_rise > 0 else np.nan
                     for m, ref in zip(measures, refs)], dtype=float)


def find_stop(analysis: "Analysis", rise: np.ndarray, cfg: FaultConfig) -> dict | None:
    """The first rep at which the guide says to stop (a stop fault, or the rise trend fading), or None."""
    trend = np.full(len(rise), np.nan)
    ok = np.isfinite(rise)
    if ok.sum() >= 3:
        trend[ok] = running_mean3(rise[ok])
    for k, rep in enumerate(analysis.reps):
        for f in rep.faults:
            if f["id"] in STOP_FAULTS:
                return {"rep": rep.index, "reason": STOP_FAULTS[f["id"]]}
        if np.isfinite(trend[k]) and trend[k] < cfg.fatigue_frac:
            return {"rep": rep.index, "reason": f"the heel rise faded to {trend[k]:.0%} of the set's best (fatigue)"}
    return None


def summarize(analysis: "Analysis", rise: np.ndarray) -> dict:
    reps = analysis.reps
    counts = Counter(f["id"] for r in reps for f in r.faults)
    tempo = {}
    for key in PHASES:
        vals = [r.metrics.get(key) for r in reps if r.metrics.get(key) is not None]
        tempo[key] = round(float(np.mean(vals)), 2) if vals else None
    return {"reps": len(reps), "clean_reps": sum(1 for r in reps if not r.faults),
            "most_frequent_fault": counts.most_common(1)[0][0] if counts else None,
            "fault_counts": dict(counts), "average_tempo_s": tempo, "range_trend": range_trend(rise)}


def range_trend(rise: np.ndarray) -> dict:
    """Rise per rep (fraction of the set's best) and the change from the first to the last three reps."""
    ok = rise[np.isfinite(rise)]
    change = float(np.mean(ok[-3:]) / np.mean(ok[:3]) - 1) if ok.size >= 4 and np.mean(ok[:3]) > 0 else None
    return {"rise_by_rep": [None if not np.isfinite(x) else round(float(x), 2) for x in rise],
            "change_first_to_last": None if change is None else round(change, 2)}
