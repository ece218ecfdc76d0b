"""A cheap pass over a video for a few frames (thumbnails without the annotated video)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np

from formcheck.errors import InputError


def grab_frames(path: str | Path, wanted: Iterable[int], on_frame: Callable[[int, np.ndarray], None]) -> int:
    """Call on_frame(index, image) for each wanted frame index (upright, BGR), in order.

    Frames are demuxed and decoded up to the last wanted one but only the wanted ones are converted
    (grab/retrieve): accurate frame indices, unlike seeking in a long-GOP stream. Returns how many
    were found."""
    todo = sorted(set(int(i) for i in wanted if i >= 0))
    if not todo:
        return 0
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise InputError(f"cannot open {Path(path).name} as a video")
    found, k, index = 0, 0, 0
    try:
        while k < len(todo) and cap.grab():
            if index == todo[k]:
                ok, image = cap.retrieve()
                if ok and image is not None:
                    on_frame(index, image)
                    found += 1
                k += 1
            index += 1
    finally:
        cap.release()
    return found
