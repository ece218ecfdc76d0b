"""The per-rep numbers (core/reps/metrics.py), the set reference (core/faults/reference.py) and fault confidence
(core/faults/detect.py) on signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.config import FaultConfig, ScaleConfig
from formcheck.core.faults.detect import (
    BACK_VIEW_HINT,
    TWO_LEG_WARNING,
    detect_faults,
    judged_on_no_rep,
    normal_cdf,
    spread,
)
from formcheck.core.faults.reference import best_of, set_reference, versus_others
from formcheck.core.landmarks import INDEX
from formcheck.core.reps.metrics import PHASE_PAD_S, MeasuredRep, RepSignals, measure_rep, phase_quality
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import BodySignals
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import gradient

FPS = 60.0


def rep_signal(rise=0.8, hold=0.5, lower=1.6, pause=0.6, lo=-0.1, hi=0.2, after=None):
    """A heel going lo -> hi (raised cosine) in `rise` s, holding, down to `after` (default lo) in `lower` s."""
    after = lo if after is None else after
    k = np.cumsum([0.0, pause, rise, hold, lower, pause])
    t = np.arange(0.0, k[-1] + 1e-9, 1 / FPS)
    up = np.clip((t - k[1]) / rise, 0, 1)
    down = np.clip((t - k[3]) / lower, 0, 1)
    h = lo + (hi - lo) * (1 - np.cos(np.pi * up)) / 2 - (hi - after) * (1 - np.cos(np.pi * down)) / 2
    return t, h, PhaseTimes(k[1], k[2], k[3], k[4], k[5], False)


def body(t: np.ndarray, **signals: np.ndarray) -> BodySignals:
    zero = np.zeros_like(t)
    fields = ("knee_deg", "lean_deg", "foot_angle_deg", "hip_x", "shoulder_x", "free_gap", "hip_drop")
    return BodySignals(t=t, **{f: signals.get(f, zero) for f in fields})


def test_levels_and_the_lowering_speed_of_a_known_rep():
    t, h, p = rep_signal(rise=0.8, hold=0.5, lower=1.6, lo=-0.1, hi=0.2, after=-0.05)
    n = measure_rep(RepSignals(body(t), h, h, gradient(t, h)), p, "side", math.nan, 1.0, ScaleConfig())
    assert (n.start_level, n.top_level, n.bottom_level) == pytest.approx((-0.1, 0.2, -0.05), abs=1e-3)
    assert n.heel_range["shank_frac"] == pytest.approx(0.3, abs=1e-3)
    assert n.lowering_speed == pytest.approx(np.pi / 2 * 0.25 / 1.6, abs=0.01)  # a raised cosine's peak speed
    assert (n.concentric_s, n.top_pause_s, n.eccentric_s, n.bottom_pause_s) == pytest.approx((0.8, 0.5, 1.6, 0.6))


def test_posture_numbers_are_the_changes_from_the_rise_start_to_the_top_facing_either_way():
    t, h, p = rep_signal()
    rising = np.clip((t - p.t_start) / (p.t_top_start - p.t_start), 0, 1)
    b = body(
        t,
        lean_deg=2.0 + 6.0 * rising,
        hip_x=0.5 + 0.08 * rising,
        hip_drop=0.04 * rising,
        knee_deg=12 + 9 * np.sin(np.pi * rising),
        free_gap=0.5 - 0.4 * np.sin(np.pi * rising),
    )
    for forward in (1.0, -1.0):
        n = measure_rep(RepSignals(b, h, h, gradient(t, h)), p, "side", math.nan, forward, ScaleConfig())
        assert n.trunk_lean_change_deg == pytest.approx(6.0 * forward, abs=0.1)
        assert n.hip_forward_travel_leg_frac == pytest.approx(0.08 * forward, abs=0.002)
        assert n.hip_drop_change_shank == pytest.approx(0.04, abs=0.002)
        assert n.knee_flexion_range_deg == pytest.approx(9.0, abs=0.1)
        assert n.free_foot_min_gap_shank == pytest.approx(0.1, abs=0.01)


def numbers(**levels):
    t, h, p = rep_signal(**levels)
    return measure_rep(RepSignals(body(t), h, h, gradient(t, h)), p, "side", math.nan, 1.0, ScaleConfig())


def test_a_rep_against_the_other_reps_of_its_set():
    reps = [numbers() for _ in range(4)] + [numbers(hi=0.08), numbers(after=0.0, lower=0.4)]
    ref = set_reference(reps[:5])
    assert ref.bottom == pytest.approx(-0.1, abs=1e-3) and ref.best_rise == pytest.approx(0.3, abs=1e-3)
    versus = versus_others(reps, ["side"] * 6)
    short, shallow_fast = versus[4], versus[5]
    assert short.rise_vs_best == pytest.approx(0.18 / 0.3, abs=0.01)
    assert shallow_fast.bottom_above_set == pytest.approx(0.1 / 0.3, abs=0.01)
    # the lesser of its peak speed (1.6 / 0.4 x 0.2 / 0.3 of the others') and its pace (per unit of travel: 1.6 / 0.4)
    assert shallow_fast.lowering_speed_vs_set == pytest.approx(1.6 / 0.4 * (0.2 / 0.3), abs=0.05)


def test_the_lowering_pace_is_per_unit_of_travel_at_least_half_the_sets():
    """Same timing, twice the travel: twice the peak speed, the same pace (a bounce reads the pace)."""
    reps = [numbers(hi=0.05), numbers(hi=0.05), numbers(), numbers(hi=0.05)]
    assert reps[2].lowering_speed > 1.6 * reps[0].lowering_speed
    assert versus_others(reps, ["side"] * 4)[2].lowering_speed_vs_set == pytest.approx(1.0, abs=0.05)
    # a quick dip of a tenth of the travel: four times the pace on its own travel, under 1 on half the set's
    dip = versus_others([numbers(), numbers(), numbers(after=0.17, lower=0.4), numbers()], ["side"] * 4)[2]
    assert dip.lowering_speed_vs_set < 1.0
    # a short rep lowered at the set's speed: twice the pace, the same speed: not quicker both ways
    short = versus_others([numbers(), numbers(), numbers(hi=0.05, lower=0.8), numbers()], ["side"] * 4)[2]
    assert short.lowering_speed_vs_set == pytest.approx(1.0, abs=0.05)


def test_a_fast_rep_is_not_part_of_its_own_reference():
    """Two reps: the fast one against the other alone (not against a median that holds its own speed)."""
    slow, fast = numbers(), numbers(lower=0.4)
    versus = versus_others([slow, fast], ["side", "side"])
    assert versus[1].lowering_speed_vs_set == pytest.approx(fast.lowering_speed / slow.lowering_speed, abs=0.01)
    assert versus[1].lowering_speed_vs_set > 2.5
    alone = versus_others([slow, fast], ["side", "front"])  # no other rep in its view: no reference
    assert alone[0].lowering_speed_vs_set is None and alone[1].rise_vs_best is None


def test_best_of_is_the_second_highest_and_ignores_one_high_rep():
    assert best_of(np.array([1.0, 1.0, 5.0, 1.0, 1.0])) == 1.0
    assert best_of(np.array([1.0, 2.0, 3.0, 2.0])) == 2.0
    assert best_of(np.array([1.0, 3.0])) == 2.0
    # short reps next to each other do not lower the bar (a 3-rep running median read 0.8 here)
    assert best_of(np.array([1.0, 0.8, 0.5, 0.98])) == 0.98


def test_confidence_grows_with_the_margin_over_the_sets_scatter_and_falls_with_tracking():
    t, h, p = rep_signal()
    sig = RepSignals(body(t), h, h, gradient(t, h))
    clean = [MeasuredRep(p, "side", measure_rep(sig, p, "side", math.nan, 1.0, ScaleConfig()), 1.0)] * 5
    cfg = FaultConfig()

    def flagged(min_top_hold_s: float, quality: float = 1.0) -> dict | None:
        reps = clean + [MeasuredRep(p, "side", clean[0].numbers, quality)]
        report = detect_faults(reps, math.nan, FaultConfig(min_top_hold_s=min_top_hold_s))
        hits = [f for f in report.faults[-1] + report.uncertain[-1] if f["id"] == "no_top_pause"]
        return hits[0] if hits else None

    assert flagged(0.45) is None  # a 0.5 s hold
    far = flagged(0.8)  # 0.3 s short, six floors of scatter: certain
    assert far["confidence"] == pytest.approx(1.0, abs=0.01)
    near = flagged(0.52)  # just over: about even
    assert 0.5 < near["confidence"] < 0.7
    assert flagged(0.8, quality=0.5)["confidence"] == pytest.approx(0.5, abs=0.01)
    report = detect_faults(
        clean + [MeasuredRep(p, "side", clean[0].numbers, 0.5)], math.nan, FaultConfig(min_top_hold_s=0.8)
    )
    assert all(f["id"] != "no_top_pause" for f in report.faults[-1])  # under 0.6: only "uncertain"
    assert any(f["id"] == "no_top_pause" for f in report.uncertain[-1])
    assert cfg.min_top_hold_s < 0.45


def test_a_fault_is_only_as_sure_as_the_tracking_in_its_own_phase():
    """A swap of the feet during one phase spoils the numbers read there, not the others: a fault's confidence
    takes the tracking quality of its phase (faults/rules.PHASES; the rise for the posture faults) where that is
    below the rep's; a phase never reads surer than its rep."""
    t, h, p = rep_signal()
    leaning = body(t, lean_deg=20.0 * np.clip((t - p.t_start) / (p.t_top_start - p.t_start), 0, 1))
    upright = measure_rep(RepSignals(body(t), h, h, gradient(t, h)), p, "side", math.nan, 1.0, ScaleConfig())
    helped = measure_rep(RepSignals(leaning, h, h, gradient(t, h)), p, "side", math.nan, 1.0, ScaleConfig())
    clean = [MeasuredRep(p, "side", upright, 1.0)] * 5
    rise, top, lowering = "rise", "top", "lowering"

    def confidence(quality: float, phases: dict) -> dict[str, float]:
        report = detect_faults(
            clean + [MeasuredRep(p, "side", helped, quality, phases)], math.nan, FaultConfig(min_top_hold_s=0.8)
        )
        return {f["id"]: f["confidence"] for f in report.faults[-1] + report.uncertain[-1]}

    assert confidence(0.9, {}) == {"no_top_pause": 0.9, "torso_help": 0.9}  # certain beyond their thresholds
    assert confidence(0.9, {rise: 0.3, top: 1.0, lowering: 0.2}) == {"no_top_pause": 0.9, "torso_help": 0.3}
    assert confidence(0.9, {rise: 1.0, top: 0.4}) == {"no_top_pause": 0.4, "torso_help": 0.9}
    assert confidence(0.5, {rise: 1.0, top: 1.0}) == {"no_top_pause": 0.5, "torso_help": 0.5}
    report = detect_faults(clean + [MeasuredRep(p, "side", helped, 0.9, {rise: 0.3})], math.nan, FaultConfig())
    assert [f["id"] for f in report.faults[-1]] == [] and [f["id"] for f in report.uncertain[-1]] == ["torso_help"]


