"""MediaPipe swapping the feet (signal/clean.leg_swaps): found where it happens, nowhere else, and the rep's
tracking quality (so its faults' confidence) lowered around it; feet that swap back and forth frame after frame
(flicker_share) make the report warn."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.config import CleaningConfig
from formcheck.core.landmarks import INDEX
from formcheck.core.signal.clean import (
    FLICKER_JUMP_SHANK,
    FLICKER_WARN,
    SWAP_MIN_GAIN,
    SWAP_UNSURE_S,
    body_scale,
    clean_tracks,
    flicker_share,
    gate,
    leg_swaps,
    tracking_quality,
)
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_evalset import stored_names  # noqa: E402 - the stored evaluation set's clips

from tools.evalset.store import LEG_POINTS, load_clip  # noqa: E402 - after the repository root is put on sys.path

FOOT = ("ankle", "heel", "foot_index")
LEFT, RIGHT = ([INDEX[f"{s}_{p}"] for p in FOOT] for s in ("left", "right"))


def two_feet(n: int = 60, seed: int = 0, noise: float = 2.0) -> np.ndarray:
    """(n, 33, 2): only the feet seen, the left one about 80 px behind and 60 px above the right one (100 px apart),
    2 px noise."""
    rng = np.random.default_rng(seed)
    xy = np.full((n, 33, 2), np.nan)
    base_left = np.array([[300.0, 440.0], [285.0, 450.0], [330.0, 455.0]])
    xy[:, LEFT] = base_left + rng.normal(0, noise, (n, 3, 2))
    xy[:, RIGHT] = base_left + [80.0, 60.0] + rng.normal(0, noise, (n, 3, 2))
    return xy


def swap_labels(xy: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = xy.copy()
    out[np.ix_(frames, LEFT)], out[np.ix_(frames, RIGHT)] = xy[np.ix_(frames, RIGHT)], xy[np.ix_(frames, LEFT)]
    return out


GAIN = 5.0  # px: SWAP_MIN_GAIN of a 100 px shank


def test_a_swap_is_found_where_it_starts_and_where_it_ends():
    xy = swap_labels(two_feet(), np.arange(20, 30))
    assert np.flatnonzero(leg_swaps(xy, GAIN)).tolist() == [20, 30]


@pytest.mark.parametrize("seed", range(10))
def test_a_swap_spread_over_two_frames_is_found_once_at_its_second_frame(seed):
    """MediaPipe puts both feet's points on one foot for a frame on the way into a swap (and on the way out):
    neither step alone is a swap, the frames either side of it are. Found once each way, not also at the frames
    next to it."""
    feet = two_feet(seed=seed)
    xy = swap_labels(feet, np.arange(21, 30))
    xy[20, RIGHT] = feet[20, LEFT] + np.random.default_rng(seed).normal(0, 2, (3, 2))  # both on the left foot
    xy[30, LEFT] = feet[30, RIGHT] + np.random.default_rng(seed + 1).normal(0, 2, (3, 2))  # both on the right foot
    assert np.flatnonzero(leg_swaps(xy, GAIN)).tolist() == [21, 31]


@pytest.mark.parametrize("seed", range(20))
def test_still_feet_and_one_foot_glitching_onto_the_other_are_no_swap(seed):
    xy = two_feet(seed=seed)
    assert not leg_swaps(xy, GAIN).any()
    rng = np.random.default_rng(100 + seed)
    xy[40, LEFT] = xy[40, RIGHT] + rng.normal(0, 2, (3, 2))  # the left foot thrown onto the right one for a frame
    assert not leg_swaps(xy, GAIN).any()


@pytest.mark.parametrize("seed", range(20))
def test_feet_overlapping_in_the_picture_are_no_swap(seed):
    """A two-leg raise filmed side-on: both feet at the same place, each with its own noise."""
    xy = two_feet(n=300, seed=seed)
    xy[:, LEFT] = xy[:, RIGHT] + np.random.default_rng(seed + 50).normal(0, 2, (300, 3, 2))
    assert not leg_swaps(xy, GAIN).any()


def test_a_foot_unseen_gives_no_swap():
    xy = swap_labels(two_feet(), np.arange(20, 30))
    xy[19:21, RIGHT] = np.nan  # the swap's first frame: the right foot not seen around it
    assert np.flatnonzero(leg_swaps(xy, GAIN)).tolist() == [30]


def series_with_flips(every_s: float, a: float, b: float, seed: int = 0):
    """A clean side-on set with the feet's labels swapped for one frame every every_s seconds in [a, b)."""
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=seed)
    t = series.t
    flips = np.flatnonzero((t >= a) & (t < b) & (np.diff(np.floor(t / every_s), prepend=-1) > 0))
    xy, vis = series.xy.copy(), series.vis.copy()
    for arr in (xy, vis):
        arr[np.ix_(flips, LEFT + RIGHT)] = arr[np.ix_(flips, RIGHT + LEFT)]
    return replace(series, xy=xy, vis=vis), truth, flips


