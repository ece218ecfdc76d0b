"""Frame sources: video files and webcams, each frame with a real timestamp in seconds.

Timestamps come from the container (presentation time) for files and from the
monotonic clock for cameras, never from a rounded fps, and are made strictly
increasing before anyone sees them.  Phone clips with rotation metadata come
out upright (OpenCV's FFmpeg backend applies the display matrix).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import CameraError, InputError
from formcheck.io import probe

MIN_STEP_S = 1e-3  # MediaPipe's VIDEO mode wants strictly increasing integer milliseconds
FALLBACK_FPS = 30.0
MIN_SIDE_PX = 360  # below this the pose model's landmarks get coarse (it sees a person ~100 px tall)
MIN_USEFUL_FPS = 10.0  # phases of a rep last ~0.3-2 s: fewer frames than this cannot time them


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
    claimed_fps: float = 0.0  # what the container says, even when implausible (fps is 0.0 then)


@dataclass(frozen=True)
class Frame:
    index: int
    t: float  # seconds from the start of the input
    image: np.ndarray  # BGR, upright, uint8 (H, W, 3)


class TimestampFixer:
    """Turns raw timestamps into strictly increasing seconds and counts what it changed."""

    def __init__(self, fps: float, trust: bool = True) -> None:
        self._fps = fps if _plausible_fps(fps) else FALLBACK_FPS
        self._trust = trust  # False: the container's timing is absurd, count frames at the assumed rate
        self._last: float | None = None
        self._last_raw: float | None = None
        self.first = 0.0
        self.repaired = 0
        self.pts_missing = 0

    def __call__(self, raw_t: float | None, index: int) -> float:
        step = 1.0 / self._fps
        if raw_t is None or not math.isfinite(raw_t) or raw_t < 0 or not self._trust:
            self.pts_missing += 1
            t = index * step if self._last is None else self._last + step
        elif self._last_raw is not None and raw_t < self._last_raw + MIN_STEP_S:
            # repeated, out of order or under 1 ms after the last (a raw stream's zeros, a 5000 fps header):
            # the frame's best guess is one nominal frame after the last
            self.repaired += 1
            t = self._last + step
        else:
            self._last_raw = float(raw_t)
            t = float(raw_t)
            if self._last is not None and t < self._last + MIN_STEP_S:  # behind a guess made just before
                self.repaired += 1
                t = self._last + MIN_STEP_S
        if self._last is None:
            self.first = t
        self._last = t
        return t

    @property
    def assumed_fps(self) -> float:
        return self._fps

    @property
    def last(self) -> float:
        return self.first if self._last is None else self._last


def _plausible_fps(fps: float) -> bool:
    return math.isfinite(fps) and 1.0 <= fps <= 1000.0


def _absurd_fps(claimed: float) -> bool:
    return claimed > 1000.0  # no camera films faster: the container's clock is wrong


def _frame_count(cap: cv2.VideoCapture) -> int:
    count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)  # negative or huge when the container has none
    return int(count) if math.isfinite(count) and 0 < count < 1e8 else 0


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
    return text if text.isprintable() and text else "unknown"


class _Capture:
    """An OpenCV capture used as a context manager (released on exit)."""

    _cap: cv2.VideoCapture

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cap.release()


class VideoFileSource(_Capture):
    """Iterate the frames of a video file.  Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"video not found: {self.path}; check the path")
        if self.path.is_dir():
            raise InputError(f"{self.path} is a folder, not a video; pass a video file")
        if self.path.stat().st_size == 0:
            raise InputError(f"{self.path} is empty (0 bytes); record or copy the video again")
        picture = probe.check_not_still_image(self.path)
        if picture:
            raise InputError(picture)  # OpenCV would read it as a one-frame video
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputError(probe.explain_unreadable(self.path))
        self._first = self._read_first()
        self.info = self._probe()
        self.warnings: list[str] = []
        self._stamps = TimestampFixer(self.info.fps, trust=not _absurd_fps(self.info.claimed_fps))
        self.frames_read = 0
        self.skipped = 0  # undecodable frames inside the video (damage), skipped over
        self._attempts = 1  # reads so far, the first frame included

    def _read_first(self) -> np.ndarray:
        ok, image = self._cap.read()
        if not ok or image is None:
            codec = _fourcc(self._cap)
            self._cap.release()
            raise InputError(
                f"{self.path.name} has no frame this OpenCV build can decode ({probe.codec_name(codec)}): "
                f"the file is damaged or the codec unsupported; re-encode it: "
                f"{probe.reencode_command(self.path)}"
            )
        self._first_t = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        return image

    def _probe(self) -> VideoInfo:
        cap = self._cap
        claimed = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = claimed if _plausible_fps(claimed) else 0.0
        count = _frame_count(cap)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        h, w = self._first.shape[:2]
        duration = count / fps if fps and count else 0.0
        return VideoInfo(
            path=str(self.path),
            kind="file",
            fps=fps,
            frame_count=count,
            width=w,
            height=h,
            rotation=rotation,
            duration_s=duration,
            codec=_fourcc(cap),
            claimed_fps=claimed if math.isfinite(claimed) else 0.0,
        )

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
        """Decode the next frame; its raw container timestamp in seconds, None at the end. After a decode
        error keep going while the container says frames remain: a damaged stretch must not throw away
        the rest of the set."""
        budget = max(300, int(10 * (self.info.fps or FALLBACK_FPS)))  # give up after ~10 s of undecodable frames
        failed = 0
        for _ in range(budget):
            ok = self._cap.grab()
            self._attempts += 1
            if ok:
                self.skipped += failed  # a damaged stretch inside the video (failures at the end are not)
                return self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            failed += 1
            if self._attempts >= self.info.frame_count:
                break
        return None

    def _retrieve(self) -> np.ndarray | None:
        ok, image = self._cap.retrieve()
        return image if ok and image is not None else None

    def _finish_warnings(self) -> None:
        self.warnings.extend(source_warnings(self.info, self.frames_read, self.skipped, self._stamps))


