"""The edges: video and camera sources, the pose model, landmark CSV and report files.

Nothing here is imported by formcheck.core.  mediapipe is imported only by
formcheck.io.pose, and only when a PoseEstimator is created. The names below are loaded on first
use, so a module that needs only a light part of io (e.g. io.mp4box) does not load OpenCV.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "load_landmarks_csv": "landmarks_csv",
    "save_landmarks_csv": "landmarks_csv",
    "CameraSource": "video",
    "Frame": "video",
    "VideoFileSource": "video",
    "VideoInfo": "video",
    "open_source": "video",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"formcheck.io.{_HOME[name]}"), name)
    raise AttributeError(f"module 'formcheck.io' has no attribute {name!r}")