def test_around_each_swap_the_feet_count_as_not_seen():
    series, truth, flips = series_with_flips(0.5, 6.0, 10.0)
    tracks = clean_tracks(series, CleaningConfig())
    unsure = np.zeros(len(series.t), bool)
    for k in np.concatenate([flips, flips + 1]):  # swapped in a frame, swapped back in the next
        unsure |= np.abs(series.t - series.t[k]) <= SWAP_UNSURE_S + 1e-9
    feet = tracks.observed[:, LEFT + RIGHT]
    assert not feet[unsure].any()  # every foot point around every swap
    clean = clean_tracks(make_series(preset("clean_side"), corruption=MEDIAPIPE_LIKE, seed=0)[0], CleaningConfig())
    # away from the swaps, and for the rest of the body everywhere, nothing changed
    np.testing.assert_array_equal(feet[~unsure], clean.observed[~unsure][:, LEFT + RIGHT])
    others = [i for i in range(33) if i not in LEFT + RIGHT]
    np.testing.assert_array_equal(tracks.observed[:, others], clean.observed[:, others])
    # so the quality of the seconds with a swap every 0.5 s falls by about the share of them marked (0.4 s in 0.5 s)
    swapped, still = (tracking_quality(x, truth.side, 6.0, 10.0) for x in (tracks, clean))
    assert swapped <= 0.3 < 0.9 <= still


@pytest.mark.parametrize("split", ["tune", "report"])
def test_on_real_mediapipe_output_swaps_are_found_only_where_mediapipe_swapped_the_feet(split):
    """The rendered evaluation set (real MediaPipe landmarks, true leg points known): no swap on the clips where
    MediaPipe never put a heel on the other foot; on the others, about as many as MediaPipe made (its heels
    crossing over to the other foot and back, counted against the true heels)."""
    names = [n for n in stored_names() if n.endswith(f"_{split}")]
    if not names:
        pytest.skip("the evaluation set's landmarks are not stored")
    for name in names:
        series, truth, true_leg = load_clip(name)
        heel = [LEG_POINTS.index(f"{s}_heel") for s in ("left", "right")]
        mp = series.xy[:, [INDEX["left_heel"], INDEX["right_heel"]]]
        as_is = np.linalg.norm(mp - true_leg[:, heel], axis=-1).sum(axis=1)
        crossed = np.linalg.norm(mp - true_leg[:, heel[::-1]], axis=-1).sum(axis=1)
        crossings = int(np.abs(np.diff((crossed < as_is).astype(int))).sum())  # MediaPipe's own swaps
        min_vis = CleaningConfig().min_visibility
        shank, _ = body_scale(series.xy, series.vis, min_vis)
        found = int(leg_swaps(gate(series.xy, series.vis, min_vis), SWAP_MIN_GAIN * shank).sum())
        assert crossings / 2 <= found <= 2 * crossings, (name, crossings, found)


# ---------------------------------------------------------------------- feet swapping back and forth (flicker_share)
def test_flicker_share_counts_each_frame_swapped_and_swapped_straight_back():
    """200 frames; the feet's labels swapped on 30 single frames: each is a jump there and straight back (80 px
    behind, 60 px above: 100 px, so over FLICKER_JUMP_SHANK x a 100 px shank), judged on the 198 frames that have
    both neighbours. Swapped for two frames running, or for good, is no back-and-forth."""
    feet = two_feet(200, noise=0.0)
    single = np.arange(10, 190, 6)  # 30 frames, each alone
    assert flicker_share(swap_labels(feet, single), "right", 100.0) == pytest.approx(30 / 198)
    assert flicker_share(swap_labels(feet, single), "left", 100.0) == pytest.approx(30 / 198)
    pairs = np.concatenate([single, single + 1])  # swapped for two frames: a jump, a still step, a jump back
    assert flicker_share(swap_labels(feet, pairs), "right", 100.0) == 0.0
    assert flicker_share(swap_labels(feet, np.arange(100, 200)), "right", 100.0) == 0.0  # swapped for good
    assert flicker_share(two_feet(200), "right", 100.0) == 0.0  # 2 px noise


