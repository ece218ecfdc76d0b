"""Inputs: a video (the pose model runs, or the landmark cache answers), a landmarks CSV or a LandmarkSeries,
as a LandmarkSeries with what is known of its source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import LandmarkSeries
from formcheck.errors import InputError
from formcheck.io.cache import cache_key, load_entry, save_entry
from formcheck.io.extract import ExtractConfig, Extraction, extract_landmarks
from formcheck.io.model import BUNDLED_SHA256, ModelInfo, file_sha256, resolve_model
from formcheck.io.pose import PoseConfig, PoseEstimator
from formcheck.io.progress import frame_progress
from formcheck.io.video import VideoFileSource


@dataclass(frozen=True)
class InputInfo:
    path: str | None
    sha256: str | None
    kind: str  # video | landmarks | series
    fps: float | None
    duration_s: float
    frames: int
    width: int
    height: int
    rotation: int | None = None
    codec: str | None = None
    detection_rate: float | None = None
    pose_people: int | None = None  # a video: the people the pose model looked for on every frame (--people)
    pose_max_fps: float | None = None  # a video: the pose model's frame-rate cap (--max-fps; None: every frame)
    foot_track: bool | None = None  # a video: whether the heels and toes were refined from the picture

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class LoadedInput:
    series: LandmarkSeries
    info: InputInfo
    warnings: list[str] = field(default_factory=list)
    model_sha256: str | None = None
    interrupted: bool = False


LANDMARK_SUFFIXES = (".csv",)

# on_progress(stage, done, total): "pose" frames of the video read so far (total None when the file does not
# say), then "video" frames of annotated.mp4 written; how `formcheck serve` shows a job's progress.
ProgressHook = Callable[[str, int, "int | None"], None]


def is_landmarks_csv(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LANDMARK_SUFFIXES


def extract_video(
    path: str | Path,
    model: str | None = None,
    show_progress: bool = True,
    quiet_native: bool = True,
    pose_config: PoseConfig | None = None,
    extract: ExtractConfig | None = None,
    use_cache: bool = True,
    input_sha256: str | None = None,
    on_progress: ProgressHook | None = None,
) -> Extraction:
    """Run the pose model over a video file; Ctrl-C keeps what was done (interrupted=True).

    With use_cache, landmarks already extracted from the same file with the same model and
    settings come from the landmark cache (formcheck.io.cache) and the model is not run.
    """
    if is_landmarks_csv(path):
        raise InputError(
            f"{Path(path).name} is already a landmarks CSV; pass a video to extract, "
            "or run 'formcheck analyze' on the CSV"
        )
    extract = extract or ExtractConfig()
    if pose_config is not None:
        extract = replace(extract, pose=pose_config)
    with VideoFileSource(path) as source:
        model_info = resolve_model(model)
        key = None
        if use_cache:
            key = cache_key(input_sha256 or file_sha256(Path(path)), model_info.sha256, extract.key())
            hit = load_entry(key)
            if hit is not None:
                series, info, warnings = hit  # the same bytes, maybe under another name now
                return Extraction(
                    series=series, info=replace(info, path=str(source.path)), warnings=warnings, from_cache=True
                )
        result = _run_model(source, model_info, extract, show_progress, quiet_native, on_progress)
    if key is not None and not result.interrupted:
        save_entry(key, result.series, result.info, result.warnings)
    return result


def _run_model(
    source: VideoFileSource,
    model: ModelInfo,
    extract: ExtractConfig,
    show_progress: bool,
    quiet_native: bool,
    on_progress: ProgressHook | None = None,
) -> Extraction:
    with PoseEstimator(model, extract.pose, quiet=quiet_native, masks=extract.foot_track) as estimator:
        total = source.info.frame_count or None
        with frame_progress(f"pose {source.path.name}", total, enabled=show_progress) as advance:
            last = [-1]

            def progress(frame, pose) -> None:
                advance(frame.index - last[0])
                last[0] = frame.index
                if on_progress is not None:
                    on_progress("pose", frame.index + 1, total)

            result = extract_landmarks(source, source.info, estimator, on_frame=progress, config=extract)
    result.warnings.extend(source.warnings)
    return result


def series_info(series: LandmarkSeries, path: str | None, sha: str | None, kind: str) -> InputInfo:
    t = series.t
    fps = float(1.0 / np.median(np.diff(t))) if len(t) > 1 else None
    duration = float(t[-1] - t[0] + (1.0 / fps if fps else 0.0)) if len(t) else 0.0
    return InputInfo(
        path=path,
        sha256=sha,
        kind=kind,
        fps=fps,
        duration_s=duration,
        frames=len(series),
        width=series.width,
        height=series.height,
        detection_rate=float(series.found.mean()) if len(series) else 0.0,
    )


def load_input(
    source: str | Path | LandmarkSeries,
    model: str | None = None,
    show_progress: bool = False,
    quiet_native: bool = True,
    extract: Any = None,
    use_cache: bool = True,
    on_progress: ProgressHook | None = None,
) -> LoadedInput:
    """A landmarks CSV, a video (runs the pose model) or a LandmarkSeries, as a LoadedInput."""
    if isinstance(source, LandmarkSeries):
        return LoadedInput(source, series_info(source, None, None, "series"))
    path = Path(source)
    if not path.exists():
        raise InputError(f"input not found: {path}; pass a video file or a landmarks CSV")
    if path.is_dir():
        raise InputError(f"{path} is a folder; pass one video file or landmarks CSV")
    sha = file_sha256(path)
    if is_landmarks_csv(path):
        from formcheck.io.landmarks_csv import load_landmarks_csv

        series = load_landmarks_csv(path)
        return LoadedInput(series, series_info(series, str(path), sha, "landmarks"))
    extract = extract or ExtractConfig()
    result = extract_video(
        path,
        model=model,
        show_progress=show_progress,
        quiet_native=quiet_native,
        extract=extract,
        use_cache=use_cache,
        input_sha256=sha,
        on_progress=on_progress,
    )
    vi = result.info
    info = InputInfo(
        path=str(path),
        sha256=sha,
        kind="video",
        fps=vi.fps or None,
        duration_s=_video_duration(vi, result.series),
        frames=len(result.series),
        width=vi.width,
        height=vi.height,
        rotation=vi.rotation,
        codec=vi.codec,
        detection_rate=result.detection_rate,
        pose_people=extract.pose.num_poses,
        pose_max_fps=extract.max_fps,
        foot_track=extract.foot_track,
    )
    model_sha = BUNDLED_SHA256 if model is None else file_sha256(Path(model))
    return LoadedInput(result.series, info, list(result.warnings), model_sha, result.interrupted)


def _video_duration(vi: Any, series: LandmarkSeries) -> float:
    if len(series) > 1:
        return float(series.t[-1] - series.t[0] + np.median(np.diff(series.t)))
    return float(vi.duration_s)
