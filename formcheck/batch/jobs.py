"""Batch jobs: which files to analyze, where each one's outputs go, and whether it is already done.

A clip's output folder is `OUT/<stem>-<first 10 hex of its sha256>/`: two clips with the same
name in different folders never share one, the same clip always lands in the same one (so a run
resumes however the inputs are passed), and a byte-identical copy is analyzed once.
`batch.json`, written last in that folder, records the input's sha256 and the settings
fingerprint; a clip whose folder holds a matching one (and the files it lists) is skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from formcheck.core.config import AnalysisConfig
from formcheck.errors import FormcheckError, InputError, OutputError
from formcheck.version import __version__

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm")
LANDMARKS_HEADER = "frame,t,width,height"
DONE_FILE = "batch.json"
NAME_HASH_CHARS = 10


@dataclass(frozen=True)
class BatchSettings:
    """What every job of a batch shares (picklable: it travels to worker processes and Dask workers)."""

    out_root: str
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    model: str | None = None  # None: the bundled model
    model_sha256: str | None = None
    mediapipe_version: str | None = None
    people: int = 1  # the pose model looks for this many people on every frame (--people)
    # at most this many frames a second go to the pose model (--max-fps; None: every frame). The default is
    # io.extract.DEFAULT_MAX_FPS, written out so that formcheck.batch does not import OpenCV (a test holds them equal)
    max_fps: float | None = 30.0
    foot_track: bool = True  # refine the heels and toes from the picture (--no-foot-track: False)

    def fingerprint(self, kind: str) -> str:
        return settings_fingerprint(
            self.config.to_dict(),
            kind,
            self.model_sha256,
            self.mediapipe_version,
            __version__,
            PoseRun(self.people, self.max_fps, self.foot_track),
        )


@dataclass(frozen=True)
class PoseRun:
    """How a video's pose model was run, besides the model: what a report.json's input records of it."""

    people: int | None
    max_fps: float | None
    foot_track: bool | None


@dataclass(frozen=True)
class Job:
    path: str  # absolute, so workers with another working directory find it
    sha256: str
    kind: str  # video | landmarks
    name: str  # the output folder's name under OUT


@dataclass
class JobResult:
    job: Job
    status: str  # ok | skipped (already done) | failed | duplicate (same bytes as another input) | pending | not_run
    seconds: float = 0.0
    error: str | None = None
    exit_code: int = 0
    data: dict[str, Any] | None = None  # report.json of an ok or skipped clip
    duplicate_of: str | None = None


def settings_fingerprint(
    config: dict[str, Any],
    kind: str,
    model_sha256: str | None,
    mediapipe: str | None,
    formcheck_version: str,
    run: PoseRun | None = None,
) -> str:
    """sha256 (16 hex) of what decides a clip's report besides its bytes.

    The analysis config and the formcheck version always; for a video also the pose model's
    sha256, the mediapipe version and how it was run (people, frame-rate cap, foot track; a
    landmarks CSV never runs the model, so they don't count).
    """
    pose = None
    if kind != "landmarks":
        pose = {"model_sha256": model_sha256, "mediapipe": mediapipe, **asdict(run or PoseRun(None, None, None))}
        if isinstance(pose["max_fps"], float):
            pose["max_fps"] = round(pose["max_fps"], 4)  # as report.json records it
    payload = {"config": config, "formcheck": formcheck_version, "pose": pose}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def report_fingerprint(report: dict[str, Any]) -> str:
    """The settings fingerprint of a report.json (what its clip was analyzed with)."""
    v = report.get("versions") or {}
    return settings_fingerprint(
        report["config"],
        report["input"]["kind"],
        v.get("model_sha256"),
        v.get("mediapipe"),
        v.get("formcheck"),
        PoseRun(
            report["input"].get("pose_people"),
            report["input"].get("pose_max_fps", "not recorded"),  # older reports: never the same as a setting
            report["input"].get("foot_track"),
        ),
    )


# --- which files ----------------------------------------------------------------------------------


def is_landmarks_file(path: Path) -> bool:
    """A CSV whose header starts like formcheck's landmarks CSV (reps.csv and summary.csv do not)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.readline().startswith(LANDMARKS_HEADER)
    except OSError:
        return False


def find_inputs(paths: Iterable[str | Path], out_root: str | Path, ignored: list[Path] | None = None) -> list[Path]:
    """Files as given, and folders searched recursively for videos (by extension) and landmarks CSVs.

    Folder search skips hidden entries, the OUT folder, and formcheck output folders (any folder
    holding a report.json), so a landmarks.csv that formcheck wrote is not analyzed twice. The other
    files it passes over (not a video, a CSV that is not landmarks) are appended to `ignored`.
    """
    out = Path(out_root).absolute()
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).absolute()
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(_search(path, out, ignored if ignored is not None else []))
        else:
            raise InputError(f"input not found: {raw}; pass video files, landmarks CSVs or folders")
    unique = list(dict.fromkeys(found))
    if ignored is not None:  # a folder given twice, or inside another given one, passes its files over once
        ignored[:] = dict.fromkeys(ignored)
    if not unique:
        passed = ignored or []
        seen = f" (only {', '.join(p.name for p in passed[:5])}{' ...' if len(passed) > 5 else ''})" if passed else ""
        raise InputError(
            "no videos ("
            + ", ".join(s[1:] for s in VIDEO_SUFFIXES)
            + ") or landmarks CSVs found in "
            + ", ".join(str(p) for p in paths)
            + seen
        )
    return unique


