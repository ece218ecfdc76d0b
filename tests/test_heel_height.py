"""The heel signal's composition runs (signal/body.heel_height): side views read the heel, front and back views
the pelvis; each run is centred on its own levels so a camera cut makes no step, except runs too short to hold
a set's levels next to each other (a view reading that flickers within one camera), centred on their block's."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.config import AnalysisConfig
from formcheck.core.landmarks import INDEX, N_LANDMARKS
from formcheck.core.live import state
from formcheck.core.signal.body import OWN_LEVEL_S, ground_witnesses, heel_components, heel_height

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


def test_a_camera_cut_next_to_a_short_run_makes_no_step():
    """A short run alone between long runs (here the first 1 s after a cut) is its own block: it takes no level
    from the other camera's frames."""
    t = np.arange(0, 13, 1 / FPS)
    h = reps(t)
    xy = body_rising(h)
    after = t >= 6.0
    xy[after, :, 1] += 55.0  # the second camera sees everything 55 px lower
    frontal = (t >= 6.0) & (t < 7.0)  # its first second read as a front view, then side again
    out = heel_height(t, xy, "right", frontal, SHANK)
    for run in (~after, frontal, after & ~frontal):
        np.testing.assert_allclose(out[run], (h[run] - np.median(h[run])) / SHANK, atol=1e-9)


def test_a_flickering_view_is_centred_on_its_blocks_frames_from_both_views():
    """Within a block of short runs each composition is centred on its median over every frame of the block, not
    over its own frames, which sample part of each rep: here the frontal runs fall on the tops and the side runs
    on the bottoms, and centring each on its own frames made a step of most of the rise at each switch."""
    t = np.arange(0, 12, 1 / FPS)
    h = 40.0 * (1 - np.cos(2 * np.pi * t / 3.0)) / 2  # a rep every 3 s: bottoms at 0, 3, 6 ..., tops at 1.5, 4.5 ...
    frontal = (t % 3.0 >= 0.75) & (t % 3.0 < 2.25)  # the view reads frontal around each top
    out = heel_height(t, body_rising(h), "right", frontal, SHANK)
    np.testing.assert_allclose(out, (h - np.median(h)) / SHANK, atol=1e-9)


def test_a_pelvis_that_rises_less_than_the_foot_is_read_from_the_ankle():
    """Front and back views read the pelvis; when it rises less than the foot (it tilts, or shifts forward with
    the trunk), the working ankle, which follows the foot, takes over less its slack; its noise alone barely moves
    the signal (signal/body.frontal_rise, frontal_slack)."""
    t = np.arange(0, 15, 1 / FPS)
    h = 40.0 * np.interp(t % 3.0, [0.0, 0.6, 1.2, 2.4, 3.0], [0.0, 0.0, 1.0, 1.0, 0.0])  # holds at each end
    xy = body_rising(h)
    low = (t >= 6.0) & (t < 9.0)  # the third rep: the pelvis rises half as far as the foot
    for name in ("right_hip", "left_hip"):
        xy[low, INDEX[name], 1] += h[low] / 2
    noise = np.random.default_rng(3).normal(0.0, 1.5, len(t))
    xy[:, INDEX["right_ankle"], 1] += noise
    out = heel_height(t, xy, "right", np.ones(len(t), bool), SHANK) * SHANK
    tops = [np.median(out[(t >= a + 1.4) & (t < a + 2.2)]) for a in (0.0, 3.0, 6.0, 9.0, 12.0)]
    bottoms = [np.median(out[(t >= a + 0.1) & (t < a + 0.5)]) for a in (0.0, 3.0, 6.0, 9.0, 12.0)]
    assert tops[2] - bottoms[2] > 0.85 * (tops[0] - bottoms[0])  # the hips alone read 0.5
    hips = -xy[:, INDEX["right_hip"], 1]
    lift = out - (hips - np.median(hips))  # what the ankle added to the hips' reading
    assert np.median(np.abs(lift[~low])) < 1.0  # its noise alone (sd 1.5 px): under 1 px
    assert tops[0] - bottoms[0] == pytest.approx(40.0, abs=1.5)


