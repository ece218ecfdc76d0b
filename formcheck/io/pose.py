"""MediaPipe Pose (Tasks API, VIDEO mode): the only module that imports mediapipe.

Per frame it returns the 33 landmarks of one person in pixels of the upright
frame, with visibility, presence and world landmarks.  With several people in
view it keeps the one that continues the track, never jumping between people:
by default the model runs for one person and the person lock (formcheck.io.person_lock)
checks every pose and searches a frame for several people only when needed; with
`num_poses` > 1 the model looks for that many people on every frame (about 1.5x the cost).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from formcheck.core.landmarks import N_LANDMARKS
from formcheck.errors import InputError, ModelError
from formcheck.io.model import ModelInfo, resolve_model
from formcheck.io.person_lock import Box, LockConfig, PersonLock, TrackChooser

MASK_GREY = 128  # what a masked-out person is painted with in the one-person model's frame
# the person masks for the foot track come from the frame shrunk to this long side (a 4K frame took 0.2 s a run)
SEGMENT_MAX_SIDE = 1280


@dataclass(frozen=True)
class PoseConfig:
    """How the pose model is run (part of the landmark cache key)."""

    # people the model looks for on every frame. 1: the model follows one person (MediaPipe then applies
    # its own landmark filter, and runs its detector only when it has lost the person) and the person lock
    # keeps it on the same person; N > 1: the detector runs on every frame while fewer than N are in view
    num_poses: int = 1
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    recheck_poses: int = 3  # with num_poses 1: people a rechecked frame is searched for
    # num_poses 1: the model is told the frames are this many times further apart than they are. Its own
    # landmark filter (a one-euro filter on the timestamps, on only with one person) then smooths as if its
    # cut-off frequencies were 30x higher: 1.5 Hz at rest instead of 0.05, and it still opens with speed.
    # As it comes (1.0) it holds the heel through the turns: on the renders with truth the top hold read
    # 0.11 s long and the lowering started 0.17 s late; x30 gave the best phase times of x1-x300 and a heel
    # jitter near the two-person model's (bench/pose_filter.py)
    time_scale: float = 30.0
    lock: LockConfig | None = field(default_factory=LockConfig)  # None: no lock (one person may jump; for tests)

    def __post_init__(self) -> None:
        if not 1 <= self.num_poses <= 4:
            raise InputError(f"--people must be 1 to 4, got {self.num_poses}")


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks in one frame; arrays are NaN when no pose was found."""

    xy: np.ndarray  # (33, 2) pixels
    z: np.ndarray  # (33,) normalized z x width
    vis: np.ndarray  # (33,)
    presence: np.ndarray  # (33,)
    world: np.ndarray  # (33, 3) metres

    @classmethod
    def missing(cls) -> PoseFrame:
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


_QUIET = threading.Lock()
_quiet_state: dict[str, int] = {"depth": 0, "saved": -1}


@contextlib.contextmanager
def _quiet_native_logs(enabled: bool = True) -> Iterator[None]:
    """MediaPipe's C++ side prints INFO/WARNING lines on fd 2 while loading; hide them unless debugging. fd 2 is the
    process's: the foot track's thread may be quiet while the main thread is, so the first one in redirects it and
    the last one out puts it back."""
    if not enabled:
        yield
        return
    with _QUIET:
        if _quiet_state["depth"] == 0:
            _quiet_state["saved"] = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _quiet_state["depth"] += 1
    try:
        yield
    finally:
        with _QUIET:
            _quiet_state["depth"] -= 1
            if _quiet_state["depth"] == 0:
                os.dup2(_quiet_state["saved"], 2)
                os.close(_quiet_state["saved"])


