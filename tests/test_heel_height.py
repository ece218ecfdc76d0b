"""The heel signal's composition runs (signal/body.heel_height): side views read the heel, front and back views
the pelvis; each run is centred on its own levels so a camera cut makes no step, except a run too short to hold
a set's levels (a view reading flickering within one camera)."""

from __future__ import annotations

import numpy as np

from formcheck.core.landmarks import INDEX, N_LANDMARKS
from formcheck.core.signal.body import OWN_LEVEL_S, heel_height

FPS, SHANK = 30.0, 100.0
RISING = ("right_heel", "right_ankle", "right_knee", "right_hip", "left_hip", "right_shoulder", "left_shoulder")


def body_rising(h_px: np.ndarray) -> np.ndarray:
    """Every point still but the working heel and the body above it, which rise by h_px (the toe stays down)."""
    xy = np.zeros((len(h_px), N_LANDMARKS, 2))
    xy[:, :, 0] = 300.0
    xy[:, :, 1] = 600.0
    for name in RISING:
        xy[:, INDEX[name], 1] -= h_px
    return xy


def reps(t: np.ndarray) -> np.ndarray:
    """Rises of 40 px every 3 s (raised cosine up and down, a hold at each end)."""
    phase = (t % 3.0) / 3.0
    return 40.0 * np.clip(np.sin(np.pi * phase) * 1.4, 0, 1)


def test_a_view_reading_that_flickers_within_one_camera_makes_no_step():
    t = np.arange(0, 12, 1 / FPS)
    h = reps(t)
    frontal = (t // 1.0) % 2 == 1  # front and oblique by turns, a second each (< OWN_LEVEL_S)
    assert OWN_LEVEL_S > 1.0
    out = heel_height(t, body_rising(h), "right", frontal, SHANK)
    np.testing.assert_allclose(out, (h - np.median(h)) / SHANK, atol=1e-9)


def test_a_camera_cut_between_long_runs_makes_no_step():
    t = np.arange(0, 12, 1 / FPS)
    h = reps(t)
    xy = body_rising(h)
    cut = t >= 6.0
    xy[cut, :, 1] += 55.0  # the second camera sees everything 55 px lower
    out = heel_height(t, xy, "right", cut, SHANK)  # side view, then front view: runs of 6 s each
    for run in (~cut, cut):
        np.testing.assert_allclose(out[run], (h[run] - np.median(h[run])) / SHANK, atol=1e-9)
