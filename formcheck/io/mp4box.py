"""The box headers of MP4/QuickTime (ISO base media) files, read straight from the file.

No dependencies: shared by io/probe.py (why a clip will not open) and history/cliptime.py (when it
was filmed).
"""

from __future__ import annotations

import struct
from typing import BinaryIO


def box_header(fh: BinaryIO, pos: int, end: int) -> tuple[bytes, int, int] | None:
    """(type, payload start, box end) of the box at pos, or None past `end` or on a garbled header.

    A 64-bit size (size field 1) is followed; size 0 means the box runs to `end`. The box end may lie
    beyond `end` (a cut file): the caller decides what that means."""
    if pos + 8 > end:
        return None
    fh.seek(pos)
    raw = fh.read(8)
    if len(raw) < 8:
        return None
    size, kind = struct.unpack(">I4s", raw)
    start = pos + 8
    if size == 1:
        big = fh.read(8)
        if len(big) < 8:
            return None
        size, start = struct.unpack(">Q", big)[0], pos + 16
    elif size == 0:
        size = end - pos
    if size < start - pos:
        return None
    return kind, start, pos + size
