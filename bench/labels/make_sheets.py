"""Contact sheets for labelling rep phases by eye (bench/labels/real_clips.json was made with these).

Each tile is one frame as formcheck's own reader yields it (same index, same container timestamp,
rotation applied), cropped, enlarged nearest-neighbour, with a fixed pixel grid (a line every --grid
source pixels, every 5th one labelled with its source row) and the frame index and time printed on it.
Nothing here measures anything: the person reading the sheet picks the frames.

    # frames 120..143, crop x0,y0,x1,y1 in source pixels, 4x, red reference rows at y=334 and 336
    PYTHONPATH=$PWD python3 bench/labels/make_sheets.py CLIP --frames 120:144 --crop 300,250,380,330 \\
        --scale 4 --hlines 334,336 --out /tmp/labels_work/a.png
    # whole-body thumbnails, every 5th frame
    PYTHONPATH=$PWD python3 bench/labels/make_sheets.py CLIP --frames 0:300:5 --scale 0.5 --grid 0 --out /tmp/b.png
    # anaglyph of each frame with the frame 2 before it: still parts grey, edges that moved red (then) / cyan (now)
    PYTHONPATH=$PWD python3 bench/labels/make_sheets.py CLIP --frames 30:54 --crop 228,290,340,345 --diff 2 \\
        --out /tmp/c.png
    # the same against one fixed frame (e.g. inside a top hold): grey while nothing has moved since
    PYTHONPATH=$PWD python3 bench/labels/make_sheets.py CLIP --frames 40:64 --crop 228,290,340,345 --ref 45 \\
        --out /tmp/d.png
    # strip: source column x=345 of every frame side by side (time right, rows down), to find reps roughly
    PYTHONPATH=$PWD python3 bench/labels/make_sheets.py CLIP --frames 0:343 --strip 345 --crop 0,250,640,330 \\
        --px 4 --out /tmp/e.png

CLIP is a path, or a file name under ../shared/videos beside the clone (or /work/shared/videos).
Write sheets under /tmp: clips and their frames never go into the repo.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from formcheck.io.video import Frame, VideoFileSource  # noqa: E402 - after the repository root is put on sys.path

SHARED = [ROOT.parent / "shared" / "videos", Path("/work/shared/videos")]
FONT = cv2.FONT_HERSHEY_SIMPLEX
Box = tuple[int, int, int, int]


def clip_path(name: str) -> Path:
    """A path as given, else the file of that name in a shared videos folder."""
    path = Path(name)
    return path if path.exists() else next((d / name for d in SHARED if (d / name).exists()), path)


def read_frames(path: Path, start: int, stop: int) -> dict[int, Frame]:
    """Frames start..stop-1 by index, from formcheck's reader (which counts every decoded frame)."""
    with VideoFileSource(path) as src:
        out = {}
        for frame in src.frames():
            if frame.index >= stop:
                break
            if frame.index >= start:
                out[frame.index] = frame
    return out


