"""Landmarks -> cleaned tracks: visibility gating, spike rejection, short gaps filled, low-pass."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from formcheck.core.config import CleaningConfig
from formcheck.core.filters import finite_runs, interpolate_gap_rows, lowpass_rows, median_of, nanmedian_of
from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.outliers import outlier_cells
from formcheck.errors import NothingToAnalyzeError

# The landmarks the analysis uses (others are kept raw).
USED = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee", "right_knee",
        "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")
USED_IDX = tuple(INDEX[n] for n in USED)


ROW = {i: k for k, i in enumerate(USED_IDX)}  # landmark index -> its pair of rows (2k: x, 2k + 1: y)


@dataclass(frozen=True, eq=False)
class CleanTracks:
    """Cleaned pixel tracks of the used landmarks.

    rows: (2 x used landmarks, T) gated + despiked + short gaps filled, x and y rows in USED order;
    smooth_rows: their zero-phase low-passed copy. `xy` (T, 33, 2: the others gated raw) and `smooth`
    (NaN for the others) are built from them when first asked for; p() reads the rows themselves.
    shank_px: the body scale (median knee-ankle length of the better-seen leg).
    """

    t: np.ndarray
    rows: np.ndarray
    smooth_rows: np.ndarray
    gated_xy: Callable[[], np.ndarray]  # the series' xy with unseen points NaN, (T, 33, 2), made on demand
    vis: np.ndarray
    shank_px: float
    leg_px: float
    warnings: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def xy(self) -> np.ndarray:
        return self.cached(("xy",), lambda: _with_rows(self.gated_xy(), self.rows))

    @property
    def smooth(self) -> np.ndarray:
        return self.cached(("smooth",), lambda: _with_rows(np.full((len(self.t), len(INDEX), 2), np.nan),
                                                           self.smooth_rows))

    def p(self, name: str, smooth: bool = True) -> np.ndarray:
        """(T, 2) track of one landmark (a view: its x and y are contiguous rows)."""
        i = INDEX[name]
        if i not in ROW:
            return (self.smooth if smooth else self.xy)[:, i]
        k = 2 * ROW[i]
        return (self.smooth_rows if smooth else self.rows)[k:k + 2].T

    def cached(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """A derived whole-series signal (e.g. a joint angle), computed once per analysis."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _with_rows(xy: np.ndarray, rows: np.ndarray) -> np.ndarray:
    for k, i in enumerate(USED_IDX):
        xy[:, i] = rows[2 * k:2 * k + 2].T
    return xy


def segment_length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hypot(*(a - b).T)


def body_scale(series: LandmarkSeries, min_vis: float) -> tuple[float, float]:
    """(shank_px, leg_px): median lengths of the better-seen leg, so results don't depend on camera distance."""
    best: tuple[float, float, float] | None = None
    for side in ("left", "right"):
        knee, ankle, hip = (INDEX[f"{side}_{p}"] for p in ("knee", "ankle", "hip"))
        vis_knee, vis_ankle = series.vis[:, knee], series.vis[:, ankle]
        seen = (vis_knee >= min_vis) & (vis_ankle >= min_vis)
        if seen.sum() < 3:
            continue
        at = lambda i: np.compress(seen, series.xy[:, i], axis=0)  # noqa: E731 - xy[:, i][seen]
        shank = median_of(segment_length(at(knee), at(ankle)))
        thigh = nanmedian_of(segment_length(at(hip), at(knee)))
        score = median_of(np.concatenate([vis_knee[seen], vis_ankle[seen]]))
        if shank > 0 and (best is None or score > best[0]):
            best = (score, shank, shank + thigh)
    if best is None:
        raise NothingToAnalyzeError("the legs are not visible (no knee and ankle seen together); film the whole "
                                    "body from the hips to the feet, side-on, 2-4 m from the camera")
    return best[1], best[2]


def clean_tracks(series: LandmarkSeries, cfg: CleaningConfig, found: np.ndarray | None = None) -> CleanTracks:
    """found: series.found, when the caller has it already."""
    t = series.t
    shank, leg = body_scale(series, cfg.min_visibility)
    # one row per used landmark and axis (x, y), filtered row by row
    rows = np.take(series.xy, USED_IDX, axis=1).transpose(1, 2, 0).reshape(2 * len(USED_IDX), len(t))
    unseen = ~(np.take(series.vis, USED_IDX, axis=1).T >= cfg.min_visibility)  # NaN visibility: unseen
    rows[np.repeat(unseen, 2, axis=0)] = np.nan
    # spikes, and with a longer window multi-frame excursions (MediaPipe briefly swapping the legs): both
    # judged against running medians of the same gated tracks (a spike left in does not move a median)
    rows[outlier_cells(t, rows, [(cfg.outlier_window_s, cfg.outlier_max_dev * shank),
                                 (cfg.excursion_window_s, cfg.excursion_max_dev * shank)])] = np.nan
    rows = interpolate_gap_rows(t, rows, cfg.max_gap_s)
    return CleanTracks(t=t, rows=rows, smooth_rows=lowpass_rows(t, rows, cfg.lowpass_hz),
                       gated_xy=lambda: _gated(series, cfg.min_visibility), vis=series.vis, shank_px=shank,
                       leg_px=leg, warnings=_gap_warnings(t, series.found if found is None else found))


def _gated(series: LandmarkSeries, min_vis: float) -> np.ndarray:
    xy = np.array(series.xy, order="C")
    xy.reshape(-1, 2)[np.flatnonzero(~(series.vis >= min_vis))] = np.nan  # NaN visibility counts as unseen
    return xy


def _gap_warnings(t: np.ndarray, found: np.ndarray) -> list[str]:
    warnings = []
    if len(found) and not found.all():
        missing = 1 - found.mean()
        long_gaps = [(a, b) for a, b in finite_runs(~found) if t[min(b, len(t) - 1)] - t[a] > 1.0]
        text = f"no person found in {missing:.0%} of frames"
        if long_gaps:
            spans = ", ".join(f"{t[a]:.1f}-{t[min(b, len(t) - 1)]:.1f} s" for a, b in long_gaps[:4])
            text += f" (out of view at {spans})"
        warnings.append(text)
    return warnings
