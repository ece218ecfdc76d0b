"""Which foot works (on the step, bearing weight) and which is free, or both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.landmarks import INDEX
from formcheck.core.signal.body import knee_flexion
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import nanmedian

KNEE_DIFF_DEG = 20.0  # the free knee is bent clearly more than the working one
TOE_HEIGHT_DIFF = 0.25  # the free foot is held clearly higher (x shank length)
TOE_FOLLOW_FRAC = 0.5  # the free foot rises with the body; the working toe stays put
LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")


@dataclass(frozen=True)
class SideEvidence:
    side: str  # left | right | both
    knee_flexion_deg: dict[str, float]
    toe_height: dict[str, float]  # how far above the lower foot (x shank)
    toe_motion: dict[str, float]  # vertical travel of the toe (x shank)
    reason: str


def detect_side(tracks: CleanTracks, still: dict[str, np.ndarray]) -> SideEvidence:
    """Vote with three cues, over the frames where a foot stands still: the straighter knee, the lower foot,
    the stiller toe."""
    frames = still["left"] | still["right"]
    if frames.sum() < 3:
        frames = np.ones(len(tracks.t), bool)
    knee, toe_y, motion = {}, {}, {}
    for s in ("left", "right"):
        knee[s] = nanmedian(knee_flexion(tracks.smooth[frames], s))
        y = tracks.p(f"{s}_foot_index")[frames, 1] / tracks.shank_px
        toe_y[s] = nanmedian(y)
        motion[s] = spread(y)
    lowest = np.nanmax([toe_y["left"], toe_y["right"]]) if np.isfinite(list(toe_y.values())).any() else np.nan
    height = {s: float(lowest - toe_y[s]) for s in toe_y}
    votes = side_votes(knee, height, motion)
    if not votes:
        return SideEvidence("both", knee, height, motion, "both feet planted: knees alike, feet level, toes still")
    left, right = votes.count("left"), votes.count("right")
    lower = "left" if height["left"] <= height["right"] else "right"
    side = "left" if left > right else "right" if right > left else lower
    return SideEvidence(side, knee, height, motion, f"cues: {', '.join(votes)}")


def side_votes(knee: dict[str, float], height: dict[str, float], motion: dict[str, float]) -> list[str]:
    votes = []
    if np.isfinite([knee["left"], knee["right"]]).all() and abs(knee["left"] - knee["right"]) > KNEE_DIFF_DEG:
        votes.append("left" if knee["left"] < knee["right"] else "right")
    if np.isfinite([height["left"], height["right"]]).all() and abs(height["left"] - height["right"]) > TOE_HEIGHT_DIFF:
        votes.append("left" if height["left"] < height["right"] else "right")
    m = [motion["left"], motion["right"]]
    if np.isfinite(m).all() and max(m) > 0.04 and min(m) < TOE_FOLLOW_FRAC * max(m):
        votes.append("left" if m[0] < m[1] else "right")
    return votes


def spread(x: np.ndarray) -> float:
    """5th to 95th percentile range of the finite values (NaN for 3 or fewer)."""
    x = x[np.isfinite(x)]
    if x.size <= 3:
        return float("nan")
    p95, p5 = np.percentile(x, [95, 5])
    return float(p95 - p5)


def better_seen(vis: np.ndarray) -> str:
    """The leg whose hip, knee, ankle, heel and toe MediaPipe saw better (median visibility); vis (T, 33)."""
    score = {s: nanmedian(vis[:, [INDEX[f"{s}_{p}"] for p in LEG_POINTS]].ravel()) for s in ("left", "right")}
    return "left" if score["left"] >= score["right"] else "right"
