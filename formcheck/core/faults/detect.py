"""Fault detection over a set: each rep's numbers in, each rep's faults, doubtful faults and the set's verdict out.

Each rep is judged by one rule per fault (faults/rules.py) on its own reported numbers and on those against its
view's other reps (faults/reference.py). A fault is only judged for a rep whose view can show it (faults/catalogue).

Confidence: how far a rep's number is beyond its threshold, against how much that number scatters over the
view's other reps on which the same condition does not hold (1.4826 x its median absolute deviation, at least a
floor per kind of number, twice the floor under 3 such reps: the clip's own noise), as a normal probability;
times the share of the frames where the working leg was really seen (not unseen, not a rejected glitch, not by a
swap of the feet): over the rep, or over the fault's phase (faults/rules.PHASES) where that is lower. A fault
under UNCERTAIN_BELOW is not reported as a fault but as `uncertain` ("look at this rep"): poor tracking lowers
confidence, it never makes faults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from formcheck.core.config import FaultConfig
from formcheck.core.faults.catalogue import SPECS
from formcheck.core.faults.reference import VsSet, versus_others
from formcheck.core.faults.rules import RULES, SUPERSEDED_BY, Condition, phase_of, span_of
from formcheck.core.faults.verdict import find_stop
from formcheck.core.reps.metrics import MeasuredRep, RepNumbers
from formcheck.core.reps.timing import PhaseTimes

UNCERTAIN_BELOW = 0.6  # a fault judged less confidently than this is reported as uncertain, not as a fault
FLOORS = {"_s": 0.05, "_deg": 1.5}  # the least scatter assumed for a number, by its unit (default: 0.03)
DEFAULT_FLOOR = 0.03  # fractions, ratios, shank and leg lengths
VS_FIELDS = set(VsSet.__dataclass_fields__)  # the numbers of a rep against its view's other reps
TWO_LEG_WARNING = (
    "the free foot stays as low as the working foot all set (a two-leg raise?): the free-leg check was skipped"
)
# Filmed from behind, a free foot held back is nearer the camera and so drawn lower: on the landmark-level series
# 9 of 12 one-leg back-view sets read as low as the working foot (side views 1 of 12).
BACK_VIEW_HINT = "; filmed from behind, a free foot held back can look as low as the working one: film from the side"


@dataclass(frozen=True)
class FaultReport:
    """Per rep: faults, uncertain faults, the fault ids not judged and the numbers against the set; for the set:
    where it should have stopped, and warnings."""

    faults: list[list[dict]]
    uncertain: list[list[dict]]
    not_checked: list[list[str]]
    vs_set: list[VsSet]
    stop_set: dict | None = None
    warnings: list[str] = field(default_factory=list)


def detect_faults(
    reps: list[MeasuredRep], free_foot_hang: float, cfg: FaultConfig, only: tuple[str, ...] | None = None
) -> FaultReport:
    """The faults of reps (in time order); free_foot_hang: how high the free foot typically hangs above the
    working toe (shank lengths); only: judge just these faults (the live tracker's early warnings)."""
    versus = versus_others([r.numbers for r in reps], [r.view for r in reps])
    free_leg = bool(free_foot_hang > cfg.free_foot_min_hang)
    warnings = [] if free_leg or not reps else [two_leg_warning([r.view for r in reps])]
    judged = [
        judge_rep(r, vs, [x for x in reps if x.view == r.view], versus, reps, cfg, free_leg, only)
        for r, vs in zip(reps, versus)
    ]
    faults = [[f for f in j if f["confidence"] >= UNCERTAIN_BELOW] for j in judged]
    uncertain = [[f for f in j if f["confidence"] < UNCERTAIN_BELOW] for j in judged]
    not_checked = [unjudged(r, vs, cfg, free_leg) for r, vs in zip(reps, versus)]
    rise = np.array([np.nan if vs.rise_vs_best is None else vs.rise_vs_best for vs in versus], dtype=float)
    return FaultReport(faults, uncertain, not_checked, versus, find_stop(faults, rise, cfg), warnings)


def two_leg_warning(views: list[str]) -> str:
    """The warning of a set whose free foot never hangs above the working foot, with a hint when it was filmed from
    behind (most reps read in the back view)."""
    return TWO_LEG_WARNING + (BACK_VIEW_HINT if 2 * views.count("back") > len(views) else "")


def conditions(fid: str, r: MeasuredRep, vs: VsSet, cfg: FaultConfig) -> list[Condition]:
    return RULES[fid](r.numbers, vs, cfg)


def judge_rep(
    r: MeasuredRep,
    vs: VsSet,
    peers: list[MeasuredRep],
    versus: list[VsSet],
    reps: list[MeasuredRep],
    cfg: FaultConfig,
    free_leg: bool,
    only: tuple[str, ...] | None,
) -> list[dict]:
    """The faults (with their confidence) of one rep that its view can show, superseded ones left out."""
    peer_vs = [v for x, v in zip(reps, versus) if x.view == r.view]
    peer_numbers = [(p.numbers, pv) for p, pv in zip(peers, peer_vs)]  # what each confidence is measured against
    found = []
    for fid in RULES:
        if r.view not in SPECS[fid].views or (fid == "free_leg_assist" and not free_leg):
            continue
        if only is not None and fid not in only:
            continue
        conds = conditions(fid, r, vs, cfg)
        if all(c.holds for c in conds):
            seen = r.quality_in(phase_of(fid))
            found.append(fault_dict(fid, conds, r.times, rule_confidence(conds, peer_numbers, seen), seen, cfg))
    sure = {f["id"] for f in found if f["confidence"] >= UNCERTAIN_BELOW}  # a doubtful fault supersedes nothing
    return [f for f in found if SUPERSEDED_BY.get(f["id"], "") not in sure]


def unjudged(r: MeasuredRep, vs: VsSet, cfg: FaultConfig, free_leg: bool) -> list[str]:
    """The faults with a rule that this rep could not be judged on: its view cannot show them, a number they read
    is missing, or (the free-leg check) the set gives no reference."""
    return [
        fid
        for fid in RULES
        if r.view not in SPECS[fid].views
        or (fid == "free_leg_assist" and not free_leg)
        or any(c.value is None for c in conditions(fid, r, vs, cfg))
    ]


def judged_on_no_rep(reps: list[MeasuredRep], report: FaultReport, cfg: FaultConfig, listed: set[str]) -> list[dict]:
    """The faults with a rule that no rep of the clip was judged on, though a view of the clip shows them (those
    its views cannot show are listed already: `listed`), with the reason, for the clip's faults_not_checked."""
    out = []
    for fid in RULES:
        if not reps or fid in listed or not all(fid in nc for nc in report.not_checked):
            continue
        if fid == "bounce" and all(r.numbers.bottom_pause_estimated for r in reps):
            why = "every rep is a set's last, whose bottom pause is estimated (no next rise ended it)"
            why += "; film two reps a set"
        elif fid == "free_leg_assist" and any(w.startswith(TWO_LEG_WARNING) for w in report.warnings):
            why = "the free foot never hung above the working foot (see the warning)"
        elif any(  # a number against the view's other reps is missing: there were none
            c.measure in VS_FIELDS and c.value is None
            for r, vs in zip(reps, report.vs_set, strict=True)
            for c in conditions(fid, r, vs, cfg)
        ):
            why = (
                "it compares a rep with the others filmed from the same view, and no view had two; film two reps a view"
            )
        else:
            why = "a number it reads was not measured on any rep"
        out.append({"id": fid, "reason": f"judged on no rep: {why}"})
    return out


def rule_confidence(conds: list[Condition], peers: list[tuple[RepNumbers, VsSet]], quality: float) -> float:
    """A fault's confidence: each condition's margin against the scatter of its number over the view's reps on
    which that condition does not hold at the rep's threshold (`peers`: the view's reps, their numbers and numbers
    against the set), the least of them, times the tracking quality (MeasuredRep.quality_in the fault's phase).
    The faulty reps are left out of the scatter: a set with several short tops is not noisier for it, and counting
    them made each of them doubtful."""
    clean = [[x for x in peer_values(c.measure, peers) if not replace(c, value=x).holds] for c in conds]
    scatter = [spread(values, c.measure) for c, values in zip(conds, clean, strict=True)]
    return min(normal_cdf(c.margin / s) for c, s in zip(conds, scatter, strict=True)) * quality


def peer_values(measure: str, peers: list[tuple[RepNumbers, VsSet]]) -> list[float]:
    return [_number(measure, n, v) for n, v in peers]


def _number(measure: str, numbers: RepNumbers, vs: VsSet) -> float:
    """The rep's number as measured (NaN where it was not: an estimated bottom pause must not narrow the scatter a
    confidence is measured against)."""
    value = numbers.reading(measure) if hasattr(numbers, measure) else getattr(vs, measure)
    return math.nan if value is None else float(value)


def spread(values: list[float], measure: str) -> float:
    """1.4826 x the median absolute deviation of the finite values, at least the floor for this kind of number."""
    floor = next((f for suffix, f in FLOORS.items() if measure.endswith(suffix)), DEFAULT_FLOOR)
    x = np.asarray([v for v in values if math.isfinite(v)])
    if x.size < 3:
        return 2 * floor  # too few reps to see the scatter: assume it is large
    return max(floor, 1.4826 * float(np.median(np.abs(x - np.median(x)))))


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))) if math.isfinite(z) else 0.0


def fault_dict(
    fid: str, conds: list[Condition], p: PhaseTimes, confidence: float, seen: float, cfg: FaultConfig
) -> dict:
    """The report's fault entry: its first condition's number and threshold (and any others under `and`), its
    confidence and the tracking quality in it (`seen`: the share of the frames it was measured on where the working
    leg was really seen), so a doubtful one can say why it is doubtful."""
    main = conds[0]
    excess = main.margin / max(abs(main.threshold), 1e-9)
    a, b = span_of(fid)
    out = {
        "id": fid,
        "severity": "major" if fid == "bounce" or excess >= cfg.major_excess else "minor",
        "t_start": round(getattr(p, a), 3),
        "t_end": round(getattr(p, b), 3),
        "measure": main.measure,
        "value": main.value,
        "threshold": round(float(main.threshold), 3),
        "confidence": round(confidence, 2),
        "seen": round(seen, 2),
        "cue": SPECS[fid].cue,
    }
    if len(conds) > 1:
        out["and"] = [
            {"measure": c.measure, "value": c.value, "threshold": round(float(c.threshold), 3)} for c in conds[1:]
        ]
    return out
