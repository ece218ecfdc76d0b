"""What the CLI, batch workers and the Python API run: glue between the edges (io) and the core.

`analyze_to_folder()` is the one place that turns an input (video or landmarks CSV) into an
output folder; `formcheck analyze`, `formcheck batch` and `formcheck live` (on exit) all use it,
so every entry point writes the same files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.analyze import Analysis, analyze_series
from formcheck.core.config import AnalysisConfig
from formcheck.core.landmarks import LandmarkSeries
from formcheck.core.report import SCHEMA_VERSION, analysis_to_dict
from formcheck.errors import Interrupted
from formcheck.inputs import InputInfo, LoadedInput, ProgressHook, load_input
from formcheck.io.extract import ExtractConfig
from formcheck.io.video_writer import VIDEO_MAX_SIDE
from formcheck.version import __version__


def default_output_dir(src: str | Path) -> Path:
    return Path("formcheck-out") / Path(src).stem


@dataclass
class Report:
    """Everything one analysis produced; `to_dict()` is report.json."""

    input: InputInfo
    config: AnalysisConfig
    analysis: Analysis
    series: LandmarkSeries
    input_warnings: list[str] = field(default_factory=list)
    model_sha256: str | None = None

    @property
    def rep_count(self) -> int:
        return len(self.analysis.reps)

    def to_dict(self) -> dict[str, Any]:
        body = analysis_to_dict(self.analysis)
        body["warnings"] = self.input_warnings + body["warnings"]
        head = {
            "schema_version": SCHEMA_VERSION,
            "input": self.input.to_dict(),
            "config": self.config.to_dict(),
            "versions": versions(self.model_sha256),
        }
        return {**head, **body}


def versions(model_sha256: str | None) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        mp = version("mediapipe")
    except PackageNotFoundError:  # pragma: no cover
        mp = None
    return {"formcheck": __version__, "mediapipe": mp, "model_sha256": model_sha256, "numpy": np.__version__}


def analyze_loaded(loaded: LoadedInput, config: AnalysisConfig | None = None) -> Report:
    cfg = config or AnalysisConfig()
    analysis = analyze_series(loaded.series, cfg)
    return Report(loaded.info, cfg, analysis, loaded.series, list(loaded.warnings), loaded.model_sha256)


@dataclass
class AnalyzeResult:
    """One analyzed input: the report (object and report.json dict) and the files written."""

    report: Report
    data: dict[str, Any]
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # about the outputs (report.json has the analysis's)


def analyze_to_folder(
    src: str | Path,
    out_dir: str | Path | None = None,
    config: Any = None,
    model: str | None = None,
    show_progress: bool = False,
    quiet_native: bool = True,
    video: bool = True,
    extract: ExtractConfig | None = None,
    use_cache: bool = True,
    on_report: Callable[[dict[str, Any]], None] | None = None,
    video_max_side: int | None = VIDEO_MAX_SIDE,
    on_progress: ProgressHook | None = None,
) -> AnalyzeResult:
    """Analyze a video or landmarks CSV and write its output folder.

    The landmarks of a video are written first, so a refused or interrupted analysis loses
    nothing already extracted (Ctrl-C raises Interrupted after saving them); then report.json and
    reps.csv, handed to on_report(report.json's dict) at once (the person sees the result without
    waiting for the video), then annotated.mp4 (a video input, unless video=False; at most
    video_max_side px on the long side) and report.html. on_progress(stage, done, total) follows the pose
    pass and the annotated video (see formcheck.inputs.ProgressHook).
    """
    from formcheck.io.landmarks_csv import save_landmarks_csv, save_landmarks_or_rescue
    from formcheck.io.report_files import check_writable

    out = Path(out_dir) if out_dir is not None else default_output_dir(src)
    check_writable(out)  # fail before minutes of pose extraction, not after
    loaded = load_input(
        src,
        model=model,
        show_progress=show_progress,
        quiet_native=quiet_native,
        extract=extract,
        use_cache=use_cache,
        on_progress=on_progress,
    )
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
    write_visual_outputs(
        result,
        video=video,
        show_progress=show_progress,
        video_max_side=video_max_side,
        on_progress=on_progress,
        cached=use_cache,
    )
    return result


def interrupted_message(series: Any, saved: Path) -> str:
    """Ctrl-C during extraction: what was kept, where, and how to see the reps so far."""
    span = f" ({series.t[-1]:.1f} s of video)" if len(series) else ""
    return (
        f"interrupted after {len(series)} frames{span}; the landmarks so far are saved in {saved}; "
        f"see the reps so far with: formcheck analyze {saved}"
    )


def write_report_files(data: dict[str, Any], out: Path) -> dict[str, Path]:
    """report.json and reps.csv (each atomically)."""
    from formcheck.io.report_files import save_report_json, save_reps_csv

    return {
        "report_json": save_report_json(data, out / "report.json"),
        "reps_csv": save_reps_csv(data, out / "reps.csv"),
    }


def write_visual_outputs(
    result: AnalyzeResult,
    video: bool = True,
    show_progress: bool = False,
    video_max_side: int | None = VIDEO_MAX_SIDE,
    on_progress: ProgressHook | None = None,
    cached: bool = True,
) -> None:
    """annotated.mp4 (second pass over a video input; thumbnails kept on the way) and report.html. cached: the
    landmarks are in the landmark cache (what a Ctrl-C during the video says to do next).

    Without the video, the thumbnails come from a cheap pass decoding only up to the frames needed;
    a landmarks CSV input gets none (a note in the page says why)."""
    from formcheck.io.report_files import write_atomic
    from formcheck.viz.html import report_html
    from formcheck.viz.thumbnails import ThumbnailCollector, thumbnail_requests
    from formcheck.viz.timeline import key_frames

    report, data, out = result.report, result.data, result.out_dir
    thumbs, note, video_name, interrupted = None, None, None, None
    if report.input.kind == "video" and report.input.path:
        a = report.analysis
        frames = key_frames(report.series.frame, a.t, a.h, data["reps"])
        collector = ThumbnailCollector(thumbnail_requests(report.series, frames, a.signal_side))
        if video:
            hook = collector if on_progress is None else _counting(collector, on_progress, report.series)
            try:
                video_name = _write_video(result, hook, show_progress, video_max_side)
            except KeyboardInterrupt:  # the report is done: keep its page (below), say what is kept and what next
                note = "The annotated video was not made: the analysis was interrupted while making it."
                again = "the landmarks are cached" if cached else "the pose pass runs again: --no-cache kept no copy"
                interrupted = Interrupted(
                    f"interrupted while making annotated.mp4; the report is written in {out} (report.html, "
                    f"report.json, reps.csv, landmarks.csv); to make the video, run the same command again ({again})"
                )
        else:
            from formcheck.io.frame_grab import grab_frames

            grab_frames(report.input.path, collector.wanted, collector)
        thumbs = collector.images if interrupted is None else collector.images or None
    else:
        note = (
            "No frames: the input is a landmarks CSV, not a video. Analyze the video itself to see each "
            "rep's bottom and top here."
        )
    html = report_html(report, data, thumbs, note, video_name)
    result.files["report_html"] = write_atomic(out / "report.html", html)
    if interrupted is not None:
        raise interrupted


def _counting(on_frame: Any, on_progress: ProgressHook, series: LandmarkSeries) -> Any:
    """on_frame, also reporting ("video", frames done, frames in the input) to on_progress."""
    total = int(series.frame[-1]) + 1 if len(series) else None

    def hook(index: int, image: Any) -> None:
        on_frame(index, image)
        on_progress("video", index + 1, total)

    return hook


def _write_video(result: AnalyzeResult, on_frame: Any, show_progress: bool, max_side: int | None) -> str:
    from formcheck.io.video_writer import write_annotated_video
    from formcheck.viz.timeline import StateTimeline

    timeline = StateTimeline.from_report(result.report, result.data)
    written = write_annotated_video(
        result.report.input.path,
        timeline.state_at,
        result.out_dir / "annotated.mp4",
        on_frame=on_frame,
        show_progress=show_progress,
        max_side=max_side,
    )
    result.files["annotated_video"] = written.path
    result.warnings.extend(written.warnings)
    return written.path.name
