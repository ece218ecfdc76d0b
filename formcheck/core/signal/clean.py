"""Landmarks -> cleaned tracks: visibility gating, spike rejection, short gaps filled, zero-phase low-pass."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.config import CleaningConfig
from formcheck.core.landmarks import FOOT_IDX, INDEX, LandmarkSeries
from formcheck.core.signal.filters import (
    finite_runs,
    interpolate_gaps,
    lowpass,
    nanmedian,
    running_median,
    time_window,
)
from formcheck.errors import NothingToAnalyzeError

# The landmarks the analysis uses (the others are kept gated but otherwise raw).
USED = (
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
USED_IDX = tuple(INDEX[n] for n in USED)
MIN_JUDGED = 5  # a track with fewer seen samples is too short to judge a spike in: kept as it is
SWAP_UNSURE_S = 0.2  # the feet count as not really seen this long either side of a swap (leg_swaps)
SWAP_MIN_GAIN = 0.05  # a swap must move each foot point compared less by this much (x shank length), as a glitch


@dataclass(frozen=True, eq=False)
class CleanTracks:
    """Cleaned pixel tracks of one person.

    xy: (T, 33, 2) with unseen points NaN; the used landmarks also despiked and their short gaps filled.
    smooth: (T, 33, 2) the used landmarks zero-phase low-passed (NaN for the others).
    observed: (T, 33) True where the pose model really saw the point: visible, not a rejected glitch, for the feet
    not within SWAP_UNSURE_S of a swap of the feet (xy is filled in over short gaps; this says where it was not).
    shank_px, leg_px: the body scale (see body_scale).
    """

    t: np.ndarray
    xy: np.ndarray
    smooth: np.ndarray
    vis: np.ndarray
    observed: np.ndarray
    shank_px: float
    leg_px: float
    warnings: list[str] = field(default_factory=list)

    def p(self, name: str, smooth: bool = True) -> np.ndarray:
        """(T, 2) track of one landmark by name."""
        return (self.smooth if smooth else self.xy)[:, INDEX[name]]


def segment_length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pixel distance between two tracks (..., 2)."""
    return np.hypot(*np.moveaxis(a - b, -1, 0))


def body_scale(xy: np.ndarray, vis: np.ndarray, min_vis: float) -> tuple[float, float]:
    """(shank_px, leg_px): median knee-ankle and hip-knee-ankle lengths, so results do not depend on the camera's
    distance. In each frame the longer shank of the legs seen counts: the picture can only shorten a segment, and
    a free leg bent towards or away from the camera (from the front or behind) reads far shorter than the
    standing one however well it is seen; taken frame by frame, a leg seen in a few odd frames (or while the
    person stood nearer) cannot set the scale of the whole clip. NaN, NaN when no leg has a knee and an ankle
    seen together in 3 frames. xy (T, 33, 2), vis (T, 33): the whole clip (batch) or the last seconds (live)."""
    shanks, thighs = [], []
    for side in ("left", "right"):
        hip, knee, ankle = (INDEX[f"{side}_{p}"] for p in ("hip", "knee", "ankle"))
        seen = (vis[:, knee] >= min_vis) & (vis[:, ankle] >= min_vis)
        shanks.append(np.where(seen, segment_length(xy[:, knee], xy[:, ankle]), np.nan))
        thighs.append(np.where(seen, segment_length(xy[:, hip], xy[:, knee]), np.nan))
    shank_t, thigh_t = np.stack(shanks, axis=1), np.stack(thighs, axis=1)  # (T, 2)
    rows = np.flatnonzero(np.isfinite(shank_t).any(axis=1))  # frames with a leg seen
    if rows.size < 3:
        return np.nan, np.nan
    k = np.argmax(np.nan_to_num(shank_t[rows], nan=-np.inf), axis=1)  # the longer shank seen in each
    shank = float(np.median(shank_t[rows, k]))
    if not shank > 0:
        return np.nan, np.nan
    return shank, shank + nanmedian(thigh_t[rows, k])


def gate(xy: np.ndarray, vis: np.ndarray, min_vis: float) -> np.ndarray:
    """A copy of xy with the points seen with less than min_vis visibility (or none) set to NaN."""
    out = np.array(xy, dtype=float)
    out[~(vis >= min_vis)] = np.nan
    return out


