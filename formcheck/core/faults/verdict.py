"""The set's verdict: where the set should have stopped, and its summary."""

from __future__ import annotations

from collections import Counter

import numpy as np

from formcheck.core.config import FaultConfig

PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")
STOP_FAULTS = {  # the guide: stop the set when one of these starts
    "bounce": "the heel started bouncing at the bottom",
    "arch_collapse": "the arch started collapsing inward",
    "torso_help": "the torso started helping the rise",
}


def running_mean3(values: np.ndarray) -> np.ndarray:
    """Centred 3-value running mean (2 values at the ends)."""
    return np.array([np.mean(values[max(0, k - 1) : k + 2]) for k in range(len(values))])


def find_stop(faults: list[list[dict]], rise: np.ndarray, cfg: FaultConfig) -> dict | None:
    """The first rep (1-based) at which the guide says to stop (a stop fault, or the rise trend fading), or None."""
    trend = np.full(len(rise), np.nan)
    ok = np.isfinite(rise)
    if ok.sum() >= 3:
        trend[ok] = running_mean3(rise[ok])
    for k, rep_faults in enumerate(faults):
        for f in rep_faults:
            if f["id"] in STOP_FAULTS:
                return {"rep": k + 1, "reason": STOP_FAULTS[f["id"]]}
        if np.isfinite(trend[k]) and trend[k] < cfg.fatigue_frac:
            return {"rep": k + 1, "reason": f"the heel rise faded to {trend[k]:.0%} of the set's best (fatigue)"}
    return None


def summarize(tempos: list[dict], faults: list[list[dict]], rise: np.ndarray) -> dict:
    """The set's summary: reps, clean reps, fault counts, average tempo per phase, rise by rep."""
    counts = Counter(f["id"] for rep_faults in faults for f in rep_faults)
    tempo = {}
    for key in PHASES:
        vals = [t[key] for t in tempos if t.get(key) is not None]
        tempo[key] = round(float(np.mean(vals)), 2) if vals else None
    return {
        "reps": len(tempos),
        "clean_reps": sum(1 for f in faults if not f),
        "most_frequent_fault": counts.most_common(1)[0][0] if counts else None,
        "fault_counts": dict(counts),
        "average_tempo_s": tempo,
        "range_trend": range_trend(rise),
    }


def range_trend(rise: np.ndarray) -> dict:
    """Rise per rep (fraction of the set's best) and the change from the first to the last three reps."""
    ok = rise[np.isfinite(rise)]
    change = float(np.mean(ok[-3:]) / np.mean(ok[:3]) - 1) if ok.size >= 4 and np.mean(ok[:3]) > 0 else None
    return {
        "rise_by_rep": [None if not np.isfinite(x) else round(float(x), 2) for x in rise],
        "change_first_to_last": None if change is None else round(change, 2),
    }
