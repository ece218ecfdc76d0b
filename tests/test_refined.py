"""Fusing the refined heels and toes with MediaPipe's (formcheck.core.refined), and the analysis using them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import INDEX, REFINED_POINTS
from formcheck.core.report import analysis_to_dict
from formcheck.core.signal.refined import BLEND_S, FootFusion, fuse_track, track_label
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset


def tracks(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times with jitter, a moving MediaPipe point, and a refined one 4 px off it with gaps of all lengths."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.028, 0.038, n))
    mp = np.stack([40 * np.sin(t), 25 * np.cos(1.3 * t)], axis=1) + rng.normal(0, 0.3, (n, 2))
    ref = mp + [4.0, -3.0]
    for a, b in ((40, 41), (100, 105), (200, 260), (400, 600)):
        ref[a:b] = np.nan
    mp[300:303] = np.nan  # MediaPipe missing while the refined point is tracked
    return t, mp, ref


def test_inside_a_run_the_refined_point_is_used_outside_mediapipes():
    t, mp, ref = tracks()
    fused, w = fuse_track(t, mp, ref)
    settled = (t > t[110] + BLEND_S) & (t < t[199])
    np.testing.assert_allclose(fused[settled], ref[settled])
    assert (w[settled] == 1).all()
    after = t > t[400] + BLEND_S
    np.testing.assert_allclose(fused[after], mp[after])
    assert (w[after] == 0).all()
    np.testing.assert_allclose(fused[300:303], ref[300:303])  # no MediaPipe point: the refined one alone


def test_switching_is_never_a_jump():
    t, mp, ref = tracks()
    fused, _ = fuse_track(t, mp, ref)
    ok = np.isfinite(fused).all(axis=1)
    steps = np.hypot(*np.diff(fused, axis=0).T)[ok[1:] & ok[:-1]]
    natural = np.nanmax(np.hypot(*np.diff(mp, axis=0).T))
    assert steps.max() < natural + 0.6  # the 5 px offset is spread over BLEND_S, never taken at once
    assert np.hypot(*(ref[199] - mp[199])) > 4.9  # what a plain switch would have done at the end of the run


def test_a_switch_continues_the_signal_and_fades_the_offset_known_answer():
    """MediaPipe's point moves at 1 px per frame; the refined one is the same motion 10 px off, tracked in
    frames 30-89. The fused track starts each run where the signal was and carries exactly offset x (1 - raised
    cosine) after each switch, so no frame steps by more than the ramp's steepest slope."""
    t = np.arange(150) / 30.0
    mp = np.stack([np.arange(150.0), np.zeros(150)], axis=1)
    ref = np.full((150, 2), np.nan)
    ref[30:90] = mp[30:90] + [10.0, 0.0]
    fused, w = fuse_track(t, mp, ref)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - t[30]) / BLEND_S, 0, 1))
    np.testing.assert_allclose(fused[30:90, 0], ref[30:90, 0] - 11.0 * (1 - ramp[30:90]))  # starts at fused[29]
    np.testing.assert_allclose(w[30:90], ramp[30:90])
    back = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - t[90]) / BLEND_S, 0, 1))
    np.testing.assert_allclose(fused[90:, 0], mp[90:, 0] + 9.0 * (1 - back[90:]))  # 9 = fused[89] - mp[90]
    np.testing.assert_array_equal(w[90:], 0.0)
    # the offset is spread over BLEND_S: a frame's step differs from the motion by at most the raised cosine's
    # steepest slope, never by the 10 px a plain switch would jump
    extra = np.abs(np.diff(fused[:, 0]) - 1.0)
    assert extra.max() <= 11.0 * np.pi / 2 / (BLEND_S * 30) + 1e-9 and extra.max() < 2.5


def test_live_fusion_gives_the_same_numbers_as_the_offline_one():
    t, mp, ref = tracks(seed=4)
    fused, w = fuse_track(t, mp, ref)
    live = FootFusion(1)
    got = [live.update(float(tt), m[None], r[None]) for tt, m, r in zip(t, mp, ref, strict=True)]
    np.testing.assert_allclose(np.array([g[0][0] for g in got]), fused, atol=1e-9)
    np.testing.assert_allclose(np.array([g[1][0] for g in got]), w, atol=1e-12)


def test_wrong_shapes_are_refused():
    t, mp, ref = tracks(20)
    with pytest.raises(ValueError, match="shape"):
        fuse_track(t, mp, ref[:, :1])


def test_a_rep_is_labelled_with_the_track_it_was_measured_on():
    t = np.arange(300) / 30.0
    w = np.zeros((300, 4))
    heel, toe = REFINED_POINTS.index("right_heel"), REFINED_POINTS.index("right_foot_index")
    w[:, heel] = w[:, toe] = 1.0
    w[150:, toe] = 0.0
    assert track_label(w, t, "right", 0.0, 4.0) == ("refined", 1.0)
    assert track_label(w, t, "right", 6.0, 9.0) == ("mediapipe", 0.0)
    assert track_label(w, t, "right", 3.0, 7.0)[0] == "mixed"
    assert track_label(w, t, "left", 0.0, 4.0) == ("mediapipe", 0.0)


def with_true_feet(view: str):
    """A synthetic set as MediaPipe reads it (heel travel compressed to 0.7) with the exact heels and toes
    as the refined points."""
    series, truth = make_series(preset("clean_side"), view=view, seed=1, corruption=MEDIAPIPE_LIKE)
    refined = truth.landmarks_px[:, [INDEX[name] for name in REFINED_POINTS]]
    return series, replace(series, refined=refined), truth


def test_the_analysis_measures_the_refined_heel_and_says_so():
    mp_only, refined, truth = with_true_feet("side")
    a, b = analyze_series(mp_only), analyze_series(refined)
    assert len(a.reps) == len(b.reps) == truth.n_reps
    assert {r.track[0] for r in a.reps} == {"mediapipe"}
    assert {r.track[0] for r in b.reps} == {"refined"}
    exact = analyze_series(make_series(preset("clean_side"), view="side", seed=1)[0])  # uncorrupted landmarks
    got = {
        name: np.median([r.metrics["heel_range"]["foot_angle_deg"] for r in x.reps])
        for name, x in (("mp", a), ("refined", b), ("exact", exact))
    }
    assert abs(got["refined"] - got["exact"]) < 0.25 * abs(got["mp"] - got["exact"])
    reps = analysis_to_dict(b)["reps"]
    assert reps[0]["track"] == "refined" and reps[0]["track_refined_frac"] == 1.0


def test_in_a_front_view_mediapipes_heel_is_kept():
    mp_only, refined, _ = with_true_feet("front")
    a, b = analysis_to_dict(analyze_series(mp_only)), analysis_to_dict(analyze_series(refined))
    assert [r["track"] for r in b["reps"]] == ["mediapipe"] * len(b["reps"])
    assert [r["t_top_start"] for r in a["reps"]] == [r["t_top_start"] for r in b["reps"]]


def test_analyze_of_a_landmarks_csv_uses_its_refined_columns(tmp_path):
    import formcheck
    from formcheck.io.landmarks_csv import save_landmarks_csv

    mp_only, refined, _ = with_true_feet("side")
    with_cols = formcheck.analyze(str(save_landmarks_csv(refined, tmp_path / "refined.csv"))).to_dict()
    without = formcheck.analyze(str(save_landmarks_csv(mp_only, tmp_path / "plain.csv"))).to_dict()
    assert {r["track"] for r in with_cols["reps"]} == {"refined"}
    assert {r["track"] for r in without["reps"]} == {"mediapipe"}
