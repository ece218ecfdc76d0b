"""Graded faults: each grade's scripted size is what the motion model really does (measured on the truth
and the skeleton), and clean tempo draws stay in the real ranges."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.synth import RepScript, SetScript, compute_skeleton, compute_truth, draw_clean_tempo, grade_size
from formcheck.synth.grades import GRADES, grades_of
from formcheck.synth.script import script_from_dict, script_to_dict
from formcheck.synth.timeline import build_timeline, heel_height

CLEAN = dict(rise_s=1.0, top_pause_s=0.5, lower_s=2.0, bottom_pause_s=0.6)


def graded_set(fault: str, grade: str) -> SetScript:
    """clean, clean, the graded rep, clean: the graded rep is index 2."""
    size = grade_size(fault, grade)
    reps = [
        RepScript(**CLEAN),
        RepScript(**CLEAN),
        RepScript(**CLEAN, faults=(fault,), sizes=(size,)),
        RepScript(**CLEAN),
    ]
    return SetScript(reps=tuple(reps), top_cm=8.0, bottom_cm=4.0)


@pytest.fixture(scope="module")
def truths():
    return {(f, g): compute_truth(graded_set(f, g)) for f in GRADES for g in grades_of(f)}


@pytest.mark.parametrize("grade, lo, hi", [("subtle", 0.8, 1.0), ("moderate", 0.5, 0.7), ("blatant", 0.3, 0.3)])
def test_fast_lowering_lasts_its_grade(truths, grade, lo, hi):
    rep = truths[("fast_lowering", grade)].reps[2]
    assert lo - 1e-6 <= rep.eccentric_s <= hi + 1e-6
    assert rep.fault_sizes[0]["grade"] == grade and rep.fault_sizes[0]["size"] == pytest.approx(rep.eccentric_s)


def _heel(script):
    tl = build_timeline(script)
    t = np.arange(0, tl.duration, 0.001)
    return tl, t, heel_height(tl, t)


@pytest.mark.parametrize(
    "grade, speed, rebound, lower",
    [
        ("subtle", (1.5, 2.0), (0.8, 1.3), (2.0, 2.0)),
        ("moderate", (2.5, 3.0), (2.0, 3.0), (1.0, 1.3)),
        ("blatant", (4.0, 5.0), (3.0, 4.0), (0.4, 0.4)),
    ],
)
def test_bounce_speed_rebound_and_lowering(grade, speed, rebound, lower):
    tl, t, h = _heel(graded_set("bounce", grade))
    v = np.gradient(h, t)
    clean, bounce = tl.reps[1], tl.reps[2]
    clean_peak = -v[(t > clean.t_top_end) & (t < clean.t_bottom)].min()
    arrive = -v[(t > bounce.t_bottom - 0.01) & (t < bounce.t_bottom)].min()
    assert speed[0] - 0.05 <= arrive / clean_peak <= speed[1] + 0.05
    at = np.searchsorted(t, bounce.t_bottom)
    pop = h[(t > bounce.t_bottom) & (t < bounce.t_bottom + 0.15)].max() - h[at]
    assert rebound[0] <= 100 * pop <= rebound[1] + 0.15  # the next rise adds a little
    assert lower[0] - 1e-6 <= bounce.t_bottom - bounce.t_top_end <= lower[1] + 1e-6
    assert bounce.t_end == bounce.t_bottom  # no bottom pause


def test_subtle_bounce_speeds_up_only_at_the_end():
    tl, t, h = _heel(graded_set("bounce", "subtle"))
    v = -np.gradient(h, t)
    clean, bounce = tl.reps[1], tl.reps[2]
    peak = v[(t > clean.t_top_end) & (t < clean.t_bottom)].max()
    early = (t > bounce.t_top_end) & (t < bounce.t_bottom - 0.4)
    assert v[early].max() < peak  # slower than a clean lowering until its last part
    assert v[(t > bounce.t_bottom - 0.2) & (t < bounce.t_bottom)].mean() > 1.1 * peak


def test_depth_and_height_grades(truths):
    clean = truths[("shallow_bottom", "subtle")].reps[1]
    subtle = truths[("shallow_bottom", "subtle")].reps[2]
    assert 1.0 <= subtle.heel_back_bottom_vs_flat_cm - clean.heel_back_bottom_vs_flat_cm <= 2.0
    moderate = truths[("shallow_bottom", "moderate")].reps[2]
    assert 0.0 <= moderate.heel_back_bottom_vs_step_cm <= 1.0  # at or just above the step line
    for grade, (lo, hi) in (("subtle", (0.8, 0.85)), ("moderate", (0.5, 0.7)), ("blatant", (0.4, 0.4))):
        rep = truths[("short_top", grade)].reps[2]
        ref = truths[("short_top", grade)].reps[1]
        frac = (rep.heel_back_top_vs_flat_cm - ref.heel_back_bottom_vs_flat_cm) / (
            ref.heel_back_top_vs_flat_cm - ref.heel_back_bottom_vs_flat_cm
        )
        assert lo - 1e-3 <= frac <= hi + 1e-3


def test_hold_and_body_fault_grades_measure_their_size(truths):
    for grade in ("subtle", "moderate", "blatant"):
        size = grade_size("torso_help", grade)
        rep = truths[("torso_help", grade)].reps[2]
        assert rep.hip_forward_cm == pytest.approx(size.get("hip_cm"), abs=0.05)
        assert rep.trunk_lean_deg == pytest.approx(size.get("trunk_deg"), abs=0.05)
        assert truths[("knee_drive", grade)].reps[2].knee_range_deg == pytest.approx(
            grade_size("knee_drive", grade).size, abs=0.3
        )
        assert truths[("hips_not_level", grade)].reps[2].pelvis_drop_deg == pytest.approx(
            grade_size("hips_not_level", grade).size, abs=0.05
        )
        assert truths[("arch_collapse", grade)].reps[2].foot_roll_deg == pytest.approx(
            grade_size("arch_collapse", grade).size, abs=0.05
        )
        assert truths[("roll_out", grade)].reps[2].foot_roll_deg == pytest.approx(
            -grade_size("roll_out", grade).size, abs=0.05
        )
    assert truths[("no_top_pause", "subtle")].reps[2].top_pause_s == pytest.approx(0.1)
    assert truths[("no_top_pause", "moderate")].reps[2].top_pause_s <= 0.05
    clean = truths[("knee_drive", "subtle")].reps[1]
    assert clean.knee_range_deg < 1.0 and abs(clean.hip_forward_cm) < 0.1 and abs(clean.foot_roll_deg) < 0.1


@pytest.mark.parametrize("grade, share", [("subtle", (0.05, 0.1)), ("moderate", (0.3, 0.4)), ("blatant", (0.7, 0.7))])
def test_free_foot_touches_the_step_for_its_share_of_the_rise(grade, share):
    script = graded_set("free_leg_assist", grade)
    tl = build_timeline(script)
    r = tl.reps[2]
    t = np.linspace(r.t_start, r.t_top_start, 2001)
    toe = compute_skeleton(script, t).point(f"{script.free_side}_foot_index")[:, 1] - script.step_height_m
    down = np.mean(toe < toe.min() + 0.002)
    assert toe.min() < 0.02  # the toe reaches the step (its point sits 1.5 cm above the sole)
    assert share[0] - 0.03 <= down <= share[1] + 0.03  # (within 2 mm of contact: a little of each ramp)
    clean = compute_truth(script).reps[1]
    assert clean.free_toe_min_above_step_cm > 10


def test_grade_draws_stay_in_range_and_sizes_round_trip():
    rng = np.random.default_rng(0)
    for fault, grades in GRADES.items():
        for grade, params in grades.items():
            s = grade_size(fault, grade, rng)
            for k, (lo, hi) in params.items():
                assert lo - 1e-3 <= s.get(k) <= hi + 1e-3
    script = graded_set("torso_help", "moderate")
    assert script_from_dict(script_to_dict(script)) == script
    with pytest.raises(InputError):
        grade_size("no_top_pause", "blatant")
    with pytest.raises(InputError):
        RepScript(faults=("bounce",), sizes=(grade_size("knee_drive", "subtle"),))


@pytest.mark.parametrize("style", ["real", "demo"])
def test_clean_tempo_draws(style):
    rng = np.random.default_rng(1)
    lo, hi = {
        "real": ((0.6, 0.3, 1.2, 0.3), (1.5, 1.0, 3.0, 1.0)),
        "demo": ((0.4, 0.15, 0.5, 0.05), (0.7, 0.3, 1.0, 0.25)),
    }[style]
    for _ in range(200):
        d = draw_clean_tempo(rng, style)
        v = (d["rise_s"], d["top_pause_s"], d["lower_s"], d["bottom_pause_s"])
        assert all(a - 0.005 <= x <= b + 0.005 for a, x, b in zip(lo, v, hi, strict=True))
        assert d["lower_s"] >= d["rise_s"] - 0.01


def test_balance_sway_is_off_by_default_and_small_when_on():
    still = SetScript(reps=tuple(RepScript(**CLEAN) for _ in range(4)))
    swaying = SetScript(reps=still.reps, sway=1.0, seed=5)
    t = np.arange(0, build_timeline(still).duration, 0.01)
    a, b = compute_skeleton(still, t), compute_skeleton(swaying, t)
    assert np.ptp(a.point("right_hip")[:, 0]) < 1e-9
    hip = b.point("right_hip") - a.point("right_hip")
    assert 0.005 < np.abs(hip[:, 0]).max() <= 0.011 and 0.005 < np.abs(hip[:, 2]).max() <= 0.011
    np.testing.assert_allclose(b.point("right_foot_index"), a.point("right_foot_index"))  # the forefoot stays put
    truth = compute_truth(swaying)
    assert [r.t_start for r in truth.reps] == [r.t_start for r in compute_truth(still).reps]
    assert all(abs(r.hip_forward_cm) < 2.0 and abs(r.trunk_lean_deg) < 3.0 for r in truth.reps)
