"""MediaPipe Pose (Tasks API, VIDEO mode): the only module that imports mediapipe.

Per frame it returns the 33 landmarks of one person in pixels of the upright
frame, with visibility, presence and world landmarks.  With several people in
view it keeps the one that continues the track, never jumping between people.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Iterator

import cv2
import numpy as np

from formcheck.core.landmarks import INDEX, N_LANDMARKS
from formcheck.errors import ModelError
from formcheck.io.model import ModelInfo, resolve_model

LEFT_HIP, RIGHT_HIP = INDEX["left_hip"], INDEX["right_hip"]
LEFT_SHOULDER, RIGHT_SHOULDER = INDEX["left_shoulder"], INDEX["right_shoulder"]


@dataclass(frozen=True)
class PoseConfig:
    num_poses: int = 2  # detect up to this many people, then keep the tracked one
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    max_jump_torsos: float = 1.5  # a candidate further than this many torso lengths from the track is someone else
    reacquire_after_s: float = 2.0  # after the tracked person is lost this long, take whoever is largest


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks in one frame; arrays are NaN when no pose was found."""

    xy: np.ndarray  # (33, 2) pixels
    z: np.ndarray  # (33,) normalized z x width
    vis: np.ndarray  # (33,)
    presence: np.ndarray  # (33,)
    world: np.ndarray  # (33, 3) metres

    @classmethod
    def missing(cls) -> "PoseFrame":
        nan = np.full(N_LANDMARKS, np.nan)
        return cls(np.full((N_LANDMARKS, 2), np.nan), nan, nan.copy(), nan.copy(), np.full((N_LANDMARKS, 3), np.nan))

    @property
    def found(self) -> bool:
        return bool(np.isfinite(self.xy[0, 0]))


@dataclass(frozen=True)
class ModelImage:
    """A frame as the model takes it: a mediapipe Image (RGB, maybe downscaled) and the full frame's size."""

    image: Any  # mediapipe Image
    width: int  # the full upright frame the landmarks are reported in
    height: int