def test_each_phase_quality_is_the_share_of_its_frames_where_the_working_leg_was_seen():
    """The phase and PHASE_PAD_S either side, within the rep; a phase with an unknown time or not filmed yet (the
    live tracker's rep in progress) is left out, so its faults take the rep's quality."""
    t = np.arange(0.0, 8.0, 1 / FPS)
    pixels = np.zeros((len(t), 33, 2))

    def tracks(unseen_from: float, unseen_to: float) -> CleanTracks:
        observed = np.ones((len(t), 33), bool)
        observed[(t >= unseen_from) & (t < unseen_to), INDEX["left_knee"]] = False
        return CleanTracks(t, pixels, pixels, np.ones((len(t), 33)), observed, shank_px=100.0, leg_px=400.0)

    p = PhaseTimes(2.0, 3.0, 3.5, 5.0, 5.6, False)
    mid_rise = tracks(2.2, 2.8)  # the rise is 2.0-3.0 s; read over 2.0-3.1 s (not before the rep's start)
    q = phase_quality(mid_rise, "left", p)
    assert q["rise"] == pytest.approx(1 - 0.6 / (1.0 + PHASE_PAD_S), abs=0.02)
    assert q["top"] == q["lowering"] == q["bottom"] == 1.0
    assert phase_quality(mid_rise, "right", p)["rise"] == 1.0  # the other leg was seen
    assert phase_quality(tracks(1.5, 2.0), "left", p)["rise"] == 1.0  # before the rep: not its rise's
    assert phase_quality(tracks(5.62, 6.0), "left", p)["bottom"] == 1.0  # nor after it
    assert phase_quality(tracks(3.02, 3.08), "left", p)["rise"] < 1.0  # the margin inside the rep counts
    late = phase_quality(mid_rise, "left", PhaseTimes(6.0, 7.0, 7.5, 8.5, 9.0, False))
    assert set(late) == {"rise", "top", "lowering"}  # the clip ends at 8.0 s, before the bottom
    unknown = phase_quality(mid_rise, "left", PhaseTimes(2.0, 3.0, math.nan, 5.0, 5.6, False))
    assert set(unknown) == {"rise", "bottom"}


