"""The annotated video: a second pass over the input, each frame drawn by a callback, encoded H.264.

`write_annotated_video(video_path, state_at, out_path)` streams: one decoded frame in memory at a
time, whatever the clip's length. Output: H.264 (libx264, yuv420p, +faststart) with the ffmpeg binary
of the imageio-ffmpeg wheel, so it plays in browsers and on phones; same frame count as the decoded
input, at the input's frame rate (so the same duration), upright (the source applies rotation
metadata). At most VIDEO_MAX_SIDE px on the long side: a 1080p or 4K phone clip gives a
720p video, which encodes about 3x faster than 1080p (bench/speed.py, (d)) and plays on any phone.
Decoding runs in a background thread (io/prefetch.py) while frames are drawn and encoded.
Written to a temporary file and renamed, so a failed or interrupted run leaves no half-written
annotated.mp4. Without imageio-ffmpeg it falls back to OpenCV's MPEG-4 Part 2 writer
(plays in desktop players, not in most browsers) and says so in the result's warnings.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from formcheck.errors import OutputError
from formcheck.io.pose import model_size
from formcheck.io.prefetch import prefetch
from formcheck.io.progress import frame_progress
from formcheck.io.video import FALLBACK_FPS, VideoFileSource

CRF, PRESET = 23, "veryfast"
VIDEO_MAX_SIDE = 1280  # px, annotated.mp4's long side at most (0 or None: the input's size)
FrameHook = Callable[[int, np.ndarray], None]


@dataclass
class VideoWriteResult:
    path: Path
    frames: int
    fps: float
    codec: str
    warnings: list[str] = field(default_factory=list)


class VideoEncoder:
    """H.264 through imageio-ffmpeg's bundled ffmpeg (or OpenCV's mp4v as a fallback).

    streamable=True writes Matroska as it goes (for recordings that may be cut short): ffmpeg runs
    in its own process, so if ours is killed it sees the pipe close and finishes the file, and a
    Matroska file cut anywhere still plays up to the cut."""

    def __init__(self, path: Path, width: int, height: int, fps: float, streamable: bool = False) -> None:
        self.warnings: list[str] = []
        self._gen: Any = None
        self._cv: Any = None
        try:
            import imageio_ffmpeg

            pad = [] if width % 2 == 0 and height % 2 == 0 else ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]
            self._gen = imageio_ffmpeg.write_frames(
                str(path),
                (width, height),
                pix_fmt_in="bgr24",
                pix_fmt_out="yuv420p",
                fps=Fraction(fps).limit_denominator(100000),
                codec="libx264",
                quality=None,
                macro_block_size=1,
                ffmpeg_log_level="error",
                output_params=(
                    ["-crf", str(CRF), "-preset", "ultrafast", "-f", "matroska", *pad]
                    if streamable
                    else ["-crf", str(CRF), "-preset", PRESET, "-movflags", "+faststart", "-f", "mp4", *pad]
                ),
            )
            self._gen.send(None)
            self.codec = "h264"
        except (ImportError, RuntimeError) as exc:  # no wheel for this platform, or no binary in it
            self._cv = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
            if not self._cv.isOpened():
                raise OutputError(
                    f"no video encoder available ({exc}); pip install imageio-ffmpeg, or use --no-video"
                ) from None
            self.codec = "mp4v"
            self.warnings.append(
                f"annotated.mp4 is MPEG-4 Part 2 (imageio-ffmpeg unavailable: {exc}); it may not "
                "play in a browser: pip install imageio-ffmpeg for H.264"
            )

    def write(self, frame: np.ndarray) -> None:
        if self._gen is not None:
            self._gen.send(np.ascontiguousarray(frame))
        else:
            self._cv.write(frame)

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
        if self._cv is not None:
            self._cv.release()


def write_annotated_video(
    video_path: str | Path,
    state_at: Callable[[int], Any],
    out_path: str | Path,
    draw: Callable[[np.ndarray, Any], np.ndarray] | None = None,
    on_frame: FrameHook | None = None,
    show_progress: bool = False,
    max_side: int | None = VIDEO_MAX_SIDE,
) -> VideoWriteResult:
    """Decode video_path, draw draw(frame, state_at(index)) on each frame, encode to out_path atomically.

    draw defaults to formcheck.viz.overlay.draw_overlay. Frames are scaled down to max_side before
    drawing (in the decoding thread), so the overlay is drawn crisp at the output size: a state with a
    scaled(factor) method (OverlayState) is scaled from the input's pixels to the output's.
    on_frame(index, raw_frame) sees each written frame at full size before drawing (e.g. to keep
    thumbnails); it must copy what it keeps.
    """
    if draw is None:
        from formcheck.viz.overlay import draw_overlay as draw
    out = Path(out_path)
    tmp = out.with_name(f".{out.name}.tmp{os.getpid()}")
    encoder: VideoEncoder | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with VideoFileSource(video_path) as source:
            fps = source.info.fps or FALLBACK_FPS
            size = output_size(source.info.width, source.info.height, max_side)
            encoder = VideoEncoder(tmp, *size, fps)
            n = _annotate_frames(source, encoder, size, state_at, draw, on_frame, show_progress)
            encoder.close()
        os.replace(tmp, out)
    except OSError as exc:
        if encoder is not None:
            _close_quietly(encoder)
        raise OutputError(
            f"could not write {out} ({getattr(exc, 'strerror', None) or exc}); free some disk space, "
            "choose another folder with -o, or use --no-video"
        ) from None
    except BaseException:
        if encoder is not None:
            _close_quietly(encoder)
        raise
    finally:
        _remove_quietly(tmp)
    # the input's own warnings (a short or damaged clip, low resolution) are the analysis' to report, once
    return VideoWriteResult(out, n, fps, encoder.codec, list(encoder.warnings))


def output_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) scaled down so the long side is at most max_side (never up; None or 0: unchanged)."""
    size = model_size(width, height, max_side)
    if size == (width, height):
        return size
    return max(2, round(size[0] / 2) * 2), max(2, round(size[1] / 2) * 2)  # even: yuv420p


def _annotate_frames(
    source: VideoFileSource,
    encoder: VideoEncoder,
    size: tuple[int, int],
    state_at: Callable[[int], Any],
    draw: Callable[[np.ndarray, Any], np.ndarray],
    on_frame: FrameHook | None,
    show_progress: bool,
) -> int:
    scale = size[0] / source.info.width
    if scale == 1.0:
        scaled = ((f, f.image) for f in source)
    else:  # INTER_AREA is 3x slower than linear at 1080p -> 720p, for no visible gain on a video
        scaled = ((f, cv2.resize(f.image, size, interpolation=cv2.INTER_LINEAR)) for f in source)
    n = 0
    total = source.info.frame_count or None
    with frame_progress(f"video {source.path.name}", total, enabled=show_progress) as advance:
        decoded = prefetch(scaled)
        try:
            for frame, image in decoded:
                if on_frame is not None:
                    on_frame(frame.index, frame.image)
                state = state_at(frame.index)
                if scale != 1.0 and hasattr(state, "scaled"):
                    state = state.scaled(scale)
                encoder.write(draw(image, state))
                n += 1
                advance(1)
        finally:
            decoded.close()
    return n


def _close_quietly(encoder: VideoEncoder) -> None:
    try:
        encoder.close()
    except Exception:
        pass


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
