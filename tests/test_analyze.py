"""The analysis core end to end on synthetic sets with exact truth (formcheck.synth)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import LandmarkSeries
from formcheck.errors import NothingToAnalyzeError
from formcheck.synth import MEDIAPIPE_LIKE, FaultSize, RepScript, SetScript, make_series, preset

PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")


def tempo_errors(analysis, truth) -> dict[str, float]:
    n = min(len(analysis.reps), len(truth.reps))
    return {
        k: float(np.median([analysis.reps[i].metrics[k] - getattr(truth.reps[i], k) for i in range(n)])) for k in PHASES
    }


@pytest.mark.parametrize("name", ["clean_side", "faults_side", "front_faults", "step_on_off", "fatigue"])
@pytest.mark.parametrize("view", ["side", "front", "back", "three_quarter"])
def test_rep_count_side_and_tempo_match_the_truth(name, view):
    series, truth = make_series(preset(name), view=view, corruption=MEDIAPIPE_LIKE, seed=0)
    a = analyze_series(series)
    assert len(a.reps) == truth.n_reps
    assert a.side == truth.side
    errors = tempo_errors(a, truth)
    tolerance = 0.4 if view == "back" else 0.3  # from behind the toes are hidden: the noisiest view
    assert all(abs(e) <= tolerance for e in errors.values()), errors
    starts = np.array([r.times.t_start for r in a.reps])
    np.testing.assert_allclose(starts, [r.t_start for r in truth.reps], atol=0.35)  # every single rep


@pytest.mark.parametrize(
    "view, expected", [("side", "side"), ("front", "front"), ("back", "back"), ("three_quarter", "front")]
)
def test_view_is_detected(view, expected):
    series, _ = make_series(preset("clean_side"), view=view, corruption=MEDIAPIPE_LIKE, seed=1)
    a = analyze_series(series)
    assert [v.view for v in a.views] == [expected]


def test_step_on_and_off_are_not_reps():
    series, truth = make_series(preset("step_on_off"), view="side", corruption=MEDIAPIPE_LIKE, seed=2)
    a = analyze_series(series)
    assert len(a.reps) == 5
    assert a.reps[0].times.t_start > truth.step_on[1]
    assert a.reps[-1].times.t_end <= truth.step_off[0] + 0.3


def shifted(series: LandmarkSeries, dt: float = 0.0, scale: float = 1.0) -> LandmarkSeries:
    return dataclasses.replace(
        series,
        t=series.t + dt,
        xy=series.xy * scale,
        z=series.z * scale,
        width=int(series.width * scale),
        height=int(series.height * scale),
    )


def test_time_shift_and_camera_distance_change_nothing():
    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    base = analyze_series(series)
    for other in (shifted(series, dt=100.0), shifted(series, scale=2.0)):
        a = analyze_series(other)
        assert len(a.reps) == len(base.reps)
        for r0, r1 in zip(base.reps, a.reps):
            assert r1.metrics["eccentric_s"] == pytest.approx(r0.metrics["eccentric_s"], abs=0.02)
            assert r1.metrics["heel_range"]["shank_frac"] == pytest.approx(
                r0.metrics["heel_range"]["shank_frac"], abs=0.01
            )


def test_walking_across_the_frame_has_no_reps():
    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=4)
    drift = (series.t - series.t[0])[:, None] * 1.5 * 150  # ~1.5 shank lengths per second
    walking = dataclasses.replace(
        series, xy=series.xy + np.stack([drift, 0 * drift], axis=-1), width=int(series.width + drift.max())
    )  # a wide shot: the walker stays in view
    a = analyze_series(walking)
    assert a.reps == [] and any("no calf raise found" in w for w in a.warnings)


def test_heel_range_in_degrees_and_cm_in_side_view():
    from formcheck.core.config import AnalysisConfig, ScaleConfig

    series, truth = make_series(preset("clean_side"), view="side", seed=5)  # no corruption: exact geometry
    a = analyze_series(series, AnalysisConfig(scale=ScaleConfig(foot_cm=26.0)))
    # the exact answer for what is measured: the heel -> toe-tip line of the true landmarks
    heel, toe = truth.landmarks_px[:, 29 + 1], truth.landmarks_px[:, 31 + 1]  # right heel, right foot index
    line = np.degrees(np.arctan2(toe[:, 1] - heel[:, 1], np.abs(toe[:, 0] - heel[:, 0])))
    for rep, tr in zip(a.reps, truth.reps):
        at = lambda t0, t1: line[(truth.t >= t0) & (truth.t <= t1)]
        want = at(tr.t_top_start, tr.t_top_end).max() - at(tr.t_start - 0.3, tr.t_start).min()
        assert rep.metrics["heel_range"]["foot_angle_deg"] == pytest.approx(want, abs=2.0)
    assert all(r.metrics["heel_range"]["cm_source"] == "foot_cm" for r in a.reps)


def test_front_view_has_no_foot_angle():
    series, _ = make_series(preset("clean_side"), view="front", corruption=MEDIAPIPE_LIKE, seed=6)
    a = analyze_series(series)
    assert all(r.metrics["heel_range"]["foot_angle_deg"] is None for r in a.reps)
    assert all(r.metrics["heel_range"]["shank_frac"] > 0.05 for r in a.reps)


def test_no_legs_in_view_is_nothing_to_analyze():
    series, _ = make_series(preset("clean_side"), view="side", seed=7)
    vis = series.vis.copy()
    vis[:, 23:] = 0.05  # hips to feet unseen (as when only the upper body is in frame)
    with pytest.raises(NothingToAnalyzeError, match="hips to the feet"):
        analyze_series(dataclasses.replace(series, vis=vis))


def test_long_gap_splits_the_set_and_is_reported():

    series, truth = make_series(
        preset("clean_side"), view="side", seed=8, corruption=dataclasses.replace(MEDIAPIPE_LIKE, gaps=((9.0, 10.5),))
    )
    a = analyze_series(series)
    assert any("no person found" in w for w in a.warnings)
    assert truth.n_reps - 1 <= len(a.reps) <= truth.n_reps


# --- inputs that must be refused (exit 3) or still give the right answer


def with_vis(series: LandmarkSeries, names: tuple[str, ...], value: float) -> LandmarkSeries:
    from formcheck.core.landmarks import INDEX

    vis = series.vis.copy()
    vis[:, [INDEX[n] for n in names]] = value
    return dataclasses.replace(series, vis=vis)


FEET = tuple(f"{s}_{p}" for s in ("left", "right") for p in ("ankle", "heel", "foot_index"))


@pytest.mark.parametrize(
    "n, message",
    [
        (1, "too short: the input has 1 frame; a set needs at least 2 s of video: film the whole set"),
        (15, "too short: the input lasts 0.50 s and a set needs at least 2 s; film the whole set"),
    ],
)
def test_too_short_is_nothing_to_analyze(n, message):
    series, _ = make_series(preset("clean_side"), view="side", seed=30)  # no corruption: exact 30 fps
    with pytest.raises(NothingToAnalyzeError, match=message):
        analyze_series(series.slice(0, n))


@pytest.mark.parametrize(
    "foot_vis, message",
    [
        (
            0.1,
            "hips, knees and feet are in view together in only 0% of the frames; the hips to the feet must be in view",
        ),
        (
            0.4,
            r"the feet are barely visible to the pose model \(visibility 0\.40, it needs 0\.5: it is probably guessing",
        ),
    ],
)
def test_a_body_seen_with_faint_feet_never_gives_reps(foot_vis, message):
    """MediaPipe 'finds' a body in a close-up of feet with foot visibility 0.1-0.4 (the real afya clip: < 0.2)."""
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=31)
    assert len(analyze_series(series).reps) == truth.n_reps  # the same motion, clearly seen, has its reps
    with pytest.raises(NothingToAnalyzeError, match=message):
        analyze_series(with_vis(series, FEET, foot_vis))


def test_legs_outside_the_frame_are_not_in_view():
    """Only the upper body filmed: MediaPipe extrapolates the legs below the frame with high visibility."""
    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=32)
    cropped = dataclasses.replace(series, height=int(np.nanmedian(series.xy[:, 25, 1])) - 20)  # above the knees
    with pytest.raises(
        NothingToAnalyzeError,
        match="hips, knees and feet are in view together in only 0% of the "
        "frames; the hips to the feet must be in view: film side-on",
    ):
        analyze_series(cropped)


def test_no_reps_with_the_legs_mostly_out_of_view_blames_the_framing():
    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=33)
    drift = (series.t - series.t[0])[:, None] * 1.5 * 150
    walking = dataclasses.replace(
        series, xy=series.xy + np.stack([drift, 0 * drift], axis=-1), width=int(series.width + 0.4 * drift.max())
    )  # walks out of the shot at 40 %
    with pytest.raises(
        NothingToAnalyzeError,
        match=r"no calf raise found, and the hips to the feet are in view in "
        r"only 4\d% of the frames",
    ):
        analyze_series(walking)


def test_variable_frame_rate_with_jumps_gives_the_same_reps():
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=34)
    rng = np.random.default_rng(34)
    keep = rng.random(len(series)) > 0.3  # a phone dropping ~30 % of frames irregularly
    keep[(series.t > 5.4) & (series.t < 5.8)] = False  # and one 0.4 s jump in rep 1's bottom pause
    vfr = series.slice(0, len(series))
    vfr = LandmarkSeries(
        t=vfr.t[keep],
        xy=vfr.xy[keep],
        z=vfr.z[keep],
        vis=vfr.vis[keep],
        width=vfr.width,
        height=vfr.height,
        frame=vfr.frame[keep],
    )
    a = analyze_series(vfr)
    assert len(a.reps) == truth.n_reps
    assert all(abs(e) <= 0.3 for e in tempo_errors(a, truth).values()), tempo_errors(a, truth)


def test_240_fps_slow_motion_is_timed_in_real_seconds():
    script = dataclasses.replace(preset("clean_side"), fps=240.0)
    series, truth = make_series(script, view="side", corruption=MEDIAPIPE_LIKE, seed=35)
    assert len(series) > 5000
    a = analyze_series(series)
    assert len(a.reps) == truth.n_reps
    assert all(abs(e) <= 0.3 for e in tempo_errors(a, truth).values()), tempo_errors(a, truth)


def test_spikes_and_multi_frame_excursions_are_rejected_and_nothing_else():
    """A one-frame spike (0.3 shank), a 4-frame excursion (0.6 shank: MediaPipe briefly swapping the legs) and
    a spike right beside the excursion are exactly the heel samples the two outlier passes reject, and the
    cleaned track is back near the truth there (short gaps filled)."""
    from formcheck.core.config import CleaningConfig
    from formcheck.core.landmarks import INDEX
    from formcheck.core.signal.clean import clean_tracks, gate, spikes

    series, _ = make_series(preset("clean_side"), view="side", seed=0)
    cfg = CleaningConfig()
    shank = clean_tracks(series, cfg).shank_px
    heel, injected = INDEX["left_heel"], [200, 398, 400, 401, 402, 403]
    xy = series.xy.copy()
    xy[200, heel, 0] += 0.3 * shank
    xy[400:404, heel, 0] += 0.6 * shank
    xy[398, heel, 0] -= 0.3 * shank
    bad = dataclasses.replace(series, xy=xy)
    x = gate(bad.xy, bad.vis, cfg.min_visibility)[:, heel, 0]
    found = spikes(bad.t, x, cfg.outlier_window_s, cfg.outlier_max_dev * shank)
    found |= spikes(bad.t, x, cfg.excursion_window_s, cfg.excursion_max_dev * shank)
    assert set(np.flatnonzero(found).tolist()) == set(injected)
    cleaned = clean_tracks(bad, cfg).xy[:, heel, 0]
    assert np.all(np.abs(cleaned[injected] - series.xy[injected, heel, 0]) < 0.05 * shank)


def test_the_body_scale_is_the_standing_leg_even_when_the_bent_leg_is_better_seen():
    """From the front or behind a free leg bent towards the camera reads far shorter than the standing one; the
    scale (shank lengths, used by every threshold) must come from the longer leg, not the better-seen one."""
    from formcheck.core.landmarks import INDEX
    from formcheck.core.signal.clean import body_scale

    n = 20
    xy = np.zeros((n, 33, 2))
    vis = np.full((n, 33), 0.9)
    for side, shank, seen in (("left", 120.0, 0.9), ("right", 25.0, 0.99)):  # right: bent, foreshortened
        xy[:, INDEX[f"{side}_hip"]] = (0.0, 100.0)
        xy[:, INDEX[f"{side}_knee"]] = (0.0, 250.0)
        xy[:, INDEX[f"{side}_ankle"]] = (0.0, 250.0 + shank)
        vis[:, [INDEX[f"{side}_knee"], INDEX[f"{side}_ankle"]]] = seen
    assert body_scale(xy, vis, 0.5) == pytest.approx((120.0, 270.0))
    vis[:, INDEX["left_knee"]] = 0.1  # the standing leg's knee never seen: the other leg is all there is
    assert body_scale(xy, vis, 0.5) == pytest.approx((25.0, 175.0))


def test_the_body_scale_is_not_set_by_a_leg_seen_in_a_few_odd_frames_or_while_standing_nearer():
    """Frame by frame the longer shank counts: a far leg seen in 3 glitched frames (160 px) or a walk-up near the
    camera (300 px for 60 frames) must not set the scale of a clip whose standing leg reads 100 px."""
    from formcheck.core.landmarks import INDEX
    from formcheck.core.signal.clean import body_scale

    def leg(xy, vis, side, rows, shank, seen):
        xy[rows, INDEX[f"{side}_hip"]] = (0.0, 100.0)
        xy[rows, INDEX[f"{side}_knee"]] = (0.0, 250.0)
        xy[rows, INDEX[f"{side}_ankle"]] = (0.0, 250.0 + shank)
        vis[np.ix_(rows, [INDEX[f"{side}_knee"], INDEX[f"{side}_ankle"]])] = seen

    n = 600
    xy, vis = np.zeros((n, 33, 2)), np.full((n, 33), 0.2)
    leg(xy, vis, "left", np.arange(n), 100.0, 0.95)
    leg(xy, vis, "right", np.array([10, 200, 400]), 160.0, 0.55)
    assert body_scale(xy, vis, 0.5) == pytest.approx((100.0, 250.0))
    xy, vis = np.zeros((n, 33, 2)), np.full((n, 33), 0.2)
    leg(xy, vis, "left", np.arange(60), 300.0, 0.95)
    leg(xy, vis, "right", np.arange(60), 300.0, 0.9)
    leg(xy, vis, "left", np.arange(60, n), 100.0, 0.95)
    assert body_scale(xy, vis, 0.5) == pytest.approx((100.0, 250.0))


def partial_rep_set(rise_frac: float, ramp: str) -> SetScript:
    """Five reps; the fourth rises to rise_frac of the set's full rise (a short top of that size)."""
    clean = dict(rise_s=0.9, top_pause_s=0.5, lower_s=1.8, bottom_pause_s=0.5)
    size = FaultSize("short_top", "test", (("rise_frac", rise_frac),))
    reps = [RepScript(**clean) for _ in range(5)]
    reps[3] = RepScript(**clean, faults=("short_top",), sizes=(size,))
    return SetScript(reps=tuple(reps), side="right", lead_in_s=1.2, lead_out_s=1.2, seed=3, ramp=ramp)


@pytest.mark.parametrize("rise_frac", [0.4, 0.5])
@pytest.mark.parametrize("ramp", ["cosine", "min_jerk"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_partial_rep_to_half_the_range_counts_and_carries_short_top(rise_frac, ramp, seed):
    """With the stretch below the flat foot, a rep to 40-50 % of the set's range tops out about level with the
    flat foot: it is a rep (a short top), not a return to a flat foot (before stepping off)."""
    series, truth = make_series(partial_rep_set(rise_frac, ramp), corruption=MEDIAPIPE_LIKE, seed=seed)
    a = analyze_series(series)
    assert len(a.reps) == truth.n_reps == 5
    starts = [r.times.t_start for r in a.reps]
    np.testing.assert_allclose(starts, [r.t_start for r in truth.reps], atol=0.35)
    assert "short_top" in {f["id"] for f in a.reps[3].faults}
