"""Each fault checked side-on, injected at each of its graded sizes (formcheck.synth.grades: subtle, moderate,
blatant, as MediaPipe shows them: bench/eval_sources.seen_script), against each of its rule's limits: with the
limit just short of the rep's measured number the rule fires on that rep (or calls it "look at this rep", so near
the limit), with the limit just beyond it, it does not. Whether the default limit finds a grade is the bench's
figure (docs/evaluation.md); this pins that the rule reads the number it reports, at every size."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from functools import cache
from pathlib import Path

import pytest

from formcheck.core.analyze import Analysis, analyze_series
from formcheck.core.config import AnalysisConfig, FaultConfig
from formcheck.synth import MEDIAPIPE_LIKE, RepScript, SetScript, make_series
from formcheck.synth.grades import grade_size, grades_of

CLEAN = dict(rise_s=0.8, top_pause_s=0.5, lower_s=1.8, bottom_pause_s=0.6)
FAULT_REP = 2
# (fault, the FaultConfig field of one of its conditions, +1: fires above it, -1: below, the config that leaves
# that condition alone in charge): every condition of the faults checked side-on
RULE = [
    ("bounce", "bounce_max_hold_s", -1, {"bounce_min_speed_ratio": 0.0}),
    ("bounce", "bounce_min_speed_ratio", 1, {"bounce_max_hold_s": 1e9}),
    ("fast_lowering", "min_lower_s", -1, {"min_lower_rise_ratio": 0.0}),
    ("shallow_bottom", "shallow_bottom_frac", 1, {}),
    ("short_top", "short_top_frac", -1, {}),
    ("no_top_pause", "min_top_hold_s", -1, {}),
    ("torso_help", "max_lean_change_deg", 1, {"max_hip_travel": 10.0}),
    ("knee_drive", "max_knee_range_deg", 1, {}),
    ("free_leg_assist", "free_foot_touch", -1, {}),
]


def seen(script: SetScript) -> SetScript:
    """The script with each size shrunk to what MediaPipe shows of it, as the bench's series are."""
    root = Path(__file__).resolve().parents[1]
    sys.path[:0] = [p for p in (str(root), str(root / "bench")) if p not in sys.path]
    from eval_sources import seen_script  # bench/: the evaluation's own rule

    return seen_script(script)


@cache
def analyze(fault: str, grade: str, cfg: FaultConfig) -> Analysis:
    size = grade_size(fault, grade)  # each parameter's range middle
    reps = tuple(
        RepScript(**CLEAN, faults=(fault,), sizes=(size,)) if k == FAULT_REP else RepScript(**CLEAN) for k in range(5)
    )
    script = seen(SetScript(reps=reps, side="right", lead_in_s=1.2, lead_out_s=1.2, seed=3, ramp="cosine"))
    series, _ = make_series(script, view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return analyze_series(series, AnalysisConfig(faults=cfg))


def flagged(a: Analysis, fault: str) -> bool:
    rep = a.reps[FAULT_REP]
    return fault in {f["id"] for f in rep.faults} | {f["id"] for f in rep.uncertain}


@pytest.mark.parametrize("fault, key, sign, alone, grade", [(*r, g) for r in RULE for g in grades_of(r[0])])
def test_each_grade_fires_just_past_its_limit_and_not_just_short_of_it(fault, key, sign, alone, grade):
    base = dataclasses.replace(FaultConfig(), **alone)
    # a limit the number certainly passes, to read the number the rule judges on this rep
    wide = dataclasses.replace(base, **{key: 1e9 if sign < 0 else 1e-6})
    a = analyze(fault, grade, wide)
    assert len(a.reps) == 5
    hit = [f for f in a.reps[FAULT_REP].faults + a.reps[FAULT_REP].uncertain if f["id"] == fault]
    assert hit, f"{fault} {grade}: the rule never read a number on its rep"
    limit = round(float(getattr(wide, key)), 3)  # as the report rounds it: which condition is this key's
    value = next(c["value"] for c in [hit[0], *hit[0].get("and", [])] if c["threshold"] == limit)
    step = 0.05 * abs(value) + 0.002
    beyond = dataclasses.replace(base, **{key: value + sign * step})  # the number falls short of this limit
    short = dataclasses.replace(base, **{key: value - sign * step})  # the number passes this one
    assert not flagged(analyze(fault, grade, beyond), fault)
    assert flagged(analyze(fault, grade, short), fault)