def model_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(w, h) with the long side at most max_side pixels, aspect ratio kept (None: unchanged)."""
    long_side = max(width, height)
    if not max_side or long_side <= max_side:
        return width, height
    scale = max_side / long_side
    return max(1, round(width * scale)), max(1, round(height * scale))


def model_image(frame: np.ndarray, max_side: int | None, rgb: bool = False) -> ModelImage:
    """A BGR (or, with rgb=True, RGB) uint8 frame -> ModelImage at most max_side pixels on its long side.

    Downscaling (area averaging) comes first, so the colour conversion and the copy into the
    mediapipe Image touch the small image only. Made in the decoding thread, so the model's
    thread only runs the model.
    """
    import mediapipe as mp

    h, w = frame.shape[:2]
    size = model_size(w, h, max_side)
    small = frame if size == (w, h) else cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    data = np.ascontiguousarray(small) if rgb else cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    return ModelImage(mp.Image(image_format=mp.ImageFormat.SRGB, data=data), w, h)


@contextlib.contextmanager
def _quiet_native_logs(enabled: bool = True) -> Iterator[None]:
    """MediaPipe's C++ side prints INFO/WARNING lines on fd 2 while loading; hide them unless debugging."""
    if not enabled:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class PoseEstimator:
    """Wraps mediapipe's PoseLandmarker in VIDEO mode.  Use as a context manager."""

    def __init__(self, model: str | ModelInfo | None = None, config: PoseConfig | None = None,
                 quiet: bool = True) -> None:
        self.model = model if isinstance(model, ModelInfo) else resolve_model(model)
        self.config = config or PoseConfig()
        self._quiet = quiet
        self._last_ms = -1
        self._track: np.ndarray | None = None  # (2,) torso centre of the person we follow
        self._torso: float | None = None
        self._track_t = -np.inf
        with _quiet_native_logs(quiet):
            self._landmarker = self._create()
        self._warmed = False

    def _create(self):  # noqa: ANN202 - mediapipe type
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError(f"mediapipe is not installed or broken ({exc}); run: pip install formcheck") from None
        cfg = self.config
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model.path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=cfg.num_poses,
            min_pose_detection_confidence=cfg.min_detection_confidence,
            min_pose_presence_confidence=cfg.min_presence_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
        )
        try:
            return vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"could not load the pose model {self.model.path.name} ({str(exc).splitlines()[0]}); "
                             "pass an official MediaPipe pose_landmarker .task file to --model") from None

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with _quiet_native_logs(self._quiet):
            self._landmarker.close()

    def detect(self, image: np.ndarray | ModelImage, t: float) -> PoseFrame:
        """Landmarks of the tracked person in an image taken at t seconds.

        `image` is an RGB uint8 array, or a ModelImage from model_image() (made ahead, e.g. in a
        decoding thread, possibly downscaled): landmarks are in pixels of its full frame either way.
        """
        prepared = image if isinstance(image, ModelImage) else model_image(image, None, rgb=True)
        ms = max(int(round(t * 1000.0)), self._last_ms + 1)
        self._last_ms = ms
        with _quiet_native_logs(self._quiet and not self._warmed):
            result = self._landmarker.detect_for_video(prepared.image, ms)
        self._warmed = True
        w, h = prepared.width, prepared.height
        candidates = [_to_pose_frame(lms, world, w, h) for lms, world in
                      zip(result.pose_landmarks, _pad(result.pose_world_landmarks, len(result.pose_landmarks)))]
        return self._choose(candidates, t)

    def _choose(self, candidates: list[PoseFrame], t: float) -> PoseFrame:
        if not candidates:
            return PoseFrame.missing()
        centres = [_torso_centre(c) for c in candidates]
        if self._track is None or t - self._track_t > self.config.reacquire_after_s:
            pick = int(np.argmax([_torso_length(c) for c in candidates]))  # the nearest / largest person
        else:
            dists = [float(np.hypot(*(c - self._track))) for c in centres]
            pick = int(np.argmin(dists))
            if dists[pick] > self.config.max_jump_torsos * (self._torso or 1.0):
                return PoseFrame.missing()  # only someone else is visible: a gap, not a jump
        self._track, self._track_t = centres[pick], t
        self._torso = _torso_length(candidates[pick])
        return candidates[pick]


def _pad(items: list, n: int) -> list:
    return list(items) + [None] * (n - len(items))


def _to_pose_frame(landmarks, world, width: int, height: int) -> PoseFrame:  # noqa: ANN001 - mediapipe types
    arr = np.array([(p.x, p.y, p.z, _or_nan(p.visibility), _or_nan(p.presence)) for p in landmarks], dtype=float)
    xy = np.round(arr[:, :2] * (width, height), 3)
    z = np.round(arr[:, 2] * width, 3)
    w = (np.full((N_LANDMARKS, 3), np.nan) if world is None else
         np.round(np.array([(p.x, p.y, p.z) for p in world], dtype=float), 5))
    return PoseFrame(xy=xy, z=z, vis=np.round(arr[:, 3], 4), presence=np.round(arr[:, 4], 4), world=w)


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _torso_centre(p: PoseFrame) -> np.ndarray:
    return p.xy[[LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0)


def _torso_length(p: PoseFrame) -> float:
    hips = p.xy[[LEFT_HIP, RIGHT_HIP]].mean(axis=0)
    shoulders = p.xy[[LEFT_SHOULDER, RIGHT_SHOULDER]].mean(axis=0)
    return float(np.hypot(*(shoulders - hips)))


def mediapipe_version() -> str:
    try:
        from importlib.metadata import version

        return version("mediapipe")
    except Exception:  # noqa: BLE001 - metadata may be missing in odd installs
        return "unknown"