def _search(folder: Path, out: Path, ignored: list[Path]) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and (here / d) != out and not (here / d / "report.json").is_file()
        )
        for name in sorted(files):
            p = here / name
            if name.startswith("."):
                continue
            if p.suffix.lower() in VIDEO_SUFFIXES or (p.suffix.lower() == ".csv" and is_landmarks_file(p)):
                found.append(p)
            else:
                ignored.append(p)
    return found


def shown(path: str | Path) -> str:
    """How batch names an input on the terminal: relative to the current folder when it is inside it (as it
    was most likely typed), else in full."""
    path = Path(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- planning and resuming -----------------------------------------------------------------------


def file_kind(path: Path) -> str:
    return "landmarks" if path.suffix.lower() == ".csv" else "video"


def plan_jobs(inputs: list[Path]) -> tuple[list[Job], list[JobResult]]:
    """One job per distinct content; inputs with the same bytes as an earlier one come back as duplicates."""
    from formcheck.io.model import file_sha256

    jobs: dict[str, Job] = {}
    duplicates: list[JobResult] = []
    for path in inputs:
        try:
            sha = file_sha256(path)
        except OSError as exc:
            raise InputError(f"cannot read {path} ({exc.strerror or exc}); check its permissions") from None
        stem = path.parent.name if path.name == "landmarks.csv" else path.stem
        job = Job(str(path), sha, file_kind(path), f"{_safe(stem)}-{sha[:NAME_HASH_CHARS]}")
        if sha in jobs:  # same bytes: same output folder, analyzed once
            first = jobs[sha]
            duplicates.append(
                JobResult(Job(job.path, sha, first.kind, first.name), "duplicate", duplicate_of=first.path)
            )
        else:
            jobs[sha] = job
    return list(jobs.values()), duplicates


def _safe(stem: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip(".")
    return keep[:60] or "clip"


def load_done(job: Job, settings: BatchSettings) -> dict[str, Any] | None:
    """The clip's report.json if its folder already holds this input analyzed with these settings."""
    folder = Path(settings.out_root) / job.name
    try:
        done = json.loads((folder / DONE_FILE).read_text(encoding="utf-8"))
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if done.get("input_sha256") != job.sha256 or done.get("settings_fingerprint") != settings.fingerprint(job.kind):
        return None
    if (
        report.get("input", {}).get("sha256") != job.sha256
        or report_fingerprint(report) != done["settings_fingerprint"]
    ):
        return None
    if not all((folder / name).is_file() for name in done.get("files", [])):
        return None
    return report


def run_job(job: Job, settings: BatchSettings) -> JobResult:
    """Analyze one clip into OUT/<name>/ (in a worker process or on a Dask worker). Never raises for a bad clip."""
    from formcheck.io.extract import ExtractConfig
    from formcheck.io.pose import PoseConfig
    from formcheck.io.report_files import report_json_text, write_atomic
    from formcheck.pipeline import analyze_to_folder

    start = time.perf_counter()
    folder = Path(settings.out_root) / job.name
    try:
        (folder / DONE_FILE).unlink(missing_ok=True)  # a half-rewritten folder must not look done
        result = analyze_to_folder(
            job.path,
            folder,
            settings.config,
            model=settings.model,
            show_progress=False,
            quiet_native=True,
            extract=ExtractConfig(
                max_fps=settings.max_fps, pose=PoseConfig(num_poses=settings.people), foot_track=settings.foot_track
            ),
        )
        done = {
            "input": job.path,
            "input_sha256": result.data["input"]["sha256"],
            "settings_fingerprint": report_fingerprint(result.data),
            "files": sorted(str(Path(p).relative_to(folder)) for p in result.files.values()),
            "seconds": round(time.perf_counter() - start, 2),
        }
        write_atomic(folder / DONE_FILE, report_json_text(done))
        return JobResult(job, "ok", time.perf_counter() - start, data=result.data)
    except FormcheckError as exc:
        return JobResult(job, "failed", time.perf_counter() - start, str(exc), exc.exit_code)
    except OSError as exc:
        return JobResult(
            job,
            "failed",
            time.perf_counter() - start,
            f"could not write {folder} ({exc.strerror or exc}); check the -o folder",
            OutputError.exit_code,
        )
    except Exception as exc:
        return JobResult(
            job,
            "failed",
            time.perf_counter() - start,
            f"internal error: {type(exc).__name__}: {exc} (rerun this clip with "
            "'formcheck analyze --debug' and report it)",
            1,
        )
