"""Video -> landmarks: run the pose model over every frame of a source."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

import cv2
import numpy as np

from formcheck.core.landmarks import LandmarkSeries
from formcheck.io.pose import PoseEstimator, PoseFrame
from formcheck.io.video import Frame, VideoInfo


@dataclass
class Extraction:
    """Landmarks of one source plus what happened while reading it."""

    series: LandmarkSeries
    info: VideoInfo
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

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

    def append(self, index: int, t: float, pose: PoseFrame) -> None:
        self._t.append(t)
        self._frame.append(index)
        self._poses.append(pose)

    def __len__(self) -> int:
        return len(self._t)

    def build(self) -> LandmarkSeries:
        n = len(self._t)
        if n == 0:
            return LandmarkSeries.empty(0, self.width, self.height)
        stack = lambda name: np.stack([getattr(p, name) for p in self._poses])  # noqa: E731
        return LandmarkSeries(t=np.array(self._t), xy=stack("xy"), z=stack("z"), vis=stack("vis"),
                              width=self.width, height=self.height, frame=np.array(self._frame),
                              presence=stack("presence"), world=stack("world"))


def extract_landmarks(frames: Iterable[Frame], info: VideoInfo, estimator: PoseEstimator,
                      on_frame: Callable[[Frame, PoseFrame], None] | None = None) -> Extraction:
    """Pose per frame.  Ctrl-C stops early and keeps what was extracted (interrupted=True)."""
    builder = SeriesBuilder(info.width, info.height)
    interrupted = False
    try:
        for frame in frames:
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            pose = estimator.detect(rgb, frame.t)
            builder.append(frame.index, frame.t, pose)
            if on_frame is not None:
                on_frame(frame, pose)
    except KeyboardInterrupt:
        interrupted = True
    return Extraction(series=builder.build(), info=info, interrupted=interrupted)


