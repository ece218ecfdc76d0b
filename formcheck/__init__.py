"""formcheck: rep-by-rep form check for the Band Single Leg Calf Raise.

import formcheck
report = formcheck.analyze("set.mp4")          # or a landmarks CSV, or a LandmarkSeries
print(report.rep_count, report.to_dict()["reps"][0]["eccentric_s"])
"""

from __future__ import annotations

from formcheck.version import __version__

__all__ = ["__version__", "analyze", "Report", "AnalysisConfig", "load_config"]


def __getattr__(name: str):  # lazy: importing formcheck stays cheap (no cv2, no mediapipe)
    if name in ("analyze", "Report", "load_config"):
        from formcheck import api

        return getattr(api, name)
    if name == "AnalysisConfig":
        from formcheck.core.config import AnalysisConfig

        return AnalysisConfig
    raise AttributeError(f"module 'formcheck' has no attribute {name!r}")
