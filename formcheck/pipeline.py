"""What the CLI and the Python API run: glue between the edges (io) and the core."""
from __future__ import annotations

from pathlib import Path

from formcheck.errors import InputError
from formcheck.io.extract import Extraction, extract_landmarks
from formcheck.io.pose import PoseConfig, PoseEstimator
from formcheck.io.progress import frame_progress
from formcheck.io.video import VideoFileSource

LANDMARK_SUFFIXES = (".csv",)


def is_landmarks_csv(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LANDMARK_SUFFIXES


def extract_video(path: str | Path, model: str | None = None, show_progress: bool = True,
                  quiet_native: bool = True, pose_config: PoseConfig | None = None) -> Extraction:
    """Run the pose model over a video file; Ctrl-C keeps what was done (interrupted=True)."""
    if is_landmarks_csv(path):
        raise InputError(f"{Path(path).name} is already a landmarks CSV; pass a video to extract, "
                         "or run 'formcheck analyze' on the CSV")
    with VideoFileSource(path) as source, PoseEstimator(model, pose_config, quiet=quiet_native) as estimator:
        total = source.info.frame_count or None
        with frame_progress(f"pose {Path(path).name}", total, enabled=show_progress) as advance:
            result = extract_landmarks(source, source.info, estimator, on_frame=lambda f, p: advance(1))
        result.warnings.extend(source.warnings)
    return result
