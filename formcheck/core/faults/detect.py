"""Fault detection over a set: reps and signals in, each rep's faults and the set's verdict out.

Each rep is measured once (faults/measure.py), then judged by one rule per fault (faults/rules.py) against
its view's reference. A fault is only reported for a rep whose view can show it (faults/catalogue.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.core.config import FaultConfig
from formcheck.core.faults.measure import FaultSignals, RepMeasure, measure_reps
from formcheck.core.faults.rules import NAN, SetRef, judge_rep, unjudged
from formcheck.core.faults.verdict import find_stop, rise_fractions
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.filters import nanmedian

TWO_LEG_WARNING = (
    "the free foot stays as low as the working foot all set (a two-leg raise?): the free-leg check was skipped"
)


@dataclass(frozen=True)
class FaultReport:
    """faults and not_checked: one list per rep; rise: each rep's rise as a fraction of its view's best."""

    faults: list[list[dict]]
    not_checked: list[list[str]]
    rise: np.ndarray
    stop_set: dict | None = None
    warnings: list[str] = field(default_factory=list)
    measures: list[RepMeasure | None] = field(default_factory=list)  # what the rules judged, per rep


def best_of(values: np.ndarray) -> float:
    """The largest 3-value running median (the median itself for fewer than 3): one high rep does not set it."""
    if len(values) < 3:
        return float(np.median(values))
    return float(max(np.median(values[k - 1 : k + 2]) for k in range(1, len(values) - 1)))


def set_reference(measures: list[RepMeasure | None], free_leg_hang: float, cfg: FaultConfig) -> SetRef:
    """Typical bottom, travel and best rise of these reps (heights differ between views: pass one view's)."""
    ms = [m for m in measures if m is not None]
    if not ms:
        return SetRef(NAN, NAN, NAN, False)
    bottom = float(np.median([m.levels.bottom for m in ms]))
    travel = float(np.median([m.levels.top - m.levels.bottom for m in ms]))
    rises = np.array([m.levels.top - bottom for m in ms])
    return SetRef(bottom, travel, best_of(rises), bool(free_leg_hang > cfg.free_foot_min_hang))


def detect_faults(
    times: list[PhaseTimes],
    views: list[str],
    signals: FaultSignals,
    cfg: FaultConfig,
    only: tuple[str, ...] | None = None,
) -> FaultReport:
    """The faults of reps (their phase times and views, in time order) and the set's verdict.

    only: judge just these faults (the live tracker's early warnings)."""
    measures = measure_reps(times, views, signals)
    hang = nanmedian(signals.body.free_gap)
    refs = {v: set_reference([m for m, w in zip(measures, views) if w == v], hang, cfg) for v in set(views)}
    warnings = []
    if not set_reference(measures, hang, cfg).free_leg_checkable and any(m is not None for m in measures):
        warnings.append(TWO_LEG_WARNING)
    faults = [judge_rep(v, m, refs[v], cfg, only) if m is not None else [] for m, v in zip(measures, views)]
    rise = rise_fractions(measures, [refs[v] for v in views])
    return FaultReport(
        faults,
        [unjudged(v, m, refs[v]) for m, v in zip(measures, views)],
        rise,
        find_stop(faults, rise, cfg),
        warnings,
        measures,
    )
