"""The camera's view (side / front / back / oblique) over time, and which side of the body faces the camera."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from formcheck.core.config import ViewConfig
from formcheck.core.landmarks import INDEX
from formcheck.core.signal.body import point
from formcheck.core.signal.clean import CleanTracks, segment_length
from formcheck.core.signal.filters import finite_runs, nanmedian, running_median

VIEWS = ("side", "front", "back", "oblique")
VIEW_WINDOW_S = 1.0  # the view is read from the median width ratio and facing over this long


def is_frontal(view: str | None) -> bool:
    """Front and back views: the body faces the camera or turns its back, the heel and the foot's tilt are hidden,
    and the heel's rise is read from the pelvis (signal/body.heel_components)."""
    return view in ("front", "back")


@dataclass(frozen=True)
class ViewSegment:
    start: int  # frame index range [start, stop)
    stop: int
    t_start: float
    t_end: float
    view: str  # side | front | back | oblique
    facing: str  # the body side nearer the camera: left | right | both (front/back)

    def to_dict(self) -> dict:
        return {
            "t_start": round(self.t_start, 3),
            "t_end": round(self.t_end, 3),
            "view": self.view,
            "facing": self.facing,
        }


def width_ratio(xy: np.ndarray) -> np.ndarray:
    """(shoulder width + hip width) / (2 x torso length) of each frame of xy (..., 33, 2): ~0 side-on, ~0.6-0.8
    facing the camera or away from it."""
    p = partial(point, xy)
    sh = segment_length(p("left_shoulder"), p("right_shoulder"))
    hp = segment_length(p("left_hip"), p("right_hip"))
    torso = segment_length((p("left_shoulder") + p("right_shoulder")) / 2, (p("left_hip") + p("right_hip")) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sh + hp) / (2 * torso)


def facing_dx(xy: np.ndarray) -> np.ndarray:
    """Positive where the person faces the camera: their left shoulder and hip are on the image's right."""
    p = partial(point, xy)
    return (p("left_shoulder") - p("right_shoulder"))[..., 0] + (p("left_hip") - p("right_hip"))[..., 0]


def classify_view(ratio: np.ndarray | float, facing: np.ndarray | bool, cfg: ViewConfig) -> np.ndarray:
    """The view label of each (median width ratio, faces the camera) pair; '' where the ratio is unknown."""
    ratio = np.asarray(ratio, dtype=float)
    frontal = np.where(facing, "front", "back")
    label = np.where(ratio < cfg.side_max_width, "side", np.where(ratio >= cfg.front_min_width, frontal, "oblique"))
    return np.where(np.isfinite(ratio), label, "")


def frame_views(tracks: CleanTracks, cfg: ViewConfig) -> np.ndarray:
    """(T,) view label of each frame ('' where unknown), from 1 s running medians of the width ratio and facing."""
    ratio = width_ratio(tracks.smooth)
    out = np.full(len(ratio), "", dtype=object)
    for a, b in finite_runs(np.isfinite(ratio)):
        t = tracks.t[a:b]
        facing = running_median(t, np.nan_to_num(facing_dx(tracks.smooth[a:b])), VIEW_WINDOW_S) > 0
        out[a:b] = classify_view(running_median(t, ratio[a:b], VIEW_WINDOW_S), facing, cfg)
    return out


def near_side(tracks: CleanTracks, start: int, stop: int) -> str:
    """The body side nearer the camera: the one MediaPipe sees better."""
    vis = {
        s: nanmedian(tracks.vis[start:stop][:, [INDEX[f"{s}_{j}"] for j in ("hip", "knee", "ankle", "heel")]])
        for s in ("left", "right")
    }
    if not all(np.isfinite(v) for v in vis.values()):
        return "left" if np.isfinite(vis["left"]) else "right"
    return "left" if vis["left"] >= vis["right"] else "right"


def view_segments(tracks: CleanTracks, cfg: ViewConfig) -> list[ViewSegment]:
    """Runs of one view, those shorter than min_segment_s merged into a neighbour."""
    runs = merge_short(label_runs(frame_views(tracks, cfg)), tracks.t, cfg.min_segment_s)
    t = tracks.t
    out = []
    for start, stop, view in runs:
        facing = "both" if is_frontal(view) else near_side(tracks, start, stop)
        out.append(ViewSegment(start, stop, float(t[start]), float(t[stop - 1]), view, facing))
    return out


def label_runs(labels: np.ndarray) -> list[tuple[int, int, str]]:
    """[start, stop, label) runs of one known label ('' is unknown and left out)."""
    if labels.size == 0:
        return []
    edges = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], edges]).tolist()
    stops = np.concatenate([edges, [labels.size]]).tolist()
    return [(a, b, str(labels[a])) for a, b in zip(starts, stops) if labels[a]]


def merge_short(runs: list[tuple[int, int, str]], t: np.ndarray, min_s: float) -> list[tuple[int, int, str]]:
    """Absorb runs shorter than min_s into the longer neighbour, until none is left (or one run remains)."""
    runs = list(runs)
    while len(runs) > 1:
        durations = [t[b - 1] - t[a] for a, b, _ in runs]
        i = int(np.argmin(durations))
        if durations[i] >= min_s:
            break
        j = i - 1 if i == len(runs) - 1 or (i > 0 and durations[i - 1] >= durations[i + 1]) else i + 1
        a, b = min(runs[i][0], runs[j][0]), max(runs[i][1], runs[j][1])
        runs[min(i, j)] = (a, b, runs[j][2])
        del runs[max(i, j)]
        runs = join_same(runs)
    return runs


def join_same(runs: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for run in runs:
        if out and out[-1][2] == run[2]:
            out[-1] = (out[-1][0], run[1], run[2])
        else:
            out.append(run)
    return out


def view_at(segments: list[ViewSegment], index: int) -> ViewSegment | None:
    for seg in segments:
        if seg.start <= index < seg.stop:
            return seg
    return None