def test_flicker_share_needs_a_jump_over_its_size_and_enough_frames_seen():
    feet = two_feet(200, noise=0.0)
    single = np.arange(10, 190, 6)
    swapped = swap_labels(feet, single)
    # the feet 100 px apart: a jump of 100 px is one of 1.0 shank for a 100 px shank, 0.08 for a 1250 px one
    assert flicker_share(swapped, "right", 100.0 / FLICKER_JUMP_SHANK * 0.99) > 0.1
    assert flicker_share(swapped, "right", 100.0 / FLICKER_JUMP_SHANK * 1.01) == 0.0
    assert flicker_share(swapped[:25], "right", 100.0) == 0.0  # too few frames to judge
    unseen = swapped.copy()
    unseen[single[::2] + 1] = np.nan  # the frame after half the swapped ones unseen: those are not judged
    assert flicker_share(unseen, "right", 100.0) == pytest.approx(15 / (198 - 3 * 15))


@pytest.mark.parametrize("share", [FLICKER_WARN * 0.7, FLICKER_WARN * 1.5])
def test_a_clip_whose_working_foot_flickers_is_analysed_with_a_warning_just_over_the_limit(share):
    """The same set with the feet's labels swapped on single frames, a share just under or just over FLICKER_WARN
    of them: the report warns only over it. (Rare and short, the swaps leave the reps as they were.)"""
    from formcheck.core.analyze import analyze_series

    series, truth = make_series(preset("clean_side"), view="side", seed=3)
    n = len(series.t)
    every = int(round(1 / share))
    frames = np.arange(5, n - 5, every)
    xy = series.xy.copy()
    for k in frames:  # the feet's labels swapped on this frame
        xy[k, LEFT], xy[k, RIGHT] = series.xy[k, RIGHT], series.xy[k, LEFT]
    a = analyze_series(replace(series, xy=xy))
    shank = body_scale(series.xy, series.vis, CleaningConfig().min_visibility)[0]
    measured = flicker_share(gate(xy, series.vis, CleaningConfig().min_visibility), truth.side, shank)
    assert measured == pytest.approx(len(frames) / (n - 2), abs=0.01)
    warned = [w for w in a.warnings if "jump back and forth" in w]
    assert bool(warned) == (share > FLICKER_WARN)
    assert len(a.reps) == len(truth.reps)


def test_the_live_watch_reads_flicker_share_over_its_last_seconds():
    """FlickerWatch, fed frame by frame, says what flicker_share says of the frames of its last FLICKER_WATCH_S:
    the feet's labels swapped on every 5th frame from 4 s to 8 s of a 12 s stand at 30 fps (0.2 of the frames,
    over FLICKER_WARN), not before 4 s, and no longer once the swaps are more than the window behind."""
    from formcheck.core.signal.clean import FLICKER_WATCH_S, FlickerWatch

    n, fps = 360, 30.0
    t = np.arange(n) / fps
    xy = swap_labels(two_feet(n, noise=0.0), np.arange(120, 240, 5))
    watch = FlickerWatch()
    said = []
    for k in range(n):
        watch.add(float(t[k]), xy[k])
        last = (t > t[k] - FLICKER_WATCH_S - 1e-9) & (t <= t[k])
        expect = flicker_share(xy[last], "right", 100.0) > FLICKER_WARN
        assert watch.flickers("right", 100.0) == expect, k
        said.append(expect)
    said = np.array(said)
    assert not said[t < 4.0].any() and said[(t > 5.0) & (t < 8.0)].all()
    assert not said[t > 8.0 + FLICKER_WATCH_S].any()
    assert not watch.flickers(None, 100.0) and not watch.flickers("right", float("nan"))


