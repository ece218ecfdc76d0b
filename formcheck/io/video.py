"""Frame sources: video files and webcams, each frame with a real timestamp in seconds.

Timestamps come from the container (presentation time) for files and from the
monotonic clock for cameras, never from a rounded fps, and are made strictly
increasing before anyone sees them.  Phone clips with rotation metadata come
out upright (OpenCV's FFmpeg backend applies the display matrix).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from formcheck.errors import CameraError, InputError

MIN_STEP_S = 1e-3  # MediaPipe's VIDEO mode wants strictly increasing integer milliseconds
FALLBACK_FPS = 30.0


@dataclass(frozen=True)
class VideoInfo:
    """What the report needs to know about a source."""

    path: str | None
    kind: str  # "file" | "camera"
    fps: float  # nominal, as a float (29.97 stays 29.97); 0.0 when unknown
    frame_count: int  # from the container; 0 when unknown (cameras)
    width: int  # upright frame size
    height: int
    rotation: int  # degrees of rotation metadata applied to get upright frames
    duration_s: float
    codec: str


@dataclass(frozen=True)
class Frame:
    index: int
    t: float  # seconds from the start of the input
    image: np.ndarray  # BGR, upright, uint8 (H, W, 3)


class TimestampFixer:
    """Turns raw timestamps into strictly increasing seconds and counts what it changed."""

    def __init__(self, fps: float) -> None:
        self._fps = fps if _plausible_fps(fps) else FALLBACK_FPS
        self._last: float | None = None
        self.repaired = 0
        self.pts_missing = 0

    def __call__(self, raw_t: float | None, index: int) -> float:
        if raw_t is None or not math.isfinite(raw_t) or raw_t < 0:
            self.pts_missing += 1
            raw_t = index / self._fps if self._last is None else self._last + 1.0 / self._fps
        t = float(raw_t)
        if self._last is not None and t < self._last + MIN_STEP_S:
            self.repaired += 1
            t = self._last + MIN_STEP_S
        self._last = t
        return t


def _plausible_fps(fps: float) -> bool:
    return math.isfinite(fps) and 1.0 <= fps <= 1000.0


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text if text.isprintable() and text else "unknown"


class VideoFileSource:
    """Iterate the frames of a video file.  Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"video not found: {self.path}; check the path")
        if self.path.is_dir():
            raise InputError(f"{self.path} is a folder, not a video; pass a video file")
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path} is empty (0 bytes); record or copy the video again")
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(f"cannot open {self.path.name} as a video; use a video file (mp4, mov, avi, mkv, webm)")
        self._first = self._read_first()
        self.info = self._probe()
        self.warnings: list[str] = []
        self._stamps = TimestampFixer(self.info.fps)
        self.frames_read = 0

    def _read_first(self) -> np.ndarray:
        ok, image = self._cap.read()
        if not ok or image is None:
            codec = _fourcc(self._cap)
            self._cap.release()
            raise InputError(f"{self.path.name} has no frames this machine can decode (codec {codec}); "
                             f"re-encode it, e.g. ffmpeg -i {self.path.name} -c:v libx264 -pix_fmt yuv420p fixed.mp4")
        self._first_t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        return image

    def _probe(self) -> VideoInfo:
        cap = self._cap
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = fps if _plausible_fps(fps) else 0.0
        count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0), 0)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        h, w = self._first.shape[:2]
        duration = count / fps if fps and count else 0.0
        return VideoInfo(path=str(self.path), kind="file", fps=fps, frame_count=count, width=w, height=h,
                         rotation=rotation, duration_s=duration, codec=_fourcc(cap))

    def __enter__(self) -> "VideoFileSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cap.release()

    def __iter__(self) -> Iterator[Frame]:
        return self.frames()

    def frames(self, keep: Callable[[float], bool] | None = None) -> Iterator[Frame]:
        """Every frame in order; with `keep`, only frames whose timestamp it accepts.

        A frame keep() refuses is decoded (later frames depend on it) but its pixels are never
        converted to BGR, so skipping frames of a 60/120/240 fps clip costs little.
        """
        index, raw_t = 0, self._first_t
        try:
            while raw_t is not None:
                t = self._stamps(raw_t, index)
                if keep is None or keep(t):
                    image = self._first if index == 0 else self._retrieve()
                    if image is None:
                        break
                    yield Frame(index=index, t=t, image=image)
                index += 1
                raw_t = self._grab()
        finally:
            self.frames_read = index
            self._finish_warnings()

    def _grab(self) -> float | None:
        """Decode the next frame; its raw container timestamp in seconds, None at the end."""
        if not self._cap.grab():
            return None
        return self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0

    def _retrieve(self) -> np.ndarray | None:
        ok, image = self._cap.retrieve()
        return image if ok and image is not None else None

    def _finish_warnings(self) -> None:
        expected = self.info.frame_count
        if expected and self.frames_read < 0.98 * expected - 1:
            self.warnings.append(f"the video ended early: {self.frames_read} of {expected} frames could be "
                                 "decoded (truncated or corrupt file); results cover the decoded part")
        if self._stamps.repaired:
            self.warnings.append(f"{self._stamps.repaired} frame timestamps were out of order or repeated "
                                 "and were nudged forward")
        if self._stamps.pts_missing:
            self.warnings.append(f"{self._stamps.pts_missing} frames had no timestamp; assumed "
                                 f"{self._stamps._fps:g} fps for them")


class CameraSource:
    """Iterate frames from a webcam, timestamped by the monotonic clock at capture."""

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None) -> None:
        self.path = None
        self._cap = cv2.VideoCapture(index)
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        ok, image = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or image is None:
            self._cap.release()
            raise CameraError(f"could not open camera #{index}; check it is connected and not used by another "
                              "program, or pass --camera N (run 'formcheck doctor' to list working cameras)")
        self._t0 = time.monotonic()
        self._first = image
        h, w = image.shape[:2]
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.info = VideoInfo(path=None, kind="camera", fps=fps if _plausible_fps(fps) else 0.0, frame_count=0,
                              width=w, height=h, rotation=0, duration_s=0.0, codec=_fourcc(self._cap))
        self.warnings: list[str] = []
        self._stamps = TimestampFixer(self.info.fps)
        self.frames_read = 0

    def __enter__(self) -> "CameraSource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cap.release()

    def __iter__(self) -> Iterator[Frame]:
        image, index = self._first, 0
        try:
            while image is not None:
                yield Frame(index=index, t=self._stamps(time.monotonic() - self._t0, index), image=image)
                index += 1
                ok, image = self._cap.read()
                image = image if ok else None
        finally:
            self.frames_read = index


def open_source(spec: str | Path | int) -> VideoFileSource | CameraSource:
    """A camera for an int (or a string of digits), else a video file."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    return VideoFileSource(spec)
