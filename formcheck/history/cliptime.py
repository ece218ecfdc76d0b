"""When a clip was filmed: the MP4/QuickTime `mvhd` creation time when present, else the file's time.

Reads only box headers (a few hundred bytes, io/mp4box.py), so it needs no ffprobe and no new dependency.
Phones and cameras write `mvhd` in MP4, MOV, M4V and 3GP files; other containers fall back to
the file's modification time.
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from formcheck.io.mp4box import box_header

MP4_EPOCH = datetime(1904, 1, 1, tzinfo=timezone.utc)
MAX_BOXES = 10_000
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)  # a stamp before this is an unset or garbage field


def clip_time(path: str | Path) -> tuple[datetime, str]:
    """(when, source): source is 'metadata' (the container's creation time) or 'file_mtime'."""
    path = Path(path)
    created = mp4_creation_time(path)
    if created is not None:
        return created, "metadata"
    return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc), "file_mtime"


def mp4_creation_time(path: str | Path) -> datetime | None:
    """moov/mvhd creation_time (UTC), or None if the file has none (not MP4-like, zero, or implausible)."""
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            moov = _find_box(fh, b"moov", 0, size)
            if moov is None:
                return None
            mvhd = _find_box(fh, b"mvhd", *moov)
            if mvhd is None:
                return None
            fh.seek(mvhd[0])
            body = fh.read(min(mvhd[1] - mvhd[0], 12))
    except OSError:
        return None
    return _mvhd_created(body)


def _find_box(fh: BinaryIO, kind: bytes, start: int, end: int) -> tuple[int, int] | None:
    """(body start, body end) of the first box `kind` among the boxes in [start, end)."""
    pos = start
    for _ in range(MAX_BOXES):
        box = box_header(fh, pos, end)
        if box is None or box[2] > end:
            return None
        if box[0] == kind:
            return box[1], box[2]
        pos = box[2]
    return None


def _mvhd_created(body: bytes) -> datetime | None:
    if len(body) < 8:
        return None
    version = body[0]
    if version == 1:
        if len(body) < 12:
            return None
        seconds = struct.unpack(">Q", body[4:12])[0]
    else:
        seconds = struct.unpack(">I", body[4:8])[0]
    try:
        when = MP4_EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None
    if seconds == 0 or when < EARLIEST or when > datetime.now(timezone.utc) + timedelta(days=1):
        return None
    return when
