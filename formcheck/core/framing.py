"""Framing hints for the live view: is the body in the picture, and what to do if not. Pure."""
from __future__ import annotations

import numpy as np

from formcheck.core.landmarks import INDEX

FEET = tuple(INDEX[f"{s}_{p}"] for s in ("left", "right") for p in ("ankle", "heel", "foot_index"))
HIPS = (INDEX["left_hip"], INDEX["right_hip"])
MARGIN = 0.01  # a point this close to the frame's edge (fraction of its size) is cut off


def _in_picture(xy: np.ndarray, vis: np.ndarray, idx: tuple[int, ...], width: int, height: int,
                min_vis: float) -> np.ndarray:
    p = xy[list(idx)]
    v = vis[list(idx)]
    inside = ((p[:, 0] >= MARGIN * width) & (p[:, 0] <= (1 - MARGIN) * width)
              & (p[:, 1] >= MARGIN * height) & (p[:, 1] <= (1 - MARGIN) * height))
    return inside & (v >= min_vis)


def framing_hint(xy: np.ndarray, vis: np.ndarray, width: int, height: int, min_vis: float = 0.3) -> str | None:
    """What to change so formcheck sees hips to feet, or None when the framing is fine.

    xy: (33, 2) pixels (NaN when no pose), vis: (33,) visibility; width/height: the frame size."""
    if not np.isfinite(xy).any():
        return "step into the picture: no one is in view"
    feet = _in_picture(xy, vis, FEET, width, height, min_vis)
    hips = _in_picture(xy, vis, HIPS, width, height, min_vis)
    if not hips.any() and feet.sum() < 2:
        return "step back: hips to feet must be in the picture"
    if feet.sum() < 2:
        return "step back: your feet are not in the picture"
    if not hips.any():
        return "step back or lower the camera: your hips are not in the picture"
    return None
