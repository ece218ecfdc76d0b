"""Synthetic landmark series: determinism, corruption knobs, truth file round trip."""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcheck.core.landmarks import INDEX
from formcheck.synth import (
    MEDIAPIPE_LIKE,
    Corruption,
    RepScript,
    SetScript,
    load_truth,
    make_series,
    preset,
    save_truth,
)


def test_clean_series_equals_true_projection():
    series, truth = make_series(preset("clean_side"), view="side")
    assert series.xy.shape == truth.landmarks_px.shape == (len(truth.t), 33, 2)
    np.testing.assert_allclose(series.xy, truth.landmarks_px)
    assert np.all(np.diff(series.t) > 0)
    assert series.t[1] - series.t[0] == pytest.approx(1 / 30)
    assert truth.n_reps == 6 and truth.view == "side" and truth.side == "right"


def test_deterministic_for_a_seed_and_different_across_seeds():
    script = preset("faults_side")
    a, _ = make_series(script, noise_px=1.0, seed=3, corruption=MEDIAPIPE_LIKE)
    b, _ = make_series(script, noise_px=1.0, seed=3, corruption=MEDIAPIPE_LIKE)
    c, _ = make_series(script, noise_px=1.0, seed=4, corruption=MEDIAPIPE_LIKE)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(a.t, b.t)
    both = ~np.isnan(a.xy) & ~np.isnan(c.xy)
    assert np.abs(a.xy[both] - c.xy[both]).mean() > 0.5


def test_noise_has_the_asked_size_and_far_leg_is_worse():
    series, truth = make_series(preset("clean_side"), view="side", noise_px=2.0, seed=0)
    err = series.xy - truth.landmarks_px
    near, far = INDEX["right_knee"], INDEX["left_knee"]  # camera on the working (right) side
    assert np.std(err[:, near]) == pytest.approx(2.0, rel=0.15)
    assert np.std(err[:, far]) == pytest.approx(6.0, rel=0.15)
    assert 0.3 <= series.vis[:, far].min() and series.vis[:, far].max() <= 0.7
    assert series.vis[:, near].min() > 0.9


def test_nan_gaps_where_asked():
    c = Corruption(gaps=((3.0, 3.5), (10.0, 10.2)))
    series, _ = make_series(preset("clean_side"), corruption=c)
    lost = ~series.found
    in_gap = ((series.t >= 3.0) & (series.t < 3.5)) | ((series.t >= 10.0) & (series.t < 10.2))
    np.testing.assert_array_equal(lost, in_gap)
    assert lost.sum() == 15 + 6
    assert np.all(np.isnan(series.vis[lost])) and not np.any(np.isnan(series.vis[~lost]))


def test_uneven_timestamps_strictly_increase():
    series, truth = make_series(preset("clean_side"), corruption=Corruption(dt_jitter=0.3), seed=1)
    dt = np.diff(series.t)
    assert np.all(dt > 0)
    assert dt.std() > 0.003 and abs(dt.mean() - 1 / 30) < 1e-3
    np.testing.assert_array_equal(truth.t, series.t)


def test_heel_compression_shrinks_heel_amplitude():
    script = preset("clean_side")
    ref, truth = make_series(script, view="side")
    squeezed, _ = make_series(script, view="side", corruption=Corruption(heel_compression=0.7))
    heel = INDEX["right_heel"]
    ratio = np.ptp(squeezed.xy[:, heel, 1]) / np.ptp(ref.xy[:, heel, 1])
    assert ratio == pytest.approx(0.7, abs=0.05)
    np.testing.assert_allclose(squeezed.xy[:, INDEX["right_knee"]], ref.xy[:, INDEX["right_knee"]])


def test_heel_pixels_track_the_rep_truth():
    series, truth = make_series(preset("clean_side"), view="side")
    heel_y = series.point("right_heel")[:, 1]
    for r in truth.reps:
        top = heel_y[(series.t >= r.t_top_start) & (series.t <= r.t_top_end)]
        bottom = heel_y[(series.t >= r.t_bottom) & (series.t <= r.t_end)]
        assert bottom.mean() - top.mean() > 20  # image y grows downwards


def test_glitches_are_single_frames():
    script = preset("clean_side")
    ref, _ = make_series(script)
    g, _ = make_series(script, corruption=Corruption(glitch_rate=0.5, glitch_px=40.0), seed=2)
    moved = np.any(np.abs(g.xy - ref.xy) > 1e-9, axis=(1, 2))
    assert 3 <= moved.sum() <= 30
    runs = np.sum(moved[1:] & moved[:-1])
    assert runs <= 1  # isolated frames (two glitches may rarely be neighbours)
    diff = np.any(np.abs(g.xy - ref.xy) > 1e-9, axis=(0, 2))
    legs = {INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("knee", "ankle", "heel", "foot_index")}
    assert set(np.flatnonzero(diff)) <= legs


def test_views_and_landscape():
    script = preset("front_faults")
    for view in ("front", "back", "three_quarter", "side_far"):
        s, t = make_series(script, view=view, width=720, height=404)
        assert np.all((s.xy[..., 0] > 0) & (s.xy[..., 0] < 720) & (s.xy[..., 1] > 0) & (s.xy[..., 1] < 404))


def test_truth_round_trip(tmp_path):
    _, truth = make_series(preset("faults_side"), noise_px=1.0)
    path = save_truth(truth, tmp_path / "x.truth.json")
    back = load_truth(path)
    assert back.reps == truth.reps
    np.testing.assert_allclose(back.landmarks_px, truth.landmarks_px, atol=0.01)
    np.testing.assert_allclose(back.t, truth.t, atol=1e-6)
    assert set(back.extra_px) == {"left_heel_back", "right_heel_back", "left_ball", "right_ball"}


def test_ten_minutes_is_fast():
    reps = tuple(RepScript(faults=("bounce",) if i % 9 == 4 else ()) for i in range(140))
    script = SetScript(reps=reps)
    start = time.perf_counter()
    series, truth = make_series(script, noise_px=1.0, corruption=MEDIAPIPE_LIKE)
    assert time.perf_counter() - start < 5.0  # ~0.5 s on an idle 2-core machine
    assert series.t[-1] > 540 and truth.n_reps == 140