def test_the_live_overlay_hints_when_the_working_foot_flickers(tmp_path, monkeypatch):
    """A set replayed through `formcheck live` with the feet's labels swapped on every 3rd frame for 6 s in the
    middle: the overlay shows the hint there and not before; the session's report carries the report's warning
    (the whole set: 60 of its 736 judged frames, 0.08, over FLICKER_WARN)."""
    import formcheck.live_session as live_session
    from formcheck.io.landmarks_csv import save_landmarks_csv
    from formcheck.live_session import LiveOptions, run_live
    from formcheck.viz.live_view import FEET_FLICKER_HINT

    series, truth = make_series(preset("clean_side"), view="side", seed=3)
    t = series.t
    frames = np.flatnonzero((t >= 10.0) & (t < 16.0))[::3]
    xy = series.xy.copy()
    for k in frames:
        xy[k, LEFT], xy[k, RIGHT] = series.xy[k, RIGHT], series.xy[k, LEFT]
    csv = save_landmarks_csv(replace(series, xy=xy), tmp_path / "set.csv")
    shown = []
    real = live_session.live_state

    def spy(update, *args, **kwargs):
        state = real(update, *args, **kwargs)
        shown.append((update.t, FEET_FLICKER_HINT in state.hints))
        return state

    monkeypatch.setattr(live_session, "live_state", spy)
    result = run_live(LiveOptions(source=str(csv), window=False, out_dir=str(tmp_path / "session")))
    when = np.array([w for w, hinted in shown if hinted])
    assert len(when) and when.min() >= 10.0 and when.max() <= 16.0 + 3.0
    assert len(frames) / (len(t) - 2) > FLICKER_WARN
    assert any("jump back and forth" in w for w in result.analysis.data["warnings"])


def test_a_foot_point_jumping_back_and_forth_is_not_really_seen():
    """The working heel put 0.3 shank lengths higher on every other frame from 6 s to 10 s (MediaPipe unsure between
    two places, the despiking's running median between them too): every frame there is one the heel jumped to and
    straight back from, so none counts as seen and the tracking quality of those seconds falls to 0; elsewhere, and
    for the other points, nothing changes."""
    series, truth = make_series(preset("clean_side"), view="side", seed=3)
    clean = clean_tracks(series, CleaningConfig())
    heel = INDEX[f"{truth.side}_heel"]
    frames = np.flatnonzero((series.t >= 6.0) & (series.t < 10.0))[::2]
    xy = series.xy.copy()
    xy[frames, heel, 1] -= 0.3 * clean.shank_px
    tracks = clean_tracks(replace(series, xy=xy), CleaningConfig())
    inside = (series.t > 6.1) & (series.t < 9.9)
    assert not tracks.observed[inside, heel].any()
    assert tracking_quality(tracks, truth.side, 6.1, 9.9) == 0.0
    assert tracking_quality(clean, truth.side, 6.1, 9.9) == 1.0
    outside = (series.t < 5.9) | (series.t > 10.1)
    np.testing.assert_array_equal(tracks.observed[outside], clean.observed[outside])
    others = [i for i in range(33) if i != heel]
    np.testing.assert_array_equal(tracks.observed[:, others], clean.observed[:, others])


@pytest.mark.parametrize("fps", [8.0, 10.0, 15.0])
def test_the_live_watch_judges_a_low_frame_rate_too(fps):
    """At 10 fps or less the last 3 s hold fewer frames than flicker_share judges: the watch keeps the frames it
    needs (FLICKER_MIN_FRAMES + 2) and still says when every frame jumps; a NaN time is not a frame."""
    from formcheck.core.signal.clean import FLICKER_MIN_FRAMES, FlickerWatch

    n = 80
    xy = swap_labels(two_feet(n, noise=0.0), np.arange(0, n, 2))  # the feet's labels swapped every other frame
    watch = FlickerWatch()
    for k in range(n):
        watch.add(k / fps, xy[k])
        watch.add(float("nan"), xy[k])
    assert len(watch.t) == max(FLICKER_MIN_FRAMES + 2, int(3.0 * fps) + 1)
    assert watch.flickers("right", 100.0)


# ---------------------------------------------------------------- MediaPipe's own swaps under refined feet
HEEL_TOE = [INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("heel", "foot_index")]


def fused_over_flips():
    """The set with MediaPipe's feet swapped for one frame every 0.5 s from 6 s to 10 s, and the same frames with
    the heels and toes fused with refined ones that do not swap (the unswapped set's): only the ankles swap there,
    which alone is no swap of the feet."""
    series, truth, flips = series_with_flips(0.5, 6.0, 10.0)
    plain = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=0)[0]
    xy = series.xy.copy()
    xy[:, HEEL_TOE] = plain.xy[:, HEEL_TOE]
    vis = series.vis.copy()
    vis[:, HEEL_TOE] = plain.vis[:, HEEL_TOE]
    return replace(series, xy=xy, vis=vis), series.xy, truth, flips


