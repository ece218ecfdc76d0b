"""MediaPipe swapping the feet (signal/clean.leg_swaps): found where it happens, nowhere else, and the rep's
tracking quality (so its faults' confidence) lowered around it."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from formcheck.core.config import CleaningConfig
from formcheck.core.landmarks import INDEX
from formcheck.core.signal.clean import (
    SWAP_MIN_GAIN,
    SWAP_UNSURE_S,
    body_scale,
    clean_tracks,
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


def two_feet(n: int = 60, seed: int = 0) -> np.ndarray:
    """(n, 33, 2): only the feet seen, the left one about 80 px behind and 60 px above the right one, 2 px noise."""
    rng = np.random.default_rng(seed)
    xy = np.full((n, 33, 2), np.nan)
    base_left = np.array([[300.0, 440.0], [285.0, 450.0], [330.0, 455.0]])
    xy[:, LEFT] = base_left + rng.normal(0, 2, (n, 3, 2))
    xy[:, RIGHT] = base_left + [80.0, 60.0] + rng.normal(0, 2, (n, 3, 2))
    return xy


def swap_labels(xy: np.ndarray, frames: np.ndarray) -> np.ndarray:
    out = xy.copy()
    out[np.ix_(frames, LEFT)], out[np.ix_(frames, RIGHT)] = xy[np.ix_(frames, RIGHT)], xy[np.ix_(frames, LEFT)]
    return out


GAIN = 5.0  # px: SWAP_MIN_GAIN of a 100 px shank


def test_a_swap_is_found_where_it_starts_and_where_it_ends():
    xy = swap_labels(two_feet(), np.arange(20, 30))
    assert np.flatnonzero(leg_swaps(xy, GAIN)).tolist() == [20, 30]


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
