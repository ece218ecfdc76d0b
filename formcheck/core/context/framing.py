"""Is the body in the picture? The checks that refuse a clip (batch) and the hints that fix the framing (live)."""

from __future__ import annotations

import numpy as np

from formcheck.core.landmarks import FOOT_IDX, INDEX, LandmarkSeries
from formcheck.core.signal.filters import nanmedian
from formcheck.errors import NothingToAnalyzeError

LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")
MIN_FOUND_FRAC = 0.2
MIN_FOOT_VIS = 0.5  # the better foot's typical visibility: below it MediaPipe is guessing (it invents bodies)
MIN_FRAMED_FRAC = 0.5  # no reps and the legs in view less than this: blame the framing, not the exercise
FILMING_TIP = (
    "the hips to the feet must be in view: film side-on from 2-4 m with the camera at knee to hip height, in good light"
)
EDGE_MARGIN = 0.01  # live: a point this close to the frame's edge (fraction of its size) is cut off


def check_duration(series: LandmarkSeries, min_s: float) -> None:
    """A set needs the working foot still on the step for min_s: anything shorter cannot hold a rep."""
    n = len(series)
    if n < 2:
        raise NothingToAnalyzeError(
            f"too short: the input has {n} frame{'' if n == 1 else 's'}; a set needs at "
            f"least {min_s:g} s of video: film the whole set"
        )
    duration = float(series.t[-1] - series.t[0] + np.median(np.diff(series.t)))
    if not duration >= min_s:
        raise NothingToAnalyzeError(
            f"too short: the input lasts {duration:.2f} s and a set needs at least "
            f"{min_s:g} s; film the whole set, standing still for a second before the first rep"
        )


def legs_in_view(series: LandmarkSeries, min_vis: float) -> np.ndarray:
    """(T,) True where one leg's hip, knee, ankle, heel and toe are all seen and inside the frame."""
    out = np.zeros(len(series), bool)
    for side in ("left", "right"):
        idx = [INDEX[f"{side}_{p}"] for p in LEG_POINTS]
        x, y, vis = series.xy[:, idx, 0], series.xy[:, idx, 1], series.vis[:, idx]
        with np.errstate(invalid="ignore"):
            inside = (x >= 0) & (x <= series.width) & (y >= 0) & (y <= series.height)
            out |= np.all((vis >= min_vis) & inside, axis=1)
    return out


def foot_visibility(series: LandmarkSeries) -> float:
    """The better foot's median visibility over the frames with a pose (0 when there are none)."""
    found = series.found
    best = 0.0
    for side in ("left", "right"):
        vis = series.vis[found][:, FOOT_IDX[side]]
        if np.isfinite(vis).any():
            best = max(best, nanmedian(vis))
    return best


def check_body_in_frame(series: LandmarkSeries, min_vis: float) -> None:
    """Refuse a clip whose person, legs or feet the pose model did not really see, saying how to film it."""
    found = series.found
    if len(series) == 0 or found.mean() < MIN_FOUND_FRAC:
        missing = 1 - (found.mean() if len(series) else 0)
        raise NothingToAnalyzeError(f"no person found in {missing:.0%} of the frames; {FILMING_TIP}")
    seen = legs_in_view(series, min_vis)
    if seen.mean() < MIN_FOUND_FRAC:
        raise NothingToAnalyzeError(
            f"hips, knees and feet are in view together in only {seen.mean():.0%} of the frames; {FILMING_TIP}"
        )
    feet = foot_visibility(series)
    if feet < MIN_FOOT_VIS:
        raise NothingToAnalyzeError(
            f"the feet are barely visible to the pose model (visibility {feet:.2f}, it needs {MIN_FOOT_VIS:g}: it is "
            f"probably guessing a body that is not there); {FILMING_TIP}"
        )


def no_reps_reason(series: LandmarkSeries, min_vis: float, stances: list, min_stance_s: float) -> str:
    """Why no rep was found: a framing error is raised (NothingToAnalyzeError) when the legs were mostly out of
    view; else the warning to report."""
    framed = float(legs_in_view(series, min_vis).mean())
    if framed < MIN_FRAMED_FRAC:
        raise NothingToAnalyzeError(
            f"no calf raise found, and the hips to the feet are in view in only "
            f"{framed:.0%} of the frames; {FILMING_TIP}"
        )
    if not stances:
        return f"no calf raise found: the working foot never stood still for {min_stance_s:g} s (walking or stepping?)"
    return "no calf raise found: the heel never rose and fell clearly enough to count a rep"


def _in_picture(xy: np.ndarray, vis: np.ndarray, idx: list[int], width: int, height: int, min_vis: float) -> np.ndarray:
    p, v = xy[idx], vis[idx]
    inside = (
        (p[:, 0] >= EDGE_MARGIN * width)
        & (p[:, 0] <= (1 - EDGE_MARGIN) * width)
        & (p[:, 1] >= EDGE_MARGIN * height)
        & (p[:, 1] <= (1 - EDGE_MARGIN) * height)
    )
    return inside & (v >= min_vis)


def framing_hint(xy: np.ndarray, vis: np.ndarray, width: int, height: int, min_vis: float = 0.3) -> str | None:
    """Live: what to change so formcheck sees hips to feet, or None when the framing is fine.

    xy: (33, 2) pixels (NaN when no pose), vis: (33,) visibility; width/height: the frame size."""
    if not np.isfinite(xy).any():
        return "step into the picture: no one is in view"
    feet = _in_picture(xy, vis, FOOT_IDX["left"] + FOOT_IDX["right"], width, height, min_vis)
    hips = _in_picture(xy, vis, [INDEX["left_hip"], INDEX["right_hip"]], width, height, min_vis)
    if not hips.any() and feet.sum() < 2:
        return "step back: hips to feet must be in the picture"
    if feet.sum() < 2:
        return "step back: your feet are not in the picture"
    if not hips.any():
        return "step back or lower the camera: your hips are not in the picture"
    return None