def test_mediapipes_own_swaps_count_on_a_series_whose_heels_and_toes_are_refined():
    fused, mediapipe_xy, truth, flips = fused_over_flips()
    unsure = np.zeros(len(fused.t), bool)
    for k in np.concatenate([flips, flips + 1]):
        unsure |= np.abs(fused.t - fused.t[k]) <= SWAP_UNSURE_S + 1e-9
    feet = LEFT + RIGHT
    alone = clean_tracks(fused, CleaningConfig())
    assert not leg_swaps(gate(fused.xy, fused.vis, 0.5), SWAP_MIN_GAIN * alone.shank_px).any()
    assert alone.observed[unsure][:, feet].mean() > 0.5  # the fused points alone show no swap
    told = clean_tracks(fused, CleaningConfig(), mediapipe_xy)
    assert not told.observed[unsure][:, feet].any()  # around MediaPipe's swaps: not really seen
    np.testing.assert_array_equal(told.observed[~unsure], alone.observed[~unsure])  # elsewhere: as it was
    np.testing.assert_array_equal(told.smooth, alone.smooth)  # and the tracks themselves are the same
    assert tracking_quality(told, truth.side, 6.0, 10.0) < 0.5 * tracking_quality(alone, truth.side, 6.0, 10.0)


def test_live_counts_mediapipes_own_swaps_as_batch_does():
    """The live tracker fed the fused frames and MediaPipe's own cleans its window as batch does: the same frames
    count as not really seen."""
    from formcheck.core.live.tracker import LiveTracker

    fused, mediapipe_xy, truth, flips = fused_over_flips()
    tracker = LiveTracker()
    for k in range(len(fused.t)):
        tracker.update(float(fused.t[k]), fused.xy[k], fused.vis[k], mediapipe_xy[k])
    live = tracker._tracks(0)
    batch = clean_tracks(fused, CleaningConfig(), mediapipe_xy)
    feet = LEFT + RIGHT
    assert live is not None and len(live.t) == len(batch.t)
    np.testing.assert_array_equal(live.observed[:, feet], batch.observed[:, feet])
    untold = LiveTracker()
    for k in range(len(fused.t)):
        untold.update(float(fused.t[k]), fused.xy[k], fused.vis[k])
    assert untold._tracks(0).observed[:, feet].sum() > live.observed[:, feet].sum()


def test_the_flicker_warning_reads_the_pose_models_own_feet_under_refined_ones():
    """MediaPipe's heels and toes put on one foot and the other by turns, its ankles steady, and refined heels and
    toes that follow the feet: the analysis reads the refined ones, but the warning is about the pose model's
    feet, so it is given (it was not while it read the fused points)."""
    from formcheck.core.analyze import analyze_series
    from formcheck.core.landmarks import REFINED_POINTS

    series, truth = make_series(preset("clean_side"), view="side", seed=3)
    left, right = ([INDEX[f"{s}_heel"], INDEX[f"{s}_foot_index"]] for s in ("left", "right"))
    xy = series.xy.copy()
    for k in np.arange(5, len(series.t) - 5, 8):  # 1 frame in 8: over FLICKER_WARN
        xy[k, left], xy[k, right] = series.xy[k, right], series.xy[k, left]
    refined = np.stack([series.xy[:, INDEX[name]] for name in REFINED_POINTS], axis=1)
    a = analyze_series(replace(series, xy=xy, refined=refined))
    assert [w for w in a.warnings if "jump back and forth" in w]
    assert [r.track[0] for r in a.reps] == ["refined"] * len(a.reps)  # measured on the refined feet
    assert not [w for w in analyze_series(replace(series, refined=refined)).warnings if "jump back and forth" in w]


def test_a_swap_across_a_frame_without_the_feet_is_found_at_its_second_frame():
    feet = two_feet()
    xy = swap_labels(feet, np.arange(21, 40))
    xy[20, LEFT + RIGHT] = np.nan  # the frame between: no feet seen
    assert np.flatnonzero(leg_swaps(xy, GAIN)).tolist() == [21, 40]
    assert leg_swaps(np.empty((0, 33, 2)), GAIN).tolist() == []
