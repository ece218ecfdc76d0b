"""The landmark series every stage passes around: pure numpy, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.errors import InputError

LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
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
N_LANDMARKS = len(LANDMARK_NAMES)
INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}
FOOT_POINTS: tuple[str, ...] = ("ankle", "heel", "foot_index")  # a foot's points, each side
FOOT_IDX: dict[str, list[int]] = {s: [INDEX[f"{s}_{p}"] for p in FOOT_POINTS] for s in ("left", "right")}
# The points refined from the video itself (formcheck.io.foot_track), in the order of LandmarkSeries.refined
REFINED_POINTS: tuple[str, ...] = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")


@dataclass(frozen=True, eq=False)
class LandmarkSeries:
    """Pose landmarks of one person over time.

    t: (T,) seconds from the start of the input, strictly increasing.
    xy: (T, 33, 2) pixels in the upright frame; NaN where no pose was found.
    z: (T, 33) MediaPipe's normalized z times the frame width (pixels).
    vis: (T, 33) visibility in [0, 1]; NaN where no pose.
    presence: (T, 33) or None.  world: (T, 33, 3) metres or None.
    refined: (T, 4, 2) pixels of REFINED_POINTS tracked in the video itself, NaN where not tracked; or None.
    frame: (T,) source frame indices.  width, height: frame size in pixels.
    """

    t: np.ndarray
    xy: np.ndarray
    z: np.ndarray
    vis: np.ndarray
    width: int
    height: int
    frame: np.ndarray = field(default=None)  # type: ignore[assignment]
    presence: np.ndarray | None = None
    world: np.ndarray | None = None
    refined: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float)
        n = t.shape[0] if t.ndim == 1 else -1
        if n < 0:
            raise InputError(f"t must be a 1-D array of seconds, got shape {t.shape}")
        _check_shape("xy", self.xy, (n, N_LANDMARKS, 2))
        _check_shape("z", self.z, (n, N_LANDMARKS))
        _check_shape("vis", self.vis, (n, N_LANDMARKS))
        if self.presence is not None:
            _check_shape("presence", self.presence, (n, N_LANDMARKS))
        if self.world is not None:
            _check_shape("world", self.world, (n, N_LANDMARKS, 3))
        if self.refined is not None:
            _check_shape("refined", self.refined, (n, len(REFINED_POINTS), 2))
        if not np.isfinite(t).all():
            raise InputError("timestamps t must be finite numbers of seconds")
        if n > 1 and not np.all(np.diff(t) > 0):
            raise InputError("timestamps t must be strictly increasing; sort the rows by t and drop duplicates")
        if not (int(self.width) > 0 and int(self.height) > 0):
            raise InputError(f"frame size must be positive, got {self.width}x{self.height}")
        frame = np.arange(n) if self.frame is None else np.asarray(self.frame, dtype=int)
        _check_shape("frame", frame, (n,))
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "frame", frame)
        for name in ("xy", "z", "vis", "presence", "world", "refined"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, np.asarray(value, dtype=float))

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def found(self) -> np.ndarray:
        """(T,) True where a pose was found in the frame."""
        return ~np.all(np.isnan(self.xy[:, :, 0]), axis=1)

    def point(self, name: str) -> np.ndarray:
        """(T, 2) pixel track of one landmark by name."""
        return self.xy[:, INDEX[name]]

    def slice(self, start: int, stop: int) -> LandmarkSeries:
        """Frames [start, stop) as a new series."""
        sl = np.s_[start:stop]
        return LandmarkSeries(
            t=self.t[sl],
            xy=self.xy[sl],
            z=self.z[sl],
            vis=self.vis[sl],
            width=self.width,
            height=self.height,
            frame=self.frame[sl],
            presence=None if self.presence is None else self.presence[sl],
            world=None if self.world is None else self.world[sl],
            refined=None if self.refined is None else self.refined[sl],
        )

    @classmethod
    def empty(cls, n: int, width: int, height: int, t: np.ndarray | None = None) -> LandmarkSeries:
        """A series of n frames with no pose found (all NaN)."""
        nan = np.full((n, N_LANDMARKS), np.nan)
        return cls(
            t=np.arange(n, dtype=float) if t is None else t,
            xy=np.full((n, N_LANDMARKS, 2), np.nan),
            z=nan.copy(),
            vis=nan.copy(),
            width=width,
            height=height,
        )


def _check_shape(name: str, value: np.ndarray, shape: tuple[int, ...]) -> None:
    got = np.shape(value)
    if got != shape:
        raise InputError(f"{name} must be an array of shape {shape}, got {got}")
