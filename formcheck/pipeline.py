"""What the CLI, batch workers and the Python API run: glue between the edges (io) and the core.

`analyze_to_folder()` is the one place that turns an input (video or landmarks CSV) into an
output folder; `formcheck analyze`, `formcheck batch` and `formcheck live` (on exit) all use it,
so every entry point writes the same files.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from formcheck.errors import InputError, Interrupted
from formcheck.io.cache import cache_key, load_entry, save_entry
from formcheck.io.extract import ExtractConfig, Extraction, extract_landmarks
from formcheck.io.model import ModelInfo, file_sha256, resolve_model
from formcheck.io.pose import PoseConfig, PoseEstimator
from formcheck.io.progress import frame_progress
from formcheck.io.video import VideoFileSource
from formcheck.io.video_writer import VIDEO_MAX_SIDE

LANDMARK_SUFFIXES = (".csv",)


def is_landmarks_csv(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LANDMARK_SUFFIXES


def default_output_dir(src: str | Path) -> Path:
    return Path("formcheck-out") / Path(src).stem


def extract_video(path: str | Path, model: str | None = None, show_progress: bool = True,
                  quiet_native: bool = True, pose_config: PoseConfig | None = None,
                  extract: ExtractConfig | None = None, use_cache: bool = True,
                  input_sha256: str | None = None) -> Extraction:
    """Run the pose model over a video file; Ctrl-C keeps what was done (interrupted=True).

    With use_cache, landmarks already extracted from the same file with the same model and
    settings come from the landmark cache (formcheck.io.cache) and the model is not run.
    """
    if is_landmarks_csv(path):
        raise InputError(f"{Path(path).name} is already a landmarks CSV; pass a video to extract, "
                         "or run 'formcheck analyze' on the CSV")
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
                return Extraction(series=series, info=replace(info, path=str(source.path)), warnings=warnings,
                                  from_cache=True)
        result = _run_model(source, model_info, extract, show_progress, quiet_native)
    if key is not None and not result.interrupted:
        save_entry(key, result.series, result.info, result.warnings)
    return result


def _run_model(source: VideoFileSource, model: ModelInfo, extract: ExtractConfig, show_progress: bool,
               quiet_native: bool) -> Extraction:
    with PoseEstimator(model, extract.pose, quiet=quiet_native) as estimator:
        total = source.info.frame_count or None
        with frame_progress(f"pose {source.path.name}", total, enabled=show_progress) as advance:
            last = [-1]

            def progress(frame, pose) -> None:  # noqa: ANN001 - counts source frames, skipped ones too
                advance(frame.index - last[0])
                last[0] = frame.index

            result = extract_landmarks(source, source.info, estimator, on_frame=progress, config=extract)
    result.warnings.extend(source.warnings)
    return result


@dataclass
class AnalyzeResult:
    """One analyzed input: the report (object and report.json dict) and the files written."""

    report: Any  # formcheck.api.Report
    data: dict[str, Any]
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # about the outputs (report.json has the analysis's)


def analyze_to_folder(src: str | Path, out_dir: str | Path | None = None, config: Any = None,
                      model: str | None = None, show_progress: bool = False,
                      quiet_native: bool = True, video: bool = True, extract: ExtractConfig | None = None,
                      use_cache: bool = True, on_report: Callable[[dict[str, Any]], None] | None = None,
                      video_max_side: int | None = VIDEO_MAX_SIDE) -> AnalyzeResult:
    """Analyze a video or landmarks CSV and write its output folder.

    The landmarks of a video are written first, so a refused or interrupted analysis loses
    nothing already extracted (Ctrl-C raises Interrupted after saving them); then report.json and
    reps.csv, handed to on_report(report.json's dict) at once (the person sees the result without
    waiting for the video), then annotated.mp4 (a video input, unless video=False; at most
    video_max_side px on the long side) and report.html.
    """
    from formcheck.api import analyze_loaded, load_input
    from formcheck.io.landmarks_csv import save_landmarks_csv, save_landmarks_or_rescue
    from formcheck.io.report_files import check_writable

    out = Path(out_dir) if out_dir is not None else default_output_dir(src)
    check_writable(out)  # fail before minutes of pose extraction, not after
    loaded = load_input(src, model=model, show_progress=show_progress, quiet_native=quiet_native,
                        extract=extract, use_cache=use_cache)
    files: dict[str, Path] = {}
    if loaded.info.kind == "video":
        files["landmarks"] = save_landmarks_or_rescue(loaded.series, out / "landmarks.csv")
    if loaded.interrupted:
        raise Interrupted(interrupted_message(loaded.series, files["landmarks"]))
    report = analyze_loaded(loaded, config)
    data = report.to_dict()
    if loaded.info.kind != "video":
        files["landmarks"] = save_landmarks_csv(loaded.series, out / "landmarks.csv")
    files.update(write_report_files(data, out))
    result = AnalyzeResult(report, data, out, files)
    if on_report is not None:
        on_report(data)
    write_visual_outputs(result, video=video, show_progress=show_progress, video_max_side=video_max_side)
    return result


def interrupted_message(series: Any, saved: Path) -> str:
    """Ctrl-C during extraction: what was kept, where, and how to see the reps so far."""
    span = f" ({series.t[-1]:.1f} s of video)" if len(series) else ""
    return (f"interrupted after {len(series)} frames{span}; the landmarks so far are saved in {saved}; "
            f"see the reps so far with: formcheck analyze {saved}")


def write_report_files(data: dict[str, Any], out: Path) -> dict[str, Path]:
    """report.json and reps.csv (each atomically)."""
    from formcheck.io.report_files import save_report_json, save_reps_csv

    return {"report_json": save_report_json(data, out / "report.json"),
            "reps_csv": save_reps_csv(data, out / "reps.csv")}


def write_visual_outputs(result: AnalyzeResult, video: bool = True, show_progress: bool = False,
                         video_max_side: int | None = VIDEO_MAX_SIDE) -> None:
    """annotated.mp4 (second pass over a video input; thumbnails kept on the way) and report.html.

    Without the video, the thumbnails come from a cheap pass decoding only up to the frames needed;
    a landmarks CSV input gets none (a note in the page says why)."""
    from formcheck.io.report_files import write_atomic
    from formcheck.viz.html import report_html
    from formcheck.viz.thumbnails import ThumbnailCollector, thumbnail_requests
    from formcheck.viz.timeline import key_frames

    report, data, out = result.report, result.data, result.out_dir
    thumbs, note, video_name = None, None, None
    if report.input.kind == "video" and report.input.path:
        a = report.analysis
        frames = key_frames(report.series.frame, a.t, a.h, data["reps"])
        collector = ThumbnailCollector(thumbnail_requests(report.series, frames, a.signal_side))
        if video:
            video_name = _write_video(result, collector, show_progress, video_max_side)
        else:
            from formcheck.io.frame_grab import grab_frames

            grab_frames(report.input.path, collector.wanted, collector)
        thumbs = collector.images
    else:
        note = ("No frames: the input is a landmarks CSV, not a video. Analyze the video itself to see each "
                "rep's bottom and top here.")
    html = report_html(report, data, thumbs, note, video_name)
    result.files["report_html"] = write_atomic(out / "report.html", html)


def _write_video(result: AnalyzeResult, on_frame: Any, show_progress: bool, max_side: int | None) -> str:
    from formcheck.io.video_writer import write_annotated_video
    from formcheck.viz.timeline import StateTimeline

    timeline = StateTimeline.from_report(result.report, result.data)
    written = write_annotated_video(result.report.input.path, timeline.state_at, result.out_dir / "annotated.mp4",
                                    on_frame=on_frame, show_progress=show_progress, max_side=max_side)
    result.files["annotated_video"] = written.path
    result.warnings.extend(written.warnings)
    return written.path.name
