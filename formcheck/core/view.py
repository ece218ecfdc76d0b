"""Camera view per time segment (side / front / back / oblique) and which side faces the camera."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.clean import CleanTracks, segment_length
from formcheck.core.config import ViewConfig
from formcheck.core.filters import finite_runs, nanmedian_of, running_median
from formcheck.core.landmarks import INDEX

VIEWS = ("side", "front", "back", "oblique")


@dataclass(frozen=True)
class ViewSegment:
    start: int  # frame index range [start, stop)
    stop: int
    t_start: float
    t_end: float
    view: str  # side | front | back | oblique
    facing: str  # the body side nearer the camera: left | right | both (front/back)

    def to_dict(self) -> dict:
        return {"t_start": round(self.t_start, 3), "t_end": round(self.t_end, 3), "view": self.view,
                "facing": self.facing}


def width_ratio(tracks: CleanTracks) -> np.ndarray:
    """(shoulder width + hip width) / (2 x torso length), per frame: ~0 side-on, ~0.6-0.8 facing."""
    p = tracks.p
    sh = segment_length(p("left_shoulder"), p("right_shoulder"))
    hp = segment_length(p("left_hip"), p("right_hip"))
    mid_sh = (p("left_shoulder") + p("right_shoulder")) / 2
    mid_hp = (p("left_hip") + p("right_hip")) / 2
    torso = segment_length(mid_sh, mid_hp)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sh + hp) / (2 * torso)


CODES = ("",) + VIEWS  # a frame's view as a small integer: 0 unknown, then VIEWS in order
SIDE, FRONT, BACK, OBLIQUE = (CODES.index(v) for v in VIEWS)


def frame_views(tracks: CleanTracks, cfg: ViewConfig) -> np.ndarray:
    """Per-frame view label ('' where unknown), from a 1 s running median of the width ratio."""
    return np.array(CODES, dtype=object)[frame_view_codes(tracks, cfg)]


def frame_view_codes(tracks: CleanTracks, cfg: ViewConfig) -> np.ndarray:
    """frame_views as indices into CODES."""
    ratio = width_ratio(tracks)
    codes = np.zeros(len(ratio), np.int8)
    for a, b in finite_runs(np.isfinite(ratio)):
        r = running_median(tracks.t[a:b], ratio[a:b], 1.0)
        code = np.where(r < cfg.side_max_width, SIDE, np.where(r >= cfg.front_min_width, FRONT, OBLIQUE))
        if (code == FRONT).any():  # which way the person faces only matters there
            code[(code == FRONT) & ~_facing_camera(tracks, a, b)] = BACK
        codes[a:b] = code
    return codes


def _facing_camera(tracks: CleanTracks, a: int, b: int) -> np.ndarray:
    """True where the person faces the camera: their left shoulder/hip is on the image's right."""
    p = tracks.p
    dx = (p("left_shoulder")[a:b, 0] - p("right_shoulder")[a:b, 0]) + (p("left_hip")[a:b, 0] - p("right_hip")[a:b, 0])
    return running_median(tracks.t[a:b], np.nan_to_num(dx), 1.0) > 0


def near_side(tracks: CleanTracks, start: int, stop: int) -> str:
    """The body side nearer the camera: better visibility, then smaller MediaPipe depth."""
    vis = {s: nanmedian_of(np.take(tracks.vis[start:stop], [INDEX[f"{s}_{j}"] for j in ("hip", "knee", "ankle", "heel")],
                                   axis=1).ravel())
           for s in ("left", "right")}
    if not all(np.isfinite(v) for v in vis.values()):
        return "left" if np.isfinite(vis["left"]) else "right"
    return "left" if vis["left"] >= vis["right"] else "right"


def view_segments(tracks: CleanTracks, cfg: ViewConfig) -> list[ViewSegment]:
    runs = _label_runs(frame_view_codes(tracks, cfg))
    runs = _merge_short(runs, tracks.t, cfg.min_segment_s)
    t = tracks.t
    out = []
    for start, stop, view in runs:
        facing = "both" if view in ("front", "back") else near_side(tracks, start, stop)
        out.append(ViewSegment(start, stop, float(t[start]), float(t[stop - 1]), view, facing))
    return out


def _label_runs(codes: np.ndarray) -> list[tuple[int, int, str]]:
    """[start, stop) runs of one known view (codes: frame_view_codes)."""
    if codes.size == 0:
        return []
    edges = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = np.concatenate([[0], edges]).tolist()
    stops = np.concatenate([edges, [codes.size]]).tolist()
    return [(a, b, CODES[codes[a]]) for a, b in zip(starts, stops) if codes[a] != 0]


def _merge_short(runs: list[tuple[int, int, str]], t: np.ndarray, min_s: float) -> list[tuple[int, int, str]]:
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
        runs = _join_same(runs)
    return runs


def _join_same(runs: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
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
