"""The Python API: formcheck.analyze(path_or_series, config=None) -> Report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from formcheck.core.config import AnalysisConfig, config_from_dict
from formcheck.core.landmarks import LandmarkSeries
from formcheck.errors import InputError
from formcheck.inputs import InputInfo, LoadedInput, load_input
from formcheck.pipeline import Report, analyze_loaded

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["InputInfo", "LoadedInput", "Report", "analyze", "analyze_loaded", "load_config", "load_input"]


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
    scale = {
        k: v
        for k, v in (("height_cm", overrides.get("height_cm")), ("foot_cm", overrides.get("foot_cm")))
        if v is not None
    }
    extra: dict[str, Any] = {"scale": scale} if scale else {}
    if overrides.get("side"):
        extra["side"] = overrides["side"]
    return config_from_dict(extra, cfg) if extra else cfg


def analyze(
    source: str | Path | LandmarkSeries,
    config: AnalysisConfig | None = None,
    model: str | None = None,
    show_progress: bool = False,
) -> Report:
    """Analyze a video, a landmarks CSV or a LandmarkSeries; raises FormcheckError subclasses on bad input."""
    return analyze_loaded(load_input(source, model=model, show_progress=show_progress), config)