def test_a_two_leg_raise_lists_the_free_leg_check_as_judged_on_no_rep():
    t, h, p = rep_signal()
    sig = RepSignals(body(t), h, h, gradient(t, h))
    reps = [MeasuredRep(p, "side", measure_rep(sig, p, "side", math.nan, 1.0, ScaleConfig()), 1.0)] * 5
    cfg = FaultConfig()
    planted = detect_faults(reps, math.nan, cfg)  # the free foot never hangs above the working one
    listed = {d["id"]: d["reason"] for d in judged_on_no_rep(reps, planted, cfg, set())}
    assert "never hung above the working foot" in listed["free_leg_assist"]
    assert "two-leg raise" in planted.warnings[0]
    hanging = detect_faults(reps, 1.0, cfg)
    assert "free_leg_assist" not in {d["id"] for d in judged_on_no_rep(reps, hanging, cfg, set())}
    assert judged_on_no_rep(reps, planted, cfg, {"free_leg_assist"}) == [
        d for d in judged_on_no_rep(reps, planted, cfg, set()) if d["id"] != "free_leg_assist"
    ]  # listed already (its view): not twice


def test_a_free_foot_as_low_as_the_working_one_from_behind_gets_the_hint_to_film_from_the_side():
    t, h, p = rep_signal()
    sig = RepSignals(body(t), h, h, gradient(t, h))
    numbers = measure_rep(sig, p, "side", math.nan, 1.0, ScaleConfig())
    cfg = FaultConfig()
    reps = [MeasuredRep(p, "back", numbers, 1.0)] * 3 + [MeasuredRep(p, "front", numbers, 1.0)]
    behind = detect_faults(reps, 0.0, cfg)
    assert behind.warnings == [TWO_LEG_WARNING + BACK_VIEW_HINT]
    listed = {d["id"]: d["reason"] for d in judged_on_no_rep(reps, behind, cfg, set())}
    assert "never hung above the working foot" in listed["free_leg_assist"]  # found under the longer warning
    side_on = detect_faults(
        [MeasuredRep(p, "side", numbers, 1.0)] * 2 + [MeasuredRep(p, "back", numbers, 1.0)] * 2, 0.0, cfg
    )
    assert side_on.warnings == [TWO_LEG_WARNING]  # no majority from behind: no hint