class PoseEstimator:
    """Wraps mediapipe's PoseLandmarker in VIDEO mode (with num_poses 1, a second one in IMAGE mode searches
    the frames the person lock rechecks for several people).  Use as a context manager."""

    def __init__(
        self,
        model: str | ModelInfo | None = None,
        config: PoseConfig | None = None,
        quiet: bool = True,
        masks: bool = False,
    ) -> None:
        """masks: person_segmenter() will be asked for (the foot track): with the person lock on, the recheck's
        model is made with its masks on from the start rather than made again then (about 0.1 s of start-up)."""
        self.model = model if isinstance(model, ModelInfo) else resolve_model(model)
        self.config = config or PoseConfig()
        self._quiet = quiet
        self._last_ms = -1
        cfg = self.config
        self.lock = PersonLock(cfg.lock) if cfg.num_poses == 1 and cfg.lock is not None else None
        self._chooser = TrackChooser()
        self._warmed: set[str] = set()
        self._segmenter: Any = None  # the people's masks (person_segmenter): the recheck's model if there is one
        self._image_lock = threading.Lock()  # the IMAGE-mode model: rechecks here, masks in the foot track's thread
        self._recheck: Any = None
        with _quiet_native_logs(quiet):
            self._landmarker = self._create(video=True, num_poses=cfg.num_poses)
        try:
            # a rechecked frame is searched for several people by a second model in IMAGE mode (no tracking)
            if self.lock is not None and masks:
                try:
                    self._recheck = self._segmenter = self._mask_model(cfg.recheck_poses)
                except ModelError:
                    pass  # a model without masks: it rechecks without them; person_segmenter() says why it cannot
            if self.lock is not None and self._recheck is None:
                with _quiet_native_logs(quiet):
                    self._recheck = self._create(video=False, num_poses=cfg.recheck_poses)
        except BaseException:
            self.close()  # the video model made above is not left open
            raise

    def _create(self, video: bool, num_poses: int, masks: bool = False):
        try:
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelError(f"mediapipe is not installed or broken ({exc}); run: pip install formcheck") from None
        cfg = self.config
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model.path)),
            running_mode=vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE,
            num_poses=num_poses,
            min_pose_detection_confidence=cfg.min_detection_confidence,
            min_pose_presence_confidence=cfg.min_presence_confidence,
            min_tracking_confidence=cfg.min_tracking_confidence,
            output_segmentation_masks=masks,
        )
        try:
            return vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(
                f"could not load the pose model {self.model.path.name} ({str(exc).splitlines()[0]}); "
                "pass an official MediaPipe pose_landmarker .task file to --model"
            ) from None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with _quiet_native_logs(self._quiet):
            self._landmarker.close()
            if self._recheck is not None:
                self._recheck.close()
            if self._segmenter is not None and self._segmenter is not self._recheck:
                self._segmenter.close()

    def person_segmenter(self) -> Callable[[np.ndarray], list[np.ndarray]]:
        """A function giving the masks (0-1) of the people in a frame (none if nobody is found), for the foot
        track's part pictures: the model in IMAGE mode with its segmentation output, on the frame shrunk to
        SEGMENT_MAX_SIDE (the masks come at that size). The model is made and run once before the function is
        returned (its native log lines hidden), so the function can then be called from another thread, one at a
        time. With the person lock on, it is the recheck's model with its masks on, which serves both (one model
        less in memory, about 45 MB; its first person's mask is the one a one-person model gives, to the last bit
        on the sample and evaluation clips): made so at the start for an estimator made with masks=True, else made
        again here. The foot track asks only when it anchors a part, a few times a set, and keeps the mask
        covering the part most; a mask that misses the foot leaves the part's picture whole. Without the person
        lock (several people followed, or no lock) it is a model of its own finding one person, the most
        prominent, made here."""
        if self._segmenter is None:  # not made at the start (masks=False)
            made = self._mask_model(self.config.recheck_poses if self._recheck is not None else 1)
            if self._recheck is not None:
                with self._image_lock, _quiet_native_logs(self._quiet):
                    self._recheck.close()
                    self._recheck = made
            self._segmenter = made
        segmenter, warmed = self._segmenter, [False]

        def people(image: np.ndarray) -> list[np.ndarray]:
            bgr = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            small = model_image(bgr, SEGMENT_MAX_SIDE)
            with self._image_lock, _quiet_native_logs(self._quiet and not warmed[0]):  # warns on the first person
                found = segmenter.detect(small.image).segmentation_masks or []
            warmed[0] = warmed[0] or bool(found)
            shape = (small.image.height, small.image.width)
            # copies: numpy_view() is a view of MediaPipe's buffer, freed with the result (reading it later crashed)
            return [np.array(m.numpy_view(), np.float32).reshape(shape) for m in found]

        return people

    def _mask_model(self, people: int) -> Any:
        """The model in IMAGE mode with its segmentation masks on, run once on a blank picture (its native log lines
        hidden)."""
        import mediapipe as mp

        with _quiet_native_logs(self._quiet):
            try:
                made = self._create(video=False, num_poses=people, masks=True)
            except ModelError:
                raise ModelError(
                    f"the pose model {self.model.path.name} gives no person masks, which the foot track needs; "
                    "pass an official MediaPipe pose_landmarker .task file to --model, or use --no-foot-track"
                ) from None
            try:
                made.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.zeros((64, 64, 3), np.uint8)))
            except BaseException:
                made.close()
                raise
        return made

    def detect(self, image: np.ndarray | ModelImage, t: float) -> PoseFrame:
        """Landmarks of the tracked person in an image taken at t seconds.

        `image` is an RGB uint8 array, or a ModelImage from model_image() (made ahead, e.g. in a
        decoding thread, possibly downscaled): landmarks are in pixels of its full frame either way.
        """
        prepared = image if isinstance(image, ModelImage) else model_image(image, None, rgb=True)
        scale = self.config.time_scale if self.config.num_poses == 1 else 1.0
        ms = max(int(round(t * 1000.0 * scale)), self._last_ms + 1)
        self._last_ms = ms
        lock = self.lock
        fed = prepared if lock is None or not lock.mask else masked(prepared, lock.mask)
        poses = self._poses("video", lambda: self._landmarker.detect_for_video(fed.image, ms), prepared)
        if lock is None:
            pick = self._chooser.choose(poses, t)
            return pick if pick is not None else PoseFrame.missing()
        pose = poses[0] if poses else PoseFrame.missing()
        verdict = lock.check(pose, t)
        if verdict == "accept":
            return pose
        if verdict == "missing":
            return PoseFrame.missing()
        candidates = self._poses("recheck", lambda: self._recheck_detect(prepared.image), prepared)
        pick = lock.resolve(pose, candidates, t)
        return pick if pick is not None else PoseFrame.missing()

    def _recheck_detect(self, image: Any) -> Any:
        with self._image_lock:  # the foot track's thread may be asking the same model for a mask
            return self._recheck.detect(image)

    def _poses(self, which: str, run: Callable[[], Any], prepared: ModelImage) -> list[PoseFrame]:
        """Run one of the models (its first run's native log lines hidden) -> every person it found."""
        with _quiet_native_logs(self._quiet and which not in self._warmed):
            result = run()
        self._warmed.add(which)
        w, h = prepared.width, prepared.height
        return [
            _to_pose_frame(lms, world, w, h)
            for lms, world in zip(
                result.pose_landmarks, _pad(result.pose_world_landmarks, len(result.pose_landmarks)), strict=True
            )
        ]


