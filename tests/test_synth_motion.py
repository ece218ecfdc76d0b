"""Motion model + truth: mechanics and injected faults, checked on real numbers."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from formcheck.errors import InputError
from formcheck.synth import RepScript, SetScript, compute_skeleton, compute_truth, knee_flexion_deg, preset
from formcheck.synth.motion import PIVOT_X
from formcheck.synth.script import script_from_dict, script_to_dict
from formcheck.synth.timeline import build_timeline

FPS = 100.0


def _sk(script: SetScript):
    tl = build_timeline(script)
    t = np.arange(0, tl.duration, 1 / FPS)
    return tl, compute_skeleton(script, t)


def _window(sk, r, a="t_start", b="t_end"):
    return (sk.t >= getattr(r, a)) & (sk.t <= getattr(r, b))


@pytest.fixture(scope="module")
def faults():
    script = preset("faults_side")
    return script, compute_truth(script), *_sk(script)


@pytest.fixture(scope="module")
def clean():
    script = preset("clean_side")
    return script, compute_truth(script), *_sk(script)


def test_phases_add_up_and_reps_chain(faults, clean):
    for _, truth, _, _ in (faults, clean):
        for r in truth.reps:
            total = r.concentric_s + r.top_pause_s + r.eccentric_s + r.bottom_pause_s
            assert total == pytest.approx(r.t_end - r.t_start, abs=1e-3)
            assert r.t_start < r.t_top_start <= r.t_top_end < r.t_bottom <= r.t_end
        for a, b in zip(truth.reps, truth.reps[1:]):
            assert b.t_start == pytest.approx(a.t_end, abs=1e-9)


def test_clean_rep_mechanics(clean):
    script, truth, _, sk = clean
    for r in truth.reps:
        assert 6.0 <= r.heel_back_top_vs_step_cm <= 10.0
        assert -5.0 <= r.heel_back_bottom_vs_step_cm <= -3.0
        assert 30.0 <= r.foot_angle_range_deg <= 45.0
        assert r.knee_range_deg < 1.0
        assert r.faults == ()
    on_set = (sk.t >= truth.set_start) & (sk.t <= truth.set_end)
    toe = sk.point("right_foot_index")[on_set]
    ball = sk.point("right_ball")[on_set]
    assert np.ptp(toe, axis=0).max() < 0.01
    assert np.all(np.abs(ball[:, 0] - PIVOT_X) < 0.01) and np.allclose(ball[:, 1], script.step_height_m)
    knee = knee_flexion_deg(sk.point("right_hip"), sk.point("right_knee"), sk.point("right_ankle"))[on_set]
    assert 10.0 <= knee.min() and knee.max() <= 15.0
    free = knee_flexion_deg(sk.point("left_hip"), sk.point("left_knee"), sk.point("left_ankle"))[on_set]
    assert 70.0 <= free.min() and free.max() <= 90.0
    assert sk.point("left_foot_index")[on_set, 1].min() > script.step_height_m + 0.15  # free foot well off
    assert np.ptp(sk.point("right_hip")[on_set, 0]) < 0.005  # rises straight up
    assert np.ptp(sk.point("right_hip")[on_set, 1]) > 0.05


def test_segment_lengths_constant(faults):
    _, _, _, sk = faults
    for side in ("left", "right"):
        for a, b in (("hip", "knee"), ("knee", "ankle")):
            length = np.linalg.norm(sk.point(f"{side}_{a}") - sk.point(f"{side}_{b}"), axis=1)
            assert np.ptp(length) < 1e-6


def test_faults_land_on_scripted_reps(faults):
    script, truth, _, _ = faults
    assert [r.faults for r in truth.reps] == [rep.faults for rep in script.reps]
    assert {f for r in truth.reps for f in r.faults} >= {
        "bounce",
        "fast_lowering",
        "shallow_bottom",
        "short_top",
        "no_top_pause",
        "torso_help",
        "knee_drive",
        "free_leg_assist",
    }


def _by_fault(truth, fault):
    return [r for r in truth.reps if fault in r.faults]


def _clean(truth):
    return [r for r in truth.reps if not r.faults]


def test_tempo_and_range_faults_change_their_quantity(faults):
    _, truth, _, _ = faults
    clean = _clean(truth)
    (bounce,) = _by_fault(truth, "bounce")
    assert bounce.bottom_pause_s < 0.1 and bounce.eccentric_s <= 0.4
    (fast,) = _by_fault(truth, "fast_lowering")
    assert fast.eccentric_s <= 0.5 < min(r.eccentric_s for r in clean)
    (shallow,) = _by_fault(truth, "shallow_bottom")
    assert shallow.heel_back_bottom_vs_flat_cm > -1.0 > -3.0 > max(r.heel_back_bottom_vs_flat_cm for r in clean)
    (short,) = _by_fault(truth, "short_top")
    assert short.heel_back_top_vs_flat_cm < 0.5 * min(r.heel_back_top_vs_flat_cm for r in clean)
    (nopause,) = _by_fault(truth, "no_top_pause")
    assert nopause.top_pause_s == 0.0 and min(r.top_pause_s for r in clean) >= 0.3
    (knee,) = _by_fault(truth, "knee_drive")
    assert 20.0 <= knee.knee_range_deg <= 30.0
    assert max(r.knee_range_deg for r in truth.reps if "knee_drive" not in r.faults) < 3.0


def test_bounce_rebounds(faults):
    _, truth, tl, sk = faults
    (bounce,) = _by_fault(truth, "bounce")
    heel = sk.heel_m
    after = (sk.t > bounce.t_bottom) & (sk.t < bounce.t_bottom + 0.15)
    at = np.argmin(np.abs(sk.t - bounce.t_bottom))
    assert heel[after].max() - heel[at] > 0.01  # a real rebound within 0.15 s


def test_body_faults_move_the_right_points(faults):
    script, truth, _, sk = faults
    side, free = script.side, script.free_side
    hip_x = sk.point(f"{side}_hip")[:, 0]
    (torso,) = _by_fault(truth, "torso_help")
    (clean0,) = truth.reps[:1]
    assert np.ptp(hip_x[_window(sk, torso)]) > 0.03 > 0.005 > np.ptp(hip_x[_window(sk, clean0)])
    (assist,) = _by_fault(truth, "free_leg_assist")
    free_toe_y = sk.point(f"{free}_foot_index")[:, 1] - script.step_height_m
    assert free_toe_y[_window(sk, assist)].min() < 0.03
    assert free_toe_y[_window(sk, clean0)].min() > 0.15


def test_front_faults_roll_and_pelvis():
    script = preset("front_faults")
    truth = compute_truth(script)
    _, sk = _sk(script)
    side = script.side
    rel = sk.point(f"{side}_ankle")[:, 2] - sk.point(f"{side}_foot_index")[:, 2]  # + = lateral (right side)
    pelvis = sk.point("left_hip")[:, 1] - sk.point("right_hip")[:, 1]
    tilt = np.degrees(np.arcsin(pelvis / np.linalg.norm(sk.point("left_hip") - sk.point("right_hip"), axis=1)))
    shift = {f: rel[_window(sk, _by_fault(truth, f)[0])] - rel[0] for f in ("arch_collapse", "roll_out")}
    assert shift["arch_collapse"].min() < -0.02  # ankle moves medially
    assert shift["roll_out"].max() > 0.02
    (hips,) = _by_fault(truth, "hips_not_level")
    assert 10.0 <= -tilt[_window(sk, hips)].min() <= 15.0  # free (left) hip drops
    assert np.abs(tilt[_window(sk, truth.reps[0])]).max() < 0.5


def test_fatigue_lowers_last_tops():
    truth = compute_truth(preset("fatigue"))
    tops = [r.heel_back_top_vs_flat_cm for r in truth.reps]
    assert tops[:5] == pytest.approx([8.0] * 5, abs=0.01)
    assert tops[5] > tops[6] > tops[7] and tops[7] < 0.65 * tops[0]


def test_step_on_off_starts_and_ends_on_floor():
    script = preset("step_on_off")
    tl, sk = _sk(script)
    toe = sk.point("right_foot_index")
    assert toe[0, 1] < 0.02 and toe[-1, 1] < 0.02
    on = (sk.t > tl.step_on[1]) & (sk.t < tl.step_off[0])
    assert np.allclose(toe[on, 1], script.step_height_m + 0.015, atol=1e-6)
    assert sk.point("left_foot_index")[0, 1] < 0.02


def test_script_json_roundtrip_and_errors():
    s = preset("faults_side")
    assert script_from_dict(script_to_dict(s)) == s
    with pytest.raises(InputError):
        RepScript(faults=("wobble",))
    with pytest.raises(InputError):
        SetScript(side="middle")
    with pytest.raises(InputError):
        script_from_dict({"bogus": 1})


def test_synth_never_imports_cv2_mediapipe_or_moderngl():
    code = (
        "import sys, formcheck.synth as s; s.make_series(s.preset('clean_side'));"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('cv2','mediapipe','moderngl')]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
