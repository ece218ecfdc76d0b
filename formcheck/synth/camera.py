"""Pinhole cameras around the synthetic athlete (pure numpy).

World axes as in :mod:`formcheck.synth.motion` (x forward, y up, z athlete's right).
Image axes: x right, y down, pixels; the camera frames the whole athlete and the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.errors import InputError

VIEWS = ("side", "side_far", "front", "back", "three_quarter")


@dataclass(frozen=True)
class Camera:
    """A look-at pinhole camera.  focal_px applies to both image axes."""

    position: tuple[float, float, float]
    target: tuple[float, float, float]
    width: int
    height: int
    focal_px: float

    def basis(self) -> np.ndarray:
        """(3, 3) rows: camera right, down, forward in world coordinates."""
        fwd = np.subtract(self.target, self.position)
        fwd = fwd / np.linalg.norm(fwd)
        right = np.cross(fwd, [0.0, 1.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return np.stack([right, down, fwd])

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) world -> (..., 3) camera coordinates (x right, y down, z depth)."""
        p = np.asarray(points, dtype=float)
        flat = p.reshape(-1, 3) - np.asarray(self.position)
        return (flat @ self.basis().T).reshape(p.shape)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world points -> ((..., 2) pixels, (...,) depth in metres)."""
        c = self.to_camera(points)
        z = c[..., 2]
        px = self.focal_px * c[..., :2] / z[..., None] + np.array([self.width / 2, self.height / 2])
        return px, z


def parse_size(size: str) -> tuple[int, int]:
    """'540x960' -> (540, 960)."""
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise InputError(f"size must look like 540x960 (width x height), got {size!r}") from None
    if w <= 0 or h <= 0:
        raise InputError(f"size must be positive, got {size!r}")
    return w, h


def make_camera(
    view: str = "side",
    side: str = "right",
    width: int = 540,
    height: int = 960,
    distance: float = 3.0,
    height_m: float = 1.0,
    azimuth_offset_deg: float = 0.0,
    span_m: float | None = None,
    target_height_m: float | None = None,
) -> Camera:
    """A camera for a named view that fits the athlete (about 2 m tall incl. step) in frame.

    side: the working side; "side" films that leg, "side_far" the other one.  span_m: metres of world
    the frame shows vertically at the athlete (None: 2.3 portrait, 2.15 landscape, the sample videos';
    larger: the athlete is smaller in the picture); target_height_m: the height the camera aims at (None:
    0.93 m, the sample videos').
    """
    if view not in VIEWS:
        raise InputError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    if distance < 1.0:
        raise InputError(f"camera distance must be at least 1 m, got {distance}")
    sgn = 1.0 if side == "right" else -1.0
    az = {"side": 90.0 * sgn, "side_far": -90.0 * sgn, "front": 0.0, "back": 180.0, "three_quarter": 45.0 * sgn}[
        view
    ] + azimuth_offset_deg
    a = np.radians(az)
    target = np.array([-0.05, 0.93 if target_height_m is None else target_height_m, 0.0])
    pos = target + np.array([distance * np.cos(a), height_m - 1.0, distance * np.sin(a)])
    span = span_m or (2.3 if height >= width else 2.15)  # metres of world to fit vertically
    if span_m is not None and span_m < 1.2:
        raise InputError(f"span_m must be at least 1.2 m (the frame would cut the athlete), got {span_m}")
    focal = height / 2 / (span / 2 / distance)
    if width > height and span_m is None:
        focal = min(focal, width / 2 / (1.6 / 2 / distance))
    return Camera(tuple(pos), tuple(target), int(width), int(height), float(focal))
