"""The heels and toes refined from the video itself, fused with MediaPipe's before cleaning: where a refined point is
tracked the analysis uses it, elsewhere MediaPipe's, and a switch is never a jump.

A refined point (formcheck.io.foot_track) follows the physical point MediaPipe's landmark marked when the foot
stood still, without MediaPipe's compression of the motion and its creep through holds. The rule (the same for a
whole clip, fuse_track, and frame by frame live, FootFusion: it looks only at the past):
- a run of tracked samples starts offset-matched on the signal just before it (the refined point plus the offset
  that puts it there), and that offset fades out over BLEND_S (a raised cosine), so the motion inside the run is
  always the refined point's own;
- when the run ends, the signal carries on from where it was: MediaPipe's point plus the offset it had from the
  fused one at the run's last sample, faded out over BLEND_S.

In front and back views the refined heel follows the visible front of the foot, not the hidden heel (there the
heel signal is read from the hips and the ankle anyway): those frames keep MediaPipe's points. Pure numpy.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from formcheck.core.landmarks import INDEX, REFINED_POINTS, LandmarkSeries
from formcheck.core.signal.filters import value_runs

BLEND_S = 0.25  # seconds over which an offset between MediaPipe's point and the refined one fades out
REFINED_MIN_FRAC = 0.95  # a rep measured on the refined track for at least this share of it is "refined"
MEDIAPIPE_MAX_FRAC = 0.05  # ... for at most this share, "mediapipe"; in between "mixed"
TRACKS = ("refined", "mediapipe", "mixed")


def blend_ramp(x: np.ndarray | float) -> np.ndarray:
    """Raised cosine: 0 at x <= 0, 1 at x >= 1, smooth in between."""
    x = np.clip(np.asarray(x, float), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def fuse_track(
    t: np.ndarray, mp: np.ndarray, ref: np.ndarray, blend_s: float = BLEND_S
) -> tuple[np.ndarray, np.ndarray]:
    """One point's fused track (T, 2) and the refined point's weight in it (T,): 1 where the refined motion is used
    at its own level, 0 where MediaPipe's point is, in between while an offset fades.

    mp: MediaPipe's point (T, 2), NaN where there is none; ref: the refined point, NaN where not tracked (or not to
    be used)."""
    t = np.asarray(t, float)
    if mp.shape != ref.shape or mp.shape != (len(t), 2):
        raise ValueError(f"mp and ref must both have shape ({len(t)}, 2), got {mp.shape} and {ref.shape}")
    tracked = np.isfinite(ref).all(axis=1)
    fused = np.full(mp.shape, np.nan)
    weight = np.zeros(len(t))
    last = np.full(2, np.nan)
    for a, b in value_runs(tracked):
        base = ref[a:b] if tracked[a] else mp[a:b]
        offset = last - base[0] if np.isfinite(last - base[0]).all() else np.zeros(2)
        fade = 1.0 - blend_ramp((t[a:b] - t[a]) / blend_s)
        fused[a:b] = base + fade[:, None] * offset
        if tracked[a]:
            weight[a:b] = 1.0 - fade
        seen = np.flatnonzero(np.isfinite(fused[a:b]).all(axis=1))
        last = fused[a + seen[-1]] if seen.size else last
    return fused, weight


class FootFusion:
    """The fusion of K points, frame by frame: update() with each frame's MediaPipe and refined points (K, 2).

    State per point: the offset added to the refined point (set at a run's start, fading) or to MediaPipe's
    (set at a run's end, fading), and when it was set."""

    def __init__(self, n_points: int = len(REFINED_POINTS), blend_s: float = BLEND_S) -> None:
        self.blend_s = blend_s
        self._offset = np.zeros((n_points, 2))  # added to the followed point, fading from _since
        self._since = np.full(n_points, -np.inf)
        self._on_ref = np.zeros(n_points, bool)  # the refined point is followed
        self._last = np.full((n_points, 2), np.nan)  # the last fused point (NaN: none yet)
        self._last_base = np.full((n_points, 2), np.nan)  # the point followed then (refined or MediaPipe's)

    def update(self, t: float, mp: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(fused (K, 2), refined weights (K,)) for one frame; mp and ref (K, 2), NaN where missing."""
        mp, ref = np.asarray(mp, float), np.asarray(ref, float)
        tracked = np.isfinite(ref).all(axis=1)
        seen = np.isfinite(mp).all(axis=1)
        had = np.isfinite(self._last).all(axis=1)
        start, stop = tracked & ~self._on_ref, ~tracked & self._on_ref
        # a run starts where the signal was (one frame's motion of the refined point is not known: none assumed)
        self._restart(start, np.where(had[:, None], self._last - ref, 0.0), t)
        # a run ends: MediaPipe's point carries the fused one's offset from it (none if MediaPipe has no point)
        carried = np.where((had & seen)[:, None], self._last - mp, 0.0)
        self._restart(stop, carried, t)
        self._on_ref = tracked
        fade = 1.0 - blend_ramp((t - self._since) / self.blend_s)
        base = np.where(tracked[:, None], ref, mp)
        fused = base + fade[:, None] * self._offset
        weight = np.where(tracked, 1.0 - fade, 0.0)
        keep = np.isfinite(fused).all(axis=1)
        self._last = np.where(keep[:, None], fused, self._last)
        return fused, weight

    def _restart(self, which: np.ndarray, offset: np.ndarray, t: float) -> None:
        self._offset[which] = offset[which]
        self._since[which] = t


def fuse_frame(fusion: FootFusion, t: float, xy: np.ndarray, refined: np.ndarray | None, frontal: bool) -> np.ndarray:
    """One frame's landmarks (33, 2) with the heels and toes fused with the refined ones, as fuse_series does for a
    whole clip: not in front or back views (frontal), where the refined heel follows the front of the foot."""
    if refined is None:
        return xy
    if frontal:
        refined = np.full_like(refined, np.nan)
    idx = [INDEX[name] for name in REFINED_POINTS]
    out = np.array(xy, float)
    out[idx], _ = fusion.update(t, out[idx], refined)
    return out


def fuse_series(series: LandmarkSeries, frontal: np.ndarray) -> tuple[LandmarkSeries, np.ndarray]:
    """The series with its heels and toes fused with the refined points (not in front or back views: frontal (T,)
    True there), and the refined points' weights (T, 4) in REFINED_POINTS order (zeros without refined points)."""
    n = len(series)
    weights = np.zeros((n, len(REFINED_POINTS)))
    if series.refined is None or not np.isfinite(series.refined).any():
        return series, weights
    xy = series.xy.copy()
    for k, name in enumerate(REFINED_POINTS):
        ref = np.where(np.asarray(frontal, bool)[:, None], np.nan, series.refined[:, k])
        if np.isfinite(ref).any():
            xy[:, INDEX[name]], weights[:, k] = fuse_track(series.t, series.xy[:, INDEX[name]], ref)
    return replace(series, xy=xy), weights


def track_label(weights: np.ndarray, t: np.ndarray, side: str, t_start: float, t_end: float) -> tuple[str, float]:
    """Which track a rep of the `side` foot was measured on: ("refined" | "mediapipe" | "mixed", the refined share
    of it), the share being the mean over its frames of the smaller of the heel's and the toe's weight."""
    cols = [REFINED_POINTS.index(f"{side}_heel"), REFINED_POINTS.index(f"{side}_foot_index")]
    inside = (t >= t_start) & (t <= t_end)
    frac = float(weights[inside][:, cols].min(axis=1).mean()) if inside.any() else 0.0
    label = "refined" if frac >= REFINED_MIN_FRAC else "mediapipe" if frac <= MEDIAPIPE_MAX_FRAC else "mixed"
    return label, round(frac, 2)