def source_warnings(info: VideoInfo, frames: int, skipped: int, stamps: TimestampFixer) -> list[str]:
    """What the report must say about a video it read: damage, unusable timestamps, too few pixels or frames."""
    out = []
    expected = info.frame_count
    if expected and frames + skipped < 0.98 * expected - 1:
        out.append(
            f"the video ended early: {frames} of {expected} frames could be decoded (truncated or corrupt "
            "file); results cover the decoded part"
        )
    if skipped:
        one = skipped == 1
        out.append(
            f"{skipped} damaged frame{'' if one else 's'} could not be decoded and {'was' if one else 'were'} "
            f"skipped; the time {'it' if one else 'they'} covered has no pose"
        )
    fixed = stamps.repaired + stamps.pts_missing
    if _absurd_fps(info.claimed_fps):
        out.append(
            f"the file says {info.claimed_fps:g} fps, which no camera films: its timestamps were ignored and "
            f"{stamps.assumed_fps:g} fps assumed; if the clip was filmed at another rate, all times are off by "
            "that ratio"
        )
    elif fixed:
        out.append(
            f"{fixed} of {frames} frame timestamps {'was' if fixed == 1 else 'were'} missing, repeated or out of "
            "order; assumed "
            f"{stamps.assumed_fps:g} fps for them"
            + (
                ": if the clip was filmed at another rate, all times are off by that ratio"
                if fixed > 0.1 * frames
                else ""
            )
        )
    if min(info.width, info.height) < MIN_SIDE_PX:
        out.append(
            f"the video is only {info.width}x{info.height} pixels: the pose model needs the body larger than "
            f"that; film at 720p or more"
        )
    span = stamps.last - stamps.first if frames > 1 else 0.0
    if frames > 2 and span > 0 and (frames - 1) / span < MIN_USEFUL_FPS:
        out.append(
            f"only {(frames - 1) / span:.1f} frames per second: rep phases cannot be timed below "
            f"{MIN_USEFUL_FPS:g} fps; film at 30 fps or more (or fix the file's frame-rate metadata)"
        )
    return out


class CameraSource(_Capture):
    """Iterate frames from a webcam, timestamped by the monotonic clock at capture."""

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None) -> None:
        self.path = None
        with probe.quiet_opencv():
            self._cap = cv2.VideoCapture(index)
        if width:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        if height:
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        opened = self._cap.isOpened()
        ok, image = self._cap.read() if opened else (False, None)
        if not ok or image is None:
            self._cap.release()
            raise CameraError(probe.camera_error(index, "busy" if opened else "missing"))
        self._t0 = time.monotonic()
        self._first = image
        h, w = image.shape[:2]
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.info = VideoInfo(
            path=None,
            kind="camera",
            fps=fps if _plausible_fps(fps) else 0.0,
            frame_count=0,
            width=w,
            height=h,
            rotation=0,
            duration_s=0.0,
            codec=_fourcc(self._cap),
        )
        self.warnings: list[str] = []
        self._stamps = TimestampFixer(self.info.fps)
        self.frames_read = 0

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
