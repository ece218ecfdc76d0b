"""A hand-held camera: the picture drifts up and down under the athlete (signal/body.ground_drift).

The heel height is read from image heights, which a moving camera shifts; the drift is found at the flat-foot
bottoms, where the toe and the body should stand at the same height each time, and taken out."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_live import run

from formcheck.core.analyze import analyze_series
from formcheck.core.signal.body import ground_drift
from formcheck.core.signal.clean import body_scale
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

FPS = 30.0


def bottoms_and_tops(levels_by_run: list[np.ndarray], run_s: float = 1.0, top_s: float = 1.0):
    """t, witnesses (T, 5) and tilt: flat runs (tilt 0) with the given witness heights, raised tops between them
    (tilt 30 px, the witnesses 20 px higher)."""
    t, witnesses, tilt = [], [], []
    for k, level in enumerate(levels_by_run):
        n_flat, n_top = int(run_s * FPS) + 1, int(top_s * FPS)  # odd: a run's centre is a frame
        witnesses += [level] * n_flat
        tilt += [0.0] * n_flat
        if k < len(levels_by_run) - 1:
            witnesses += [level + 20.0] * n_top
            tilt += [30.0] * n_top
    t = np.arange(len(tilt)) / FPS
    return t, np.array(witnesses, dtype=float), np.array(tilt)


def at_run_centres(drift: np.ndarray, n_runs: int, run_s: float = 1.0, top_s: float = 1.0) -> np.ndarray:
    n_flat, n_top = int(run_s * FPS) + 1, int(top_s * FPS)
    return np.array([drift[k * (n_flat + n_top) + n_flat // 2] for k in range(n_runs)])


def test_a_camera_moving_every_point_alike_is_found_at_each_bottom():
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])  # toe, ankle, knee, hip, shoulder
    t, w, tilt = bottoms_and_tops([base, base + 6.0, base - 4.0, base + 10.0])
    drift = ground_drift(t, w, tilt)
    np.testing.assert_allclose(at_run_centres(drift, 4), [0.0, 6.0, -4.0, 10.0], atol=1e-9)
    assert np.all(np.diff(drift[: int(2 * FPS)]) >= 0)  # linear between the first two runs, no step


@pytest.mark.parametrize(
    "moved",
    [
        np.array([12.0, 0.0, 0.0, 0.0, 0.0]),  # the toe alone: a leg swap or a glitch
        np.array([0.0, 8.0, 8.0, 8.0, 8.0]),  # the body alone: a deeper bottom, a bent knee, a lean
        np.array([-9.0, 5.0, 5.0, 5.0, 5.0]),  # both, but in opposite directions
    ],
)
def test_a_point_moving_on_its_own_is_not_a_camera_move(moved):
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])
    t, w, tilt = bottoms_and_tops([base, base + moved, base])
    np.testing.assert_allclose(ground_drift(t, w, tilt), 0.0, atol=1e-9)


def test_the_smaller_witness_sets_the_move_and_one_bottom_is_no_drift():
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])
    t, w, tilt = bottoms_and_tops([base, base + np.array([10.0, 4.0, 4.0, 4.0, 4.0])])
    np.testing.assert_allclose(at_run_centres(ground_drift(t, w, tilt), 2), [0.0, 4.0], atol=1e-9)
    t, w, tilt = bottoms_and_tops([base + 7.0])
    np.testing.assert_allclose(ground_drift(t, w, tilt), 0.0)


def test_while_the_flat_line_holds_a_later_bottom_does_not_change_an_earlier_one():
    """What the live tracker relies on: with the tilt's range set by the first rep, the drift on the stance so far
    is the whole stance's drift at its bottoms."""
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])
    t, w, tilt = bottoms_and_tops([base, base + 6.0, base + 3.0, base + 12.0])
    whole = ground_drift(t, w, tilt)
    cut = int(4.5 * FPS)  # inside the third bottom: the value held since it is its value in the whole stance
    np.testing.assert_allclose(ground_drift(t[:cut], w[:cut], tilt[:cut])[-1], at_run_centres(whole, 4)[2])
    np.testing.assert_allclose(at_run_centres(whole, 4), [0.0, 6.0, 3.0, 12.0])


def test_a_bottom_with_the_body_or_the_toe_unseen_is_left_out():
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])
    unseen_body = np.array([np.nan, np.nan, np.nan, np.nan])
    t, w, tilt = bottoms_and_tops([base, base + 5.0, base + 10.0])
    middle = slice(int(2 * FPS) + 1, int(3 * FPS) + 2)  # the second flat run
    w[middle, 1:] = unseen_body
    np.testing.assert_allclose(at_run_centres(ground_drift(t, w, tilt), 3)[[0, 2]], [0.0, 10.0])
    w[middle, 0] = np.nan
    np.testing.assert_allclose(at_run_centres(ground_drift(t, w, tilt), 3)[[0, 2]], [0.0, 10.0])


def test_the_drift_is_linear_in_time_across_a_gap_in_the_frames():
    base = np.array([100.0, 150.0, 250.0, 350.0, 500.0])
    t, w, tilt = bottoms_and_tops([base, base + 10.0])
    t = np.where(np.arange(len(t)) >= 40, t + 3.0, t)  # three seconds lost in the rise
    drift = ground_drift(t, w, tilt)
    centres = (t[0] + t[30]) / 2, (t[61] + t[-1]) / 2
    np.testing.assert_allclose(drift[45], 10.0 * (t[45] - centres[0]) / (centres[1] - centres[0]))


def drifted(series, amp_px: float, period_s: float, phase: float):
    """The series as filmed by a camera that drifts up and down (every point moved alike)."""
    xy = series.xy.copy()
    xy[..., 1] += amp_px * np.sin(2 * np.pi * series.t / period_s + phase)[:, None]
    return dataclasses.replace(series, xy=xy)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_clean_set_filmed_hand_held_gets_no_fault(seed):
    """A drift of 0.14 shank lengths top to bottom over 12 s, about what the hand-held real clip (umali) shows.
    Read from the picture's heights alone, it made every one of these sets short_top or shallow_bottom."""
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=seed)
    shank, _ = body_scale(series.xy, series.vis, 0.5)
    still, moving = analyze_series(series), analyze_series(drifted(series, 0.07 * shank, 12.0, seed))
    assert len(moving.reps) == len(still.reps) == truth.n_reps
    assert [r.faults for r in moving.reps] == [[]] * truth.n_reps
    for a, b in zip(still.reps, moving.reps):
        assert b.vs_set.rise_vs_best == pytest.approx(a.vs_set.rise_vs_best, abs=0.2)
        assert b.vs_set.bottom_above_set == pytest.approx(a.vs_set.bottom_above_set, abs=0.12)
    tracker, _ = run(drifted(series, 0.07 * shank, 12.0, seed))  # live reads the same drift as it happens
    assert len(tracker.reps) == truth.n_reps
    assert all(not r.faults for r in tracker.reps)
