"""The Python API: formcheck.analyze(path_or_series, config=None) -> Report."""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck import __version__
from formcheck.core.analyze import Analysis, analyze_series
from formcheck.core.config import AnalysisConfig, config_from_dict
from formcheck.core.landmarks import LandmarkSeries
from formcheck.core.report import SCHEMA_VERSION, analysis_to_dict
from formcheck.errors import InputError
from formcheck.io.model import BUNDLED_SHA256, file_sha256

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


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

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class LoadedInput:
    series: LandmarkSeries
    info: InputInfo
    warnings: list[str] = field(default_factory=list)
    model_sha256: str | None = None
    interrupted: bool = False


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
        head = {"schema_version": SCHEMA_VERSION, "input": self.input.to_dict(), "config": self.config.to_dict(),
                "versions": versions(self.model_sha256)}
        return {**head, **body}


def versions(model_sha256: str | None) -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        mp = version("mediapipe")
    except PackageNotFoundError:  # pragma: no cover
        mp = None
    return {"formcheck": __version__, "mediapipe": mp, "model_sha256": model_sha256, "numpy": np.__version__}


def load_config(path: str | Path | None, **overrides: Any) -> AnalysisConfig:
    """Defaults <- TOML file <- overrides (CLI flags); None overrides are ignored."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"config file not found: {path}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path} is not valid TOML ({exc}); see formcheck/default_config.toml") from None
    cfg = config_from_dict(data)
    scale = {k: v for k, v in (("height_cm", overrides.get("height_cm")), ("foot_cm", overrides.get("foot_cm")))
             if v is not None}
    extra: dict[str, Any] = {"scale": scale} if scale else {}
    if overrides.get("side"):
        extra["side"] = overrides["side"]
    return config_from_dict(extra, cfg) if extra else cfg


def series_info(series: LandmarkSeries, path: str | None, sha: str | None, kind: str) -> InputInfo:
    t = series.t
    fps = float(1.0 / np.median(np.diff(t))) if len(t) > 1 else None
    duration = float(t[-1] - t[0] + (1.0 / fps if fps else 0.0)) if len(t) else 0.0
    return InputInfo(path=path, sha256=sha, kind=kind, fps=fps, duration_s=duration, frames=len(series),
                     width=series.width, height=series.height,
                     detection_rate=float(series.found.mean()) if len(series) else 0.0)


def load_input(source: str | Path | LandmarkSeries, model: str | None = None, show_progress: bool = False,
               quiet_native: bool = True, extract: Any = None, use_cache: bool = True) -> LoadedInput:
    """A landmarks CSV, a video (runs the pose model) or a LandmarkSeries, as a LoadedInput."""
    if isinstance(source, LandmarkSeries):
        return LoadedInput(source, series_info(source, None, None, "series"))
    from formcheck.io.extract import ExtractConfig
    from formcheck.pipeline import extract_video, is_landmarks_csv

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
    result = extract_video(path, model=model, show_progress=show_progress, quiet_native=quiet_native,
                           extract=extract, use_cache=use_cache, input_sha256=sha)
    vi = result.info
    info = InputInfo(path=str(path), sha256=sha, kind="video", fps=vi.fps or None,
                     duration_s=_video_duration(vi, result.series), frames=len(result.series), width=vi.width,
                     height=vi.height, rotation=vi.rotation, codec=vi.codec, detection_rate=result.detection_rate,
                     pose_people=extract.pose.num_poses)
    model_sha = BUNDLED_SHA256 if model is None else file_sha256(Path(model))
    return LoadedInput(result.series, info, list(result.warnings), model_sha, result.interrupted)


def _video_duration(vi: Any, series: LandmarkSeries) -> float:
    if len(series) > 1:
        return float(series.t[-1] - series.t[0] + np.median(np.diff(series.t)))
    return float(vi.duration_s)


def analyze_loaded(loaded: LoadedInput, config: AnalysisConfig | None = None) -> Report:
    cfg = config or AnalysisConfig()
    analysis = analyze_series(loaded.series, cfg)
    return Report(loaded.info, cfg, analysis, loaded.series, list(loaded.warnings), loaded.model_sha256)


def analyze(source: str | Path | LandmarkSeries, config: AnalysisConfig | None = None,
            model: str | None = None, show_progress: bool = False) -> Report:
    """Analyze a video, a landmarks CSV or a LandmarkSeries; raises FormcheckError subclasses on bad input."""
    return analyze_loaded(load_input(source, model=model, show_progress=show_progress), config)