def test_a_jump_of_the_ankle_for_a_few_frames_is_not_a_rise():
    """MediaPipe's ankle in a front view can jump for a few frames: the ankle stands in for the pelvis
    (signal/body.frontal_rise) only where it reads above it for longer than that (ANKLE_MEDIAN_S). Here a
    quarter-shank jump for 4 frames at two tops, which read a quarter of the shank higher when the ankle took over
    frame by frame (review)."""
    t = np.arange(0, 15, 1 / FPS)
    h = 40.0 * np.interp(t % 3.0, [0.0, 0.6, 1.2, 2.4, 3.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    xy = body_rising(h)
    xy[:, INDEX["right_ankle"], 1] += np.random.default_rng(4).normal(0.0, 1.5, len(t))
    for top in (4.8, 10.8):
        jump = (t >= top) & (t < top + 4 / FPS)
        xy[jump, INDEX["right_ankle"], 1] -= 0.25 * SHANK
    out = heel_height(t, xy, "right", np.ones(len(t), bool), SHANK) * SHANK
    hips = -xy[:, INDEX["right_hip"], 1]
    assert np.abs(out - (hips - np.median(hips))).max() < 3.0  # the hips' reading, within the ankle's noise


def test_hips_unseen_on_some_frames_leave_the_ankles_slack_as_it_was():
    """The ankle's slack is read where a hip is seen: where none is, the components' median is the ankle itself,
    and counting those frames shrank the slack until the ankle's noise took over (review)."""
    t = np.arange(0, 15, 1 / FPS)
    xy = body_rising(reps(t))
    xy[:, INDEX["right_ankle"], 1] += np.random.default_rng(6).normal(0.0, 2.0, len(t))
    unseen = (t % 1.0) < 0.5  # both hips unseen half the time
    for name in ("right_hip", "left_hip"):
        xy[unseen, INDEX[name]] = np.nan
    out = heel_height(t, xy, "right", np.ones(len(t), bool), SHANK) * SHANK
    hips = -xy[:, INDEX["right_hip"], 1]
    lift = (out - (hips - np.nanmedian(hips)))[~unseen]  # where the hips are seen, what the ankle added
    assert np.abs(lift).max() < 0.5  # counting the hipless frames: 1.0 px median, 3.2 px at most


def live_add(st: state.StanceSet, t: float, xy: np.ndarray, frontal: bool) -> float:
    """One frame into the live tracker's causal heel height, as the tracker feeds it (both views' components)."""
    parts = {f: heel_components(xy, "right", f) for f in (True, False)}
    return st.add(t, parts, ground_witnesses(xy, "right"), frontal, SHANK, 60.0)


def hand_held(t: np.ndarray, xy: np.ndarray, px: float) -> np.ndarray:
    """The picture swaying up and down by px (a hand-held camera, as in test_ground_drift), every point alike."""
    out = xy.copy()
    out[..., 1] += px * np.sin(2 * np.pi * t / 12.0)[:, None]
    return out


def test_a_flickering_view_filmed_hand_held_makes_no_step():
    """The ground's drift, found on the block's side-view frames, is taken off the front view's components too:
    centred on one level over a block, they would otherwise carry the camera's sway from switch to switch."""
    t = np.arange(0, 24, 1 / FPS)
    h = reps(t)
    xy = hand_held(t, body_rising(h), 14.0)
    frontal = ((t + 0.75) // 1.5) % 2 == 1  # 1.5 s each; the bottoms fall in the side view's runs
    out = heel_height(t, xy, "right", frontal, SHANK) * SHANK
    switch = np.flatnonzero(np.diff(frontal)) + 1
    steps = (out[switch] - out[switch - 1]) - (h[switch] - h[switch - 1])
    assert np.abs(steps).max() < 0.05 * 40.0


def test_live_reads_each_frame_as_batch_reads_the_stance_so_far(monkeypatch):
    """The live tracker's causal heel height (live/state.StanceSet) is batch's heel height of the stance so far at
    its newest frame (its levels refreshed every frame here; live refreshes them every CENTRE_EVERY_S): through a
    flickering view, the long run after it, a camera cut and a flickering view again, filmed hand-held, with a
    noisy ankle (the front view's slack), frames without a pose, and each view change found 1.5 s late (the frames
    since re-labelled, as the tracker does)."""
    monkeypatch.setattr(state, "CENTRE_EVERY_S", 0.0)
    t = np.arange(0, 21, 1 / FPS)
    h = 40.0 * (1 - np.cos(2 * np.pi * t / 3.0)) / 2
    xy = hand_held(t, body_rising(h), 7.0)
    xy[t >= 12.0, :, 1] += 55.0  # a camera cut
    xy[(t >= 9.0) & (t < 9.2)] = np.nan  # no pose
    xy[:, INDEX["right_ankle"], 1] += np.random.default_rng(5).normal(0.0, 2.0, len(t))  # the front view's slack
    truly = np.where((t < 6.0) | (t >= 16.0), (t % 3.0 >= 0.75) & (t % 3.0 < 2.25), (t >= 12.0) & (t < 16.0))
    late = int(1.5 * FPS)
    known = np.concatenate([np.full(late, truly[0]), truly[:-late]])  # the view as the tracker knows it
    st = state.StanceSet(0, 0.0, AnalysisConfig())
    for k in range(len(t)):
        if k and known[k] != known[k - 1]:
            st.relabel(t[k - late], bool(known[k]))
        live = live_add(st, t[k], xy[k], bool(known[k]))
        labelled = np.asarray(st.labelled_frontal, bool)
        batch = heel_height(t[: k + 1], xy[: k + 1], "right", labelled, SHANK)[k]
        assert live == pytest.approx(batch, abs=1e-9, nan_ok=True), t[k]


def test_live_reads_the_ankle_as_batch_does_from_a_switch_into_a_front_view(monkeypatch):
    """Live's ankle excess is read over the last ANKLE_MEDIAN_S of the block only: right after a switch from a side
    run into a front run (a new block), through a pelvis that rises less than the foot and a 4-frame ankle jump,
    live equals batch on the stance so far, and at the newest frame the jump does not pass (review)."""
    monkeypatch.setattr(state, "CENTRE_EVERY_S", 0.0)
    t = np.arange(0, 10, 1 / FPS)
    h = 40.0 * np.interp(t % 3.0, [0.0, 0.6, 1.2, 2.4, 3.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    xy = body_rising(h)
    xy[:, INDEX["right_ankle"], 1] += np.random.default_rng(7).normal(0.0, 1.5, len(t))
    low = ((t >= 3.3) & (t < 3.9)) | ((t >= 6.0) & (t < 9.0))  # the pelvis rises half as far: before the switch
    # (in the side view, where the ankle's excess is not read: live must not read it there) and in a later rep
    for name in ("right_hip", "left_hip"):
        xy[low, INDEX[name], 1] += h[low] / 2
    frontal = t >= 3.9  # side for 3.9 s, then front: two blocks
    jump = (t >= 4.8) & (t < 4.8 + 4 / FPS)  # at a top
    jumped = xy.copy()
    jumped[jump, INDEX["right_ankle"], 1] -= 0.25 * SHANK
    read = {}
    for name, points in (("steady", xy), ("jumped", jumped)):
        st = state.StanceSet(0, 0.0, AnalysisConfig())
        read[name] = np.array([live_add(st, t[k], points[k], bool(frontal[k])) for k in range(len(t))])
        for k in range(len(t)):
            batch = heel_height(t[: k + 1], points[: k + 1], "right", frontal[: k + 1], SHANK)[k]
            assert read[name][k] == pytest.approx(batch, abs=1e-9), (name, t[k])
    assert np.abs(read["jumped"] - read["steady"])[jump].max() < 0.02  # a quarter-shank jump moves it < 2 px


def test_live_reads_the_first_frame_with_a_pose():
    """A stance whose first frames have no pose: live's levels are found at the first frame with one, as batch's
    are (not at the next refresh, CENTRE_EVERY_S later)."""
    t = np.arange(0, 3, 1 / FPS)
    xy = body_rising(reps(t))
    xy[:3] = np.nan
    st = state.StanceSet(0, 0.0, AnalysisConfig())
    live = [live_add(st, t[k], xy[k], False) for k in range(len(t))]
    assert np.isnan(live[:3]).all() and np.isfinite(live[3:]).all()
    assert live[3] == pytest.approx(heel_height(t[:4], xy[:4], "right", np.zeros(4, bool), SHANK)[3])