def test_scatter_has_a_floor_per_kind_of_number():
    assert spread([0.5, 0.5, 0.5, 0.5], "top_pause_s") == 0.05
    assert spread([10.0, 10.0, 10.0], "knee_flexion_range_deg") == 1.5
    assert spread([0.1, 0.2], "rise_vs_best") == 0.06  # too few reps: twice the floor
    assert spread([1.0, 2.0, 3.0, 4.0, 5.0], "eccentric_s") == pytest.approx(1.4826)
    assert normal_cdf(0.0) == 0.5 and normal_cdf(math.nan) == 0.0


def test_the_knee_bend_median_takes_out_a_jump_and_keeps_each_seen_run_apart():
    from formcheck.core.landmarks import INDEX, N_LANDMARKS
    from formcheck.core.signal.body import knee_bend, knee_flexion

    t = np.arange(90) / 30.0
    xy = np.zeros((90, N_LANDMARKS, 2))
    xy[:, INDEX["right_knee"]] = np.stack([np.linspace(0.0, 0.5, 90), np.ones(90)], axis=1)  # bending steadily
    xy[:, INDEX["right_ankle"], 1] = 2.0
    xy[40:42, INDEX["right_knee"], 0] += 0.3  # a two-frame jump
    xy[60:64, INDEX["right_knee"]] = np.nan  # not seen
    raw, bend = knee_flexion(xy, "right"), knee_bend(t, xy, "right")
    assert raw[40] - raw[39] > 10 and abs(bend[40] - (bend[39] + bend[42]) / 2) < 1.0
    assert np.isnan(bend[60:64]).all()
    # next to the gap each side is its own steady bend, not pulled towards the other side
    np.testing.assert_allclose(bend[[58, 59, 64, 65]], raw[[58, 59, 64, 65]], atol=1e-9)


def test_a_knee_seen_only_in_pieces_shorter_than_the_median_is_not_read():
    """A run of frames shorter than the knee's median window cannot have a jump taken out of it: its bend is not
    read (NaN), so knee_drive is not judged on it rather than judged on a jump."""
    from formcheck.core.landmarks import INDEX, N_LANDMARKS
    from formcheck.core.signal.body import KNEE_MEDIAN_S, knee_bend

    t = np.arange(90) / 30.0
    xy = np.zeros((90, N_LANDMARKS, 2))
    xy[:, INDEX["right_knee"]] = [0.0, 1.0]
    xy[:, INDEX["right_ankle"], 1] = 2.0
    short = int(KNEE_MEDIAN_S * 30.0) - 2  # frames, spanning less than the window
    xy[20:40, INDEX["right_knee"]] = np.nan
    xy[40 + short : 60, INDEX["right_knee"]] = np.nan  # seen for `short` frames between two gaps
    xy[40, INDEX["right_knee"], 0] += 0.3  # with a jump in them
    bend = knee_bend(t, xy, "right")
    assert np.isnan(bend[40 : 40 + short]).all()
    assert np.isfinite(bend[:20]).all() and np.isfinite(bend[60:]).all()  # the long runs are read
