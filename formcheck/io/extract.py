"""Video -> landmarks: run the pose model over the frames of a source.

Frames are decoded, scaled down to what the model needs and colour-converted in a
background thread (formcheck.io.prefetch) while the model runs on the previous ones. The
foot track (formcheck.io.foot_track) follows the model by a frame or two in a worker thread of
its own, so on a machine with a core to spare it costs little of the wall-clock time.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from formcheck.core.landmarks import LandmarkSeries
from formcheck.errors import InputError
from formcheck.io.foot_track import FOOT_TRACK_VERSION, FootTracker
from formcheck.io.interrupt import ctrl_c_requests
from formcheck.io.pose import ModelImage, PoseConfig, PoseEstimator, PoseFrame, model_image
from formcheck.io.prefetch import prefetch
from formcheck.io.video import MIN_USEFUL_FPS, Frame, VideoInfo

DEFAULT_MAX_FPS = 30.0  # the pose model's frame rate cap, the same in analyze, batch, extract and live
KEEP_SPACING = 0.9  # with max_fps N a frame is kept once 0.9/N s have passed since the last kept one
RATE_WINDOW = 15  # ... or when the source's mean frame interval over this many frames is that long
STALL_GAP = 1.5  # ... each interval counted at most this many times the spacing
FRAME_RULE_VERSION = 2  # part of the landmark cache key: bump when keep_at_most keeps other frames
FEET_BEHIND = 2  # the foot track may lag the pose model by this many frames (each holds its picture)


@dataclass(frozen=True)
class ExtractConfig:
    """How frames are handed to the pose model (part of the landmark cache key)."""

    # long side of the frame the model sees, pixels (None: full size). Full size by default: the model's
    # time does not depend on it, and halving 960 px frames changed reps and faults in bench/accuracy.py
    max_side: int | None = None
    max_fps: float | None = DEFAULT_MAX_FPS  # analyze at most this many frames per second (None: every frame)
    pose: PoseConfig = field(default_factory=PoseConfig)
    ahead: int = 4  # frames decoded ahead of the model (bounded: memory does not grow with the clip)
    foot_track: bool = True  # refine the heels and toes from the picture (formcheck.io.foot_track)

    def __post_init__(self) -> None:
        if self.max_side is not None and not 64 <= self.max_side <= 8192:
            raise InputError(f"the model frame size must be 64-8192 pixels, got {self.max_side}")
        check_max_fps(self.max_fps)
        if self.ahead < 1:
            raise InputError("ahead must be at least 1 frame")

    def key(self) -> dict[str, Any]:
        """The settings that change the landmarks (not `ahead`); the foot track by its version, so a changed
        tracker never reuses old refined points."""
        key = {k: v for k, v in asdict(self).items() if k != "ahead"}
        key["foot_track"] = FOOT_TRACK_VERSION if self.foot_track else False
        if self.max_fps is not None:
            key["frames"] = FRAME_RULE_VERSION  # keep_at_most's rule: a jittery clip's frames changed with it
        return key


def check_max_fps(max_fps: float | None) -> None:
    """max_fps (None: every frame) must leave enough frames to time rep phases."""
    if max_fps is not None and not MIN_USEFUL_FPS <= max_fps <= 1000.0:
        raise InputError(
            f"--max-fps must be 0 (every frame) or {MIN_USEFUL_FPS:g}-1000 frames per second, got "
            f"{max_fps:g}: rep phases cannot be timed below {MIN_USEFUL_FPS:g} fps; "
            f"leave it out for the default, {DEFAULT_MAX_FPS:g}"
        )


def keep_at_most(max_fps: float | None) -> Callable[[float], bool] | None:
    """A frame filter on real timestamps: keeps a frame once 0.9/max_fps s have passed since the last kept, and
    every frame of a source whose own frames come at most max_fps/0.9 a second (the mean of its last RATE_WINDOW
    frame intervals, at least two, each counted at most STALL_GAP x that spacing, is that long: a mean, as a frame
    early or late by a few milliseconds moves it by little; capped, so a stall does not let a faster source
    through), however its timestamps jitter.

    60 fps -> 30 keeps every 2nd frame, 120 -> every 4th, 240 -> every 8th; a 30 fps clip or camera keeps every
    frame, also when its frames come a few milliseconds early or late (by the spacing alone a frame 3.4 ms early
    after a late one was skipped: 11 % of the frames with 2 ms of jitter about a 30 fps clock, 21 % with 3 ms).
    A source between max_fps/0.9 and twice the cap keeps every 2nd frame (35 fps -> 17.5). None: no filter.
    """
    if max_fps is None:
        return None
    spacing = KEEP_SPACING / max_fps
    last = [-math.inf, -math.inf]  # the last kept frame's time, the last offered one's
    gaps: deque[float] = deque(maxlen=RATE_WINDOW)

    def keep(t: float) -> bool:
        if math.isfinite(last[1]):  # a stall counts as one long interval, not as a slow source
            gaps.append(min(t - last[1], STALL_GAP * spacing))
        last[1] = t
        if t - last[0] >= spacing - 1e-9 or (len(gaps) >= 2 and statistics.fmean(gaps) >= spacing - 1e-9):
            last[0] = t
            return True
        return False

    return keep


def analyzed_fps(fps: float, max_fps: float | None) -> float:
    """The frame rate keep_at_most leaves of an even fps source: the source's, capped at max_fps (60 fps capped at
    30 keeps every 2nd frame, 50 every 2nd: 25)."""
    if not max_fps or not fps or fps <= max_fps:
        return fps
    return fps / math.ceil(KEEP_SPACING * fps / max_fps - 1e-9)


def select_frames(frames: Iterable[Frame], max_fps: float | None) -> Iterator[Frame]:
    """The frames to analyze; a video source skips the others without converting their pixels."""
    keep = keep_at_most(max_fps)
    if keep is None:
        return iter(frames)
    by_source = getattr(frames, "frames", None)
    return by_source(keep) if by_source is not None else (f for f in frames if keep(f.t))


def model_frames(frames: Iterable[Frame], config: ExtractConfig) -> Iterator[tuple[Frame, ModelImage]]:
    """(frame, the model's image of it), decoded and prepared in a background thread."""
    return prefetch(
        ((f, model_image(f.image, config.max_side)) for f in select_frames(frames, config.max_fps)), config.ahead
    )


@dataclass
class Extraction:
    """Landmarks of one source plus what happened while reading it."""

    series: LandmarkSeries
    info: VideoInfo
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False
    from_cache: bool = False  # the landmarks came from the landmark cache, the model did not run
    pose_rechecks: int = 0  # frames the person lock searched for several people

    @property
    def detection_rate(self) -> float:
        return float(self.series.found.mean()) if len(self.series) else 0.0


class SeriesBuilder:
    """Collects PoseFrames one by one (batch and live share it)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._t: list[float] = []
        self._frame: list[int] = []
        self._poses: list[PoseFrame] = []
        self._refined: list[np.ndarray] | None = None

    def append(self, index: int, t: float, pose: PoseFrame, refined: np.ndarray | None = None) -> None:
        """One frame; `refined` (4, 2) from a FootTracker, given for every frame or for none."""
        self._t.append(t)
        self._frame.append(index)
        self._poses.append(pose)
        if refined is not None:
            self._refined = [] if self._refined is None else self._refined
            self._refined.append(refined)

    def __len__(self) -> int:
        return len(self._t)

    def build(self) -> LandmarkSeries:
        n = len(self._t)
        if n == 0:
            return LandmarkSeries.empty(0, self.width, self.height)
        stack = lambda name: np.stack([getattr(p, name) for p in self._poses])
        return LandmarkSeries(
            t=np.array(self._t),
            xy=stack("xy"),
            z=stack("z"),
            vis=stack("vis"),
            width=self.width,
            height=self.height,
            frame=np.array(self._frame),
            presence=stack("presence"),
            world=stack("world"),
            refined=None if self._refined is None else np.stack(self._refined),
        )


def person_segmenter(estimator: Any) -> Callable[[np.ndarray], list[np.ndarray]] | None:
    """The estimator's people's masks for the foot track, if it gives them (a stand-in model in tests may not)."""
    make = getattr(estimator, "person_segmenter", None)
    return make() if make is not None else None


def extract_landmarks(
    frames: Iterable[Frame],
    info: VideoInfo,
    estimator: PoseEstimator,
    on_frame: Callable[[Frame, PoseFrame], None] | None = None,
    config: ExtractConfig | None = None,
) -> Extraction:
    """Pose per frame, and with config.foot_track the heels and toes refined from the picture.
    Ctrl-C stops early and keeps what was extracted (interrupted=True)."""
    config = config or ExtractConfig()
    builder = SeriesBuilder(info.width, info.height)
    feet = FootTracker(segment_person=person_segmenter(estimator)) if config.foot_track else None
    interrupted = False
    stream = model_frames(frames, config)
    # frames whose pose is known, with their foot track under way (None: not tracked), oldest first
    behind: deque[tuple[Frame, PoseFrame, Future | None]] = deque()

    def settle(keep: int) -> None:
        while len(behind) > keep:
            frame, pose, refined = behind[0]
            builder.append(frame.index, frame.t, pose, None if refined is None else refined.result())
            behind.popleft()  # only now: a Ctrl-C while waiting for the result leaves the frame to settle again

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="formcheck-feet") as worker, ctrl_c_requests() as ctrl_c:
        try:
            for frame, image in stream:
                pose = estimator.detect(image, frame.t)
                track = None if feet is None else worker.submit(feet.update, frame.image, frame.t, pose.xy, pose.vis)
                behind.append((frame, pose, track))
                settle(FEET_BEHIND)
                if on_frame is not None:
                    on_frame(frame, pose)
                if ctrl_c.requested:
                    break  # interrupted, read below
        except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread's handler
            interrupted = True
        finally:
            stream.close()  # stops and joins the decoding thread
            settle(0)  # the frames already through the model keep their foot track: nothing computed is lost
    interrupted = interrupted or ctrl_c.requested  # a Ctrl-C after the last frame's check still counts
    lock = getattr(estimator, "lock", None)
    return Extraction(
        series=builder.build(),
        info=info,
        interrupted=interrupted,
        pose_rechecks=lock.rechecks if lock is not None else 0,
    )