def spikes(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """(T,) True where a sample lies further than max_dev from the running median of its track's seen samples."""
    out = np.zeros(len(x), bool)
    seen = np.flatnonzero(np.isfinite(x))
    if seen.size >= MIN_JUDGED:
        out[seen] = np.abs(x[seen] - running_median(t[seen], x[seen], window_s)) > max_dev
    return out


def leg_swaps(xy: np.ndarray, min_gain_px: float) -> np.ndarray:
    """(T,) True at each frame where MediaPipe swapped its left and right feet since the frame before: taking each
    foot for the other moves the feet's points (ankle, heel, toe; those seen on both feet in both frames) less in
    total, by more than min_gain_px per point compared. xy: (T, 33, 2), unseen points NaN. The margin keeps feet
    that overlap in the picture (a two-leg raise side-on), or one foot glitching onto the other, from reading as
    swaps on their noise. A swap spread over two frames (both feet's points on one foot in the frame between, so
    neither step alone is a swap) is found between the frames either side of it, and marked at its second frame;
    so is a swap across a frame where the feet were not seen.
    On the rendered evaluation set (true feet known): none on the 47 clips where MediaPipe never put a heel on the
    other foot; on the 13 where it did, about as many as it made (tests/test_leg_swaps.py). Of the 413 times the
    heels crossed over on the tune half's clips, single frames missed 35 and with the two-frame swaps 25 are
    missed; swaps found where the heels did not cross: 12, now 13."""
    one = swapped_since(xy, 1, min_gain_px)
    two = swapped_since(xy, 2, min_gain_px)
    # two frames apart is also a swap for a single-frame one and the frame after it: only where none is near
    spread = two & ~one & ~np.roll(one, 1) & ~np.roll(one, -1)
    spread[1:] &= ~spread[:-1]  # the first frame of a run of them
    return one | spread


def swapped_since(xy: np.ndarray, lag: int, min_gain_px: float) -> np.ndarray:
    """(T,) True at each frame whose feet (leg_swaps) are nearer the other foot's of lag frames before than their
    own, by more than min_gain_px per point compared."""
    out = np.zeros(len(xy), bool)
    a, b = xy[:, FOOT_IDX["left"]], xy[:, FOOT_IDX["right"]]  # (T, 3, 2)
    seen = np.isfinite(a[..., 0]) & np.isfinite(b[..., 0])
    both = seen[lag:] & seen[:-lag]  # (T - lag, 3)

    def moved(p: np.ndarray, q: np.ndarray) -> np.ndarray:  # summed distance of the points compared, per frame
        return np.where(both, segment_length(np.nan_to_num(p), np.nan_to_num(q)), 0.0).sum(axis=1)

    kept = moved(a[lag:], a[:-lag]) + moved(b[lag:], b[:-lag])
    swapped = moved(a[lag:], b[:-lag]) + moved(b[lag:], a[:-lag])
    out[lag:] = swapped < kept - 2 * min_gain_px * both.sum(axis=1)
    return out


def near(t: np.ndarray, events: np.ndarray, within_s: float) -> np.ndarray:
    """(T,) True at the samples within within_s of an event (events: (T,) bool; t increasing)."""
    at = t[events]
    if not at.size:
        return np.zeros(len(t), bool)
    k = np.searchsorted(at, t)  # the first event at or after each sample
    after = np.abs(at[np.minimum(k, len(at) - 1)] - t)
    before = np.abs(t - at[np.maximum(k - 1, 0)])
    return np.minimum(after, before) <= within_s + 1e-9


def clean_tracks(series: LandmarkSeries, cfg: CleaningConfig, mediapipe_xy: np.ndarray | None = None) -> CleanTracks:
    """Gate by visibility; reject spikes (a short window) and multi-frame excursions such as a brief leg swap (a
    longer window), both judged on the gated tracks, x and y each on their own; fill short gaps; low-pass. Around a
    swap of the feet (leg_swaps), and on a frame a foot point jumps to and straight back from (back_and_forth: the
    feet's points put on one foot and the other by turns), they count as not really seen (`observed`: the rep's
    tracking quality).

    mediapipe_xy: for a series whose heels and toes were fused with the refined ones (signal/refined.fuse_series),
    MediaPipe's own landmarks (T, 33, 2): around its swaps of the feet they count as not really seen too. The
    refined heel and toe do not swap, but MediaPipe's ankle (and knee) still do, and the refined track was
    anchored where MediaPipe put the foot (tune half of the rendered evaluation set: seven wrong flags fewer, one
    blatant fast_lowering became "look at this rep"; report half and real clips unchanged)."""
    t = series.t
    shank, leg = body_scale(series.xy, series.vis, cfg.min_visibility)
    if not np.isfinite(shank):
        raise NothingToAnalyzeError(
            "the legs are not visible (no knee and ankle seen together); film the whole "
            "body from the hips to the feet, side-on, 2-4 m from the camera"
        )
    xy = gate(series.xy, series.vis, cfg.min_visibility)
    observed = np.isfinite(xy[..., 0])
    unsure = near(t, leg_swaps(xy, SWAP_MIN_GAIN * shank), SWAP_UNSURE_S)
    if mediapipe_xy is not None:
        mediapipe_feet = gate(mediapipe_xy, series.vis, cfg.min_visibility)
        unsure |= near(t, leg_swaps(mediapipe_feet, SWAP_MIN_GAIN * shank), SWAP_UNSURE_S)
    observed[np.ix_(unsure, FOOT_IDX["left"] + FOOT_IDX["right"])] = False
    for i in FOOT_IDX["left"] + FOOT_IDX["right"]:  # a foot point there and straight back: not really seen
        observed[:, i] &= ~back_and_forth(xy[:, i], FLICKER_JUMP_SHANK * shank)[0]
    smooth = np.full(xy.shape, np.nan)
    for i in USED_IDX:
        for axis in (0, 1):
            x = xy[:, i, axis]
            bad = spikes(t, x, cfg.outlier_window_s, cfg.outlier_max_dev * shank)
            bad |= spikes(t, x, cfg.excursion_window_s, cfg.excursion_max_dev * shank)
            observed[:, i] &= ~bad
            x = interpolate_gaps(t, np.where(bad, np.nan, x), cfg.max_gap_s)
            xy[:, i, axis] = x
            smooth[:, i, axis] = lowpass(t, x, cfg.lowpass_hz)
    return CleanTracks(
        t=t,
        xy=xy,
        smooth=smooth,
        vis=series.vis,
        observed=observed,
        shank_px=shank,
        leg_px=leg,
        warnings=gap_warnings(t, series.found),
    )


def tracking_quality(tracks: CleanTracks, side: str, a: float, b: float) -> float:
    """The share of frames in [a, b] where the pose model really saw the working leg (hip, knee, ankle, heel and
    toe: visible, no rejected glitch, no swap of the feet near); 0 when there are none."""
    idx = [INDEX[f"{side}_{p}"] for p in ("hip", "knee", "ankle", "heel", "foot_index")]
    seen = tracks.observed[time_window(tracks.t, a, b)][:, idx].all(axis=1)
    return float(seen.mean()) if seen.size else 0.0


# MediaPipe can put a foot's points on one foot and the other by turns, frame after frame (dark legwear, shoes the
# colour of the floor, a low camera), too often for the despiking to take out. flicker_share measures it. On the
# evaluation set's renders (tune half), 4 of its 5 miscounted clips read 0.08-0.27 (MediaPipe's points, their worst
# point); of the clips counted right one read 0.10 (its first rep took in the step onto the step), the others at most
# 0.055, most 0.00; the real calf-raise clips in ../shared/videos at most 0.01. Above FLICKER_WARN the report says
# the count and timings may be wrong (the analysis itself is unchanged: a warning, not a guess).
FLICKER_JUMP_SHANK = 0.1
FLICKER_WARN = 0.06
FLICKER_POINTS = ("heel", "foot_index", "ankle")
FLICKER_MIN_FRAMES = 30  # fewer frames seen with both neighbours: not judged


def back_and_forth(point: np.ndarray, max_jump: float) -> tuple[np.ndarray, np.ndarray]:
    """For one point's track (T, 2), NaN where not seen: (T,) True on each frame it jumped to by more than
    max_jump and straight back from at the next (the next step against the last), and (T,) True on the frames
    judged (seen, with the frames before and after seen)."""
    d = np.diff(point, axis=0)  # (T-1, 2)
    big = np.hypot(d[:, 0], d[:, 1]) > max_jump  # False where NaN
    judged = np.isfinite(d).all(axis=1)
    out, seen = np.zeros(len(point), bool), np.zeros(len(point), bool)
    out[1:-1] = big[:-1] & big[1:] & ((d[:-1] * d[1:]).sum(axis=1) < 0)
    seen[1:-1] = judged[:-1] & judged[1:]
    return out, seen


def flicker_share(xy: np.ndarray, side: str, shank_px: float) -> float:
    """The largest share, over the `side` foot's heel, toe and ankle, of the frames judged where the point jumps
    more than FLICKER_JUMP_SHANK shank lengths and straight back (back_and_forth). xy: (T, 33, 2) pixels, NaN
    where not seen; 0.0 when too little is seen."""
    worst = 0.0
    for name in FLICKER_POINTS:
        back, seen = back_and_forth(xy[:, INDEX[f"{side}_{name}"]], FLICKER_JUMP_SHANK * shank_px)
        if seen.sum() >= FLICKER_MIN_FRAMES:
            worst = max(worst, float(back[seen].mean()))
    return worst


def flicker_warnings(xy: np.ndarray, side: str, shank_px: float) -> list[str]:
    """A warning when the working foot's points jump back and forth (flicker_share above FLICKER_WARN)."""
    share = flicker_share(xy, side, shank_px)
    if share <= FLICKER_WARN:
        return []
    return [
        f"the pose model's {side} foot points jump back and forth between frames in {share:.0%} of frames (it "
        "cannot tell the feet apart well): the rep count, timings and faults may be wrong. Film side-on, the camera "
        "at knee height or higher, in good light, with shoes that stand out from the floor and the legwear"
    ]


FLICKER_WATCH_S = 3.0  # live: flicker_share over this many seconds of the newest frames


class FlickerWatch:
    """flicker_share over the newest FLICKER_WATCH_S of frames (at least FLICKER_MIN_FRAMES + 2 frames), fed one
    frame at a time (the live overlay's hint: the same measure and limit as the report's warning, on the last
    seconds instead of the whole clip)."""

    def __init__(self, window_s: float = FLICKER_WATCH_S) -> None:
        self.window_s = window_s
        self.t: deque[float] = deque()
        self.xy: deque[np.ndarray] = deque()

    def add(self, t: float, xy: np.ndarray) -> None:
        """One frame's landmarks (33, 2), NaN where not seen (gate). The window keeps its last window_s, and at
        least the frames flicker_share needs (FLICKER_MIN_FRAMES, at a low frame rate more than window_s)."""
        if not math.isfinite(t):
            return
        self.t.append(t)
        self.xy.append(np.asarray(xy, dtype=float))
        while len(self.t) > FLICKER_MIN_FRAMES + 2 and self.t[0] < t - self.window_s:
            self.t.popleft()
            self.xy.popleft()

    def flickers(self, side: str | None, shank_px: float) -> bool:
        """True when the `side` foot's points jumped back and forth on more than FLICKER_WARN of the frames."""
        if side not in ("left", "right") or not shank_px > 0 or len(self.xy) < 3:
            return False
        return flicker_share(np.stack(self.xy), side, shank_px) > FLICKER_WARN


def gap_warnings(t: np.ndarray, found: np.ndarray) -> list[str]:
    """'no person found in N% of frames (out of view at ...)' when the pose was missing in some frames."""
    if not len(found) or found.all():
        return []
    text = f"no person found in {1 - found.mean():.0%} of frames"
    long_gaps = [(a, b) for a, b in finite_runs(~found) if t[min(b, len(t) - 1)] - t[a] > 1.0]
    if long_gaps:
        text += " (out of view at " + ", ".join(f"{t[a]:.1f}-{t[min(b, len(t) - 1)]:.1f} s" for a, b in long_gaps[:4])
        text += ")"
    return [text]
