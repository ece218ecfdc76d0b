"""Small JPEG thumbnails of each rep's bottom and top frames, as data: URIs for report.html.

`ThumbnailCollector` is a frame hook: call it with (frame index, image) for frames as they are decoded
(during the annotation pass, or a cheap pass over only the needed frames); it keeps a small crop
around the legs for the frames it was asked for, and nothing else, so memory stays small.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from formcheck.core.landmarks import INDEX

SHIN_AND_FOOT = ("knee", "ankle", "heel", "foot_index")
THUMB_HEIGHT, JPEG_QUALITY = 240, 78


@dataclass(frozen=True)
class ThumbRequest:
    rep: int
    kind: str  # bottom | top
    frame: int
    box: tuple[int, int, int, int] | None  # crop (x0, y0, x1, y1) in pixels; None = whole frame


def crop_box(
    points: np.ndarray, width: int, height: int, pad: float = 0.3, aspect: float = 0.8
) -> tuple[int, int, int, int] | None:
    """A box around the finite points, padded and widened to at least `aspect` (w/h), inside the frame."""
    pts = points[np.all(np.isfinite(points), axis=1)]
    if len(pts) < 2:
        return None
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    h = (y1 - y0) * (1 + 2 * pad) + 1
    w = max((x1 - x0) * (1 + 2 * pad) + 1, aspect * h)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    box = (int(max(0, cx - w / 2)), int(max(0, cy - h / 2)), int(min(width, cx + w / 2)), int(min(height, cy + h / 2)))
    return box if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else None


def thumbnail_requests(series: Any, key_frames: dict[int, dict[str, int]], side: str) -> list[ThumbRequest]:
    """One request per rep and kind, cropped to the working shin and foot as MediaPipe saw them."""
    idx = [INDEX[f"{side}_{p}"] for p in SHIN_AND_FOOT]
    rows = {int(f): i for i, f in enumerate(np.asarray(series.frame))}
    out = []
    for rep, frames in sorted(key_frames.items()):
        for kind in ("bottom", "top"):
            frame = frames[kind]
            row = rows.get(frame)
            box = None if row is None else crop_box(series.xy[row, idx], series.width, series.height)
            out.append(ThumbRequest(rep, kind, frame, box))
    return out


def encode_thumbnail(image: np.ndarray, box: tuple[int, int, int, int] | None, height: int = THUMB_HEIGHT) -> str:
    """A JPEG data: URI of the crop, scaled to `height` pixels high."""
    if box is not None:
        x0, y0, x1, y1 = box
        image = image[y0:y1, x0:x1]
    scale = height / image.shape[0]
    small = cv2.resize(
        image,
        (max(1, int(round(image.shape[1] * scale))), height),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - cv2 always encodes a uint8 BGR image
        raise ValueError("could not encode a thumbnail")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


class ThumbnailCollector:
    """Frame hook that keeps the requested thumbnails: `collector(index, image)`."""

    def __init__(self, requests: list[ThumbRequest]) -> None:
        self._by_frame: dict[int, list[ThumbRequest]] = {}
        for r in requests:
            self._by_frame.setdefault(r.frame, []).append(r)
        self.images: dict[int, dict[str, str]] = {}

    @property
    def wanted(self) -> set[int]:
        return set(self._by_frame)

    def __call__(self, index: int, image: np.ndarray) -> None:
        for r in self._by_frame.get(index, ()):
            self.images.setdefault(r.rep, {})[r.kind] = encode_thumbnail(image, r.box)
