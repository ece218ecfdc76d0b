"""Frames for the live view, each stamped with when it became available (for latency).

`SyncFrames`: every frame of a file, read as fast as they are processed (nothing dropped).
`LatestFrames`: a background thread reads the source (a camera, or a file played at its own pace)
and keeps only the newest frame: when processing is slower than the source, older frames are
dropped and counted instead of piling up, so the view never lags behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.io.video import Frame


@dataclass(frozen=True)
class LiveFrame:
    index: int
    t: float  # seconds: the container's timestamp (file) or the clock at capture (camera)
    image: np.ndarray  # BGR, upright
    available: float  # time.perf_counter() when the frame was captured / read
    pose: Any = None  # landmarks already known (a replayed landmarks CSV): no pose model needed
    read_ms: float = 0.0  # how long reading (decoding) it took; a camera's includes waiting for its next frame
    refined: Any = None  # the replayed CSV's refined feet (4, 2), when it has them


def _timed(frames: Iterator[Frame]) -> Iterator[tuple[Frame, float]]:
    """(frame, milliseconds its reading took) for each frame of an iterator."""
    while True:
        start = time.perf_counter()
        try:
            frame = next(frames)
        except StopIteration:
            return
        yield frame, 1000.0 * (time.perf_counter() - start)


class SyncFrames:
    """Every frame of the source, in order; `available` is when it was decoded."""

    lossless = True  # every frame is analyzed and shown: processing paces the reading

    def __init__(self, source: Iterable[Frame]) -> None:
        self._source = source
        self.dropped = 0
        self.read = 0

    def __iter__(self) -> Iterator[LiveFrame]:
        for f, read_ms in _timed(iter(self._source)):
            self.read += 1
            yield LiveFrame(f.index, f.t, f.image, time.perf_counter(), read_ms=read_ms)

    def close(self) -> None:
        pass


class LatestFrames:
    """The newest frame of a source read on a background thread; frames not taken in time are dropped.

    pace=True plays a file at its own timestamps (as a camera would deliver it), from when the first frame is
    asked for: the seconds the pose model takes to load do not drop the clip's start."""

    lossless = False  # the newest frame wins: the view never lags behind the camera

    def __init__(self, source: Iterable[Frame], pace: bool = False) -> None:
        self._source = source
        self._pace = pace
        self._cond = threading.Condition()
        self._slot: LiveFrame | None = None
        self._done = False
        self._stop = False
        self.error: BaseException | None = None
        self.dropped = 0
        self.read = 0
        self._thread = threading.Thread(target=self._run, name="formcheck-capture", daemon=True)
        if not pace:  # a camera is read from the start; a paced file when the first frame is asked for
            self._thread.start()

    def _run(self) -> None:
        start = time.perf_counter()
        try:
            for f, read_ms in _timed(iter(self._source)):
                if self._stop:
                    break
                if self._pace:
                    delay = start + f.t - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                frame = LiveFrame(f.index, f.t, f.image, time.perf_counter(), read_ms=read_ms)
                with self._cond:
                    self.read += 1
                    if self._slot is not None:
                        self.dropped += 1
                    self._slot = frame
                    self._cond.notify()
        except BaseException as exc:
            self.error = exc
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def __iter__(self) -> Iterator[LiveFrame]:
        if not self._thread.is_alive() and self._thread.ident is None:
            self._thread.start()
        while True:
            with self._cond:
                while self._slot is None and not self._done:
                    self._cond.wait(0.5)
                frame, self._slot = self._slot, None
                done = self._done
            if frame is not None:
                yield frame
            elif done:
                if self.error is not None:
                    raise self.error
                return

    def close(self) -> None:
        self._stop = True
        if self._thread.ident is not None:
            self._thread.join(timeout=2.0)


class ReplayFrames:
    """A recorded landmarks CSV played through the live path (no video, no model): each frame is a
    blank image of the recorded size carrying its stored landmarks."""

    lossless = True

    def __init__(self, series: Any) -> None:
        from formcheck.io.pose import PoseFrame

        self._series = series
        self._pose = PoseFrame
        self.dropped = 0
        self.read = 0

    def __iter__(self) -> Iterator[LiveFrame]:
        s = self._series
        blank = np.zeros((s.height, s.width, 3), np.uint8)
        nan = np.full((len(s.t), s.xy.shape[1]), np.nan)
        presence = s.presence if s.presence is not None else nan
        world = s.world if s.world is not None else np.full(s.xy.shape[:2] + (3,), np.nan)
        for k in range(len(s.t)):
            self.read += 1
            pose = self._pose(s.xy[k], s.z[k], s.vis[k], presence[k], world[k])
            refined = None if s.refined is None else s.refined[k]
            yield LiveFrame(int(s.frame[k]), float(s.t[k]), blank.copy(), time.perf_counter(), pose, refined=refined)

    def close(self) -> None:
        pass


class LandmarksReplay:
    """A landmarks CSV as a live source (it has no camera image)."""

    def __init__(self, path: str) -> None:
        from formcheck.io.landmarks_csv import load_landmarks_csv
        from formcheck.io.video import VideoInfo

        self.series = load_landmarks_csv(path)
        s = self.series
        fps = float(1 / np.median(np.diff(s.t))) if len(s.t) > 1 else 30.0
        self.info = VideoInfo(str(path), "landmarks", fps, len(s.t), s.width, s.height, 0, 0.0, "none")

    def close(self) -> None:
        pass


def open_frames(
    source: str | None, camera: int | str | None = None, realtime: bool = False, max_fps: float | None = None
) -> tuple[Any, Any]:
    """(source, frames): a camera read on a background thread (newest frame only), a video file (every frame, or
    played at its own pace when realtime), or a landmarks CSV replayed without the pose model (every row: it was
    extracted at its own rate). max_fps: a camera's or a video's frames beyond this rate are skipped by their
    timestamps before anything else sees them (not counted as read or dropped), as analyze skips them."""
    from formcheck.inputs import is_landmarks_csv
    from formcheck.io.extract import select_frames
    from formcheck.io.video import CameraSource, VideoFileSource

    if source is not None and is_landmarks_csv(source):
        replay = LandmarksReplay(source)
        return replay, ReplayFrames(replay.series)
    if source is not None:
        video = VideoFileSource(source)
        kept = select_frames(video, max_fps)
        return video, (LatestFrames(kept, pace=True) if realtime else SyncFrames(kept))
    cam = CameraSource(camera or 0)
    return cam, LatestFrames(select_frames(cam, max_fps))