def anaglyph(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Grey where two frames agree; an edge that moved shows red where it was and cyan where it is now
    (flicking between two frames, on one picture)."""
    g_now = cv2.cvtColor(now, cv2.COLOR_BGR2GRAY)
    g_before = cv2.cvtColor(before, cv2.COLOR_BGR2GRAY)
    return np.dstack([g_now, g_now, g_before])  # BGR: blue + green = now, red = before


def tile(frame: Frame, crop: Box | None, scale: float, grid: int, rows: list[int], before: Frame | None) -> np.ndarray:
    """One enlarged crop with a grid in source coordinates and red reference rows; an anaglyph with `before`."""
    x0, y0, x1, y1 = crop or (0, 0, frame.image.shape[1], frame.image.shape[0])
    img = frame.image[y0:y1, x0:x1]
    if before is not None:
        img = anaglyph(img, before.image[y0:y1, x0:x1])
    big = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA)
    if grid:
        for y in range((y0 // grid + 1) * grid, y1, grid):
            yy, major = int((y - y0) * scale), (y // grid) % 5 == 0
            cv2.line(big, (0, yy), (big.shape[1], yy), (0, 255, 255) if major else (0, 160, 0), 1)
            if major:
                cv2.putText(big, str(y), (2, yy - 2), FONT, 0.35, (0, 255, 255), 1)
        for x in range((x0 // grid + 1) * grid, x1, grid):
            xx = int((x - x0) * scale)
            cv2.line(big, (xx, 0), (xx, big.shape[0]), (255, 200, 0) if (x // grid) % 5 == 0 else (90, 90, 0), 1)
    for y in rows:
        if y0 <= y < y1:
            cv2.line(big, (0, int((y - y0) * scale)), (big.shape[1], int((y - y0) * scale)), (0, 0, 255), 1)
    label = f"#{frame.index} {frame.t:.3f}s" + (f" vs #{before.index}" if before is not None else "")
    cv2.rectangle(big, (0, 0), (min(big.shape[1], 9 * len(label) + 6), 18), (0, 0, 0), -1)
    cv2.putText(big, label, (3, 13), FONT, 0.45, (255, 255, 255), 1)
    return big


def sheet(tiles: list[np.ndarray], cols: int) -> np.ndarray:
    """Tiles in rows of `cols`, 4 px gaps."""
    h, w = tiles[0].shape[:2]
    out = np.full((-(-len(tiles) // cols) * (h + 4), cols * (w + 4), 3), 40, np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        out[r * (h + 4) : r * (h + 4) + h, c * (w + 4) : c * (w + 4) + w] = t
    return out


def strip(frames: list[Frame], x: int, crop: Box | None, px: int, grid: int) -> np.ndarray:
    """Source column x (rows y0..y1, enlarged 3x) of every frame side by side, each `px` wide: a height
    over time shows as a line to read by eye.  Every frame ticked when px >= 6 (else every 10th), every
    10th labelled; with `grid`, dotted rows every grid px labelled on the right."""
    _, y0, _, y1 = crop or (0, 0, 0, frames[0].image.shape[0])
    cols = [np.repeat(f.image[y0:y1, x : x + 1], px, axis=1) for f in frames]
    img = cv2.resize(np.concatenate(cols, axis=1), None, fx=1, fy=3, interpolation=cv2.INTER_NEAREST)
    top = np.zeros((16, img.shape[1] + 30, 3), np.uint8)
    for i, f in enumerate(frames):
        if px >= 6 or f.index % 10 == 0:
            cv2.line(top, (i * px, 12 if f.index % 10 else 8), (i * px, 16), (255, 255, 255), 1)
        if f.index % 10 == 0 and (px >= 3 or f.index % 50 == 0):
            cv2.putText(top, str(f.index), (i * px + 1, 8), FONT, 0.3, (255, 255, 255), 1)
    side = np.zeros((img.shape[0], 30, 3), np.uint8)
    for y in range((y0 // grid + 1) * grid, y1, grid) if grid else ():
        img[(y - y0) * 3, ::2] = (0, 200, 200)
        cv2.putText(side, str(y), (1, (y - y0) * 3 + 3), FONT, 0.3, (0, 255, 255), 1)
    return np.concatenate([top, np.concatenate([img, side], axis=1)], axis=0)


def compared_with(frame: Frame, by_index: dict[int, Frame], diff: int, ref: int | None) -> Frame | None:
    """The frame an anaglyph tile compares against: the fixed --ref frame, or the one --diff indices earlier."""
    if ref is not None:
        return by_index[ref]
    return by_index.get(frame.index - diff) if diff else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clip")
    ap.add_argument("--frames", default="0:24", help="start:stop[:step] frame indices, stop excluded")
    ap.add_argument("--crop", help="x0,y0,x1,y1 in source pixels of the upright frame")
    ap.add_argument("--scale", type=float, default=3.0, help="enlargement (nearest-neighbour)")
    ap.add_argument("--grid", type=int, default=10, help="grid spacing in source pixels (0 = none)")
    ap.add_argument("--hlines", default="", help="reference rows (source y) drawn in red, comma separated")
    ap.add_argument("--cols", type=int, default=6, help="tiles per row")
    ap.add_argument("--diff", type=int, default=0, help="anaglyph with the frame this many indices earlier")
    ap.add_argument("--ref", type=int, help="anaglyph with this one fixed frame")
    ap.add_argument("--strip", type=int, help="a strip of this source column instead of tiles")
    ap.add_argument("--px", type=int, default=2, help="strip: width of one frame")
    ap.add_argument("--out", required=True, help="PNG to write (under /tmp)")
    a = ap.parse_args()
    start, stop, step = ([int(v) for v in a.frames.split(":")] + [1])[:3]
    crop = tuple(int(v) for v in a.crop.split(",")) if a.crop else None
    need = [start - a.diff] + ([a.ref] if a.ref is not None else [])
    by_index = read_frames(clip_path(a.clip), max(0, min(need)), max([stop] + [n + 1 for n in need]))
    frames = [by_index[i] for i in range(start, stop, step) if i in by_index]
    if a.strip is not None:
        img = strip(frames, a.strip, crop, a.px, a.grid)
    else:
        rows = [int(v) for v in a.hlines.split(",") if v]
        tiles = [tile(f, crop, a.scale, a.grid, rows, compared_with(f, by_index, a.diff, a.ref)) for f in frames]
        img = sheet(tiles, a.cols)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(a.out, img)
    print(f"{a.out}: {len(frames)} frames, {img.shape[1]}x{img.shape[0]}")


if __name__ == "__main__":
    main()