def masked(prepared: ModelImage, boxes: list[Box]) -> ModelImage:
    """The model's image with these boxes (pixels of the full frame) painted grey: a copy."""
    import mediapipe as mp

    data = prepared.image.numpy_view().copy()
    h, w = data.shape[:2]
    sx, sy = w / prepared.width, h / prepared.height
    for x0, y0, x1, y1 in boxes:
        c0, c1 = max(0, math.floor(x0 * sx)), min(w, math.ceil(x1 * sx))
        r0, r1 = max(0, math.floor(y0 * sy)), min(h, math.ceil(y1 * sy))
        if c1 > c0 and r1 > r0:
            data[r0:r1, c0:c1] = MASK_GREY
    return ModelImage(mp.Image(image_format=mp.ImageFormat.SRGB, data=data), prepared.width, prepared.height)


def _pad(items: list, n: int) -> list:
    return list(items) + [None] * (n - len(items))


def _to_pose_frame(landmarks, world, width: int, height: int) -> PoseFrame:
    arr = np.array([(p.x, p.y, p.z, _or_nan(p.visibility), _or_nan(p.presence)) for p in landmarks], dtype=float)
    xy = np.round(arr[:, :2] * (width, height), 3)
    z = np.round(arr[:, 2] * width, 3)
    w = (
        np.full((N_LANDMARKS, 3), np.nan)
        if world is None
        else np.round(np.array([(p.x, p.y, p.z) for p in world], dtype=float), 5)
    )
    return PoseFrame(xy=xy, z=z, vis=np.round(arr[:, 3], 4), presence=np.round(arr[:, 4], 4), world=w)


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def mediapipe_version() -> str:
    try:
        from importlib.metadata import version

        return version("mediapipe")
    except Exception:
        return "unknown"
