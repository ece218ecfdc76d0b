"""Everything a live session records, appended to disk as it happens, so a crash or a kill loses nothing.

- landmarks.csv: the landmarks CSV format (docs/outputs.md, "Landmarks CSV"), one row per processed frame,
  each row written with a single unbuffered write: a killed process leaves whole rows only.
- live.jsonl: one JSON object per line (reps as counted and timed live, faults as warned, stance,
  side and view changes, key presses), written the same way.
- raw.mkv (with --record): the camera image, H.264 in Matroska written by a separate ffmpeg process
  that finishes the file if we die; a Matroska file cut anywhere still plays up to the cut.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import OutputError
from formcheck.io.landmarks_csv import PRESENCE_COLUMNS, REFINED_COLUMNS, REQUIRED_COLUMNS, WORLD_COLUMNS

LANDMARKS_NAME, EVENTS_NAME, RAW_NAME = "landmarks.csv", "live.jsonl", "raw.mkv"


def _cell(x: float) -> str:
    return "" if not math.isfinite(x) else repr(float(x))


def landmark_row(
    index: int,
    t: float,
    width: int,
    height: int,
    xy: np.ndarray,
    z: np.ndarray,
    vis: np.ndarray,
    presence: np.ndarray,
    world: np.ndarray,
    refined: np.ndarray | None = None,
) -> str:
    """One landmarks CSV line (with the presence and world columns, and the refined feet when given);
    NaN is an empty cell."""
    pose = np.concatenate([xy, z[:, None], vis[:, None]], axis=1).ravel()
    cells = [str(int(index)), _cell(t), str(int(width)), str(int(height))]
    cells += [_cell(v) for v in pose] + [_cell(v) for v in presence] + [_cell(v) for v in world.ravel()]
    if refined is not None:
        cells += [_cell(v) for v in np.asarray(refined, float).ravel()]
    return ",".join(cells) + "\n"


class AppendFile:
    """A file written only by whole lines, each with one unbuffered write()."""

    def __init__(self, path: Path, first_line: str | None = None) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        except OSError as exc:
            raise OutputError(
                f"could not create {path} ({exc.strerror or exc}); choose a writable folder with -o"
            ) from None
        if first_line is not None:
            self.write(first_line)

    def write(self, line: str) -> None:
        data = line.encode("utf-8")
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            raise OutputError(f"could not write {self.path} ({exc.strerror or exc}); free some disk space") from None

    def close(self) -> None:
        if self._fd >= 0:
            try:
                os.fsync(self._fd)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = -1


class SessionRecorder:
    """Appends a live session's landmarks, events and (optionally) raw video to out_dir."""

    def __init__(
        self, out_dir: Path, width: int, height: int, fps: float, video: bool = False, refined: bool = False
    ) -> None:
        """refined: every frame() call gives the refined feet (the CSV gets their columns)."""
        self.out_dir = Path(out_dir)
        self.width, self.height = width, height
        self.refined = refined
        columns = REQUIRED_COLUMNS + PRESENCE_COLUMNS + WORLD_COLUMNS + (REFINED_COLUMNS if refined else ())
        header = ",".join(columns) + "\n"
        self.landmarks = AppendFile(self.out_dir / LANDMARKS_NAME, header)
        self.events = AppendFile(self.out_dir / EVENTS_NAME)
        self.rows = 0
        self.warnings: list[str] = []
        self._video = None
        if video:
            from formcheck.io.video_writer import VideoEncoder

            self._fps = fps or 30.0
            self._video = VideoEncoder(self.out_dir / RAW_NAME, width, height, self._fps, streamable=True)
            self._t0: float | None = None
            self._written = 0
            self._last_image: np.ndarray | None = None
            self.warnings += self._video.warnings

    def frame(self, index: int, t: float, pose: Any, refined: np.ndarray | None = None) -> None:
        """Append one frame's landmarks (a formcheck.io.pose.PoseFrame) and, when recording them, its refined
        feet ((4, 2), NaN where not tracked)."""
        if self.refined:
            refined = np.full((len(REFINED_COLUMNS) // 2, 2), np.nan) if refined is None else refined
        self.landmarks.write(
            landmark_row(
                index,
                t,
                self.width,
                self.height,
                pose.xy,
                pose.z,
                pose.vis,
                pose.presence,
                pose.world,
                refined if self.refined else None,
            )
        )
        self.rows += 1

    def event(self, record: dict[str, Any]) -> None:
        self.events.write(json.dumps(_finite(record), ensure_ascii=False, allow_nan=False, default=_plain) + "\n")

    def video_frame(self, image: np.ndarray, t: float) -> None:
        """Append a frame taken at t (seconds) to raw.mkv, which runs at a fixed rate: frames dropped before it
        (processing slower than the source) are filled with the last picture, so the video keeps the session's
        pace; a frame early for its slot (a camera's jitter) is left out."""
        if self._video is None:
            return
        self._t0 = t if self._t0 is None else self._t0
        due = int(round((t - self._t0) * self._fps)) + 1  # frames the video should hold up to this one
        if due <= self._written:
            return
        for _ in range(due - self._written - 1):
            self._video.write(image if self._last_image is None else self._last_image)
        self._video.write(image)
        self._written, self._last_image = due, image

    @property
    def video_path(self) -> Path | None:
        return self.out_dir / RAW_NAME if self._video is not None else None

    def close(self) -> None:
        self.landmarks.close()
        self.events.close()
        if self._video is not None:
            self._video.close()
            self._video = None


def _finite(value: Any) -> Any:
    """NaN and infinities become null (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def load_events(path: Path) -> list[dict[str, Any]]:
    """The records of a live.jsonl (a partial last line, impossible with whole-line writes, is skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out
