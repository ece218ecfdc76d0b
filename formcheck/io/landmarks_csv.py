"""The landmarks CSV: a public, documented format (see docs/outputs.md, "Landmarks CSV").

Columns: ``frame,t,width,height`` then, for each of the 33 MediaPipe landmarks
in index order, ``NAME_x,NAME_y,NAME_z,NAME_vis`` (pixels of the upright frame;
z = MediaPipe's normalized z x frame width; visibility), then optional extras
``NAME_presence``, ``NAME_wx,NAME_wy,NAME_wz`` (world landmarks, metres) and the heels and toes
refined from the video itself, ``NAME_fx,NAME_fy`` (pixels, empty where not tracked).
Empty cells where no pose was found.  Readers ignore columns they don't need.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

from formcheck.core.landmarks import LANDMARK_NAMES, N_LANDMARKS, REFINED_POINTS, LandmarkSeries
from formcheck.errors import InputError, OutputError
from formcheck.io.report_files import write_atomic

BASE_COLUMNS = ("frame", "t", "width", "height")
POSE_COLUMNS = tuple(f"{n}_{k}" for n in LANDMARK_NAMES for k in ("x", "y", "z", "vis"))
PRESENCE_COLUMNS = tuple(f"{n}_presence" for n in LANDMARK_NAMES)
WORLD_COLUMNS = tuple(f"{n}_w{k}" for n in LANDMARK_NAMES for k in ("x", "y", "z"))
REFINED_COLUMNS = tuple(f"{n}_f{k}" for n in REFINED_POINTS for k in ("x", "y"))
REQUIRED_COLUMNS = BASE_COLUMNS + POSE_COLUMNS


def header(series: LandmarkSeries) -> list[str]:
    cols = list(REQUIRED_COLUMNS)
    if series.presence is not None:
        cols += PRESENCE_COLUMNS
    if series.world is not None:
        cols += WORLD_COLUMNS
    if series.refined is not None:
        cols += REFINED_COLUMNS
    return cols


def to_rows(series: LandmarkSeries) -> np.ndarray:
    """(T, C) float table in the column order of header(series)."""
    n = len(series)
    pose = np.concatenate([series.xy, series.z[..., None], series.vis[..., None]], axis=2).reshape(n, -1)
    parts = [
        series.frame[:, None].astype(float),
        series.t[:, None],
        np.full((n, 1), float(series.width)),
        np.full((n, 1), float(series.height)),
        pose,
    ]
    if series.presence is not None:
        parts.append(series.presence)
    if series.world is not None:
        parts.append(series.world.reshape(n, -1))
    if series.refined is not None:
        parts.append(series.refined.reshape(n, -1))
    return np.concatenate(parts, axis=1)


def format_csv(series: LandmarkSeries) -> str:
    """The CSV text. Numbers use the shortest repr that reads back exactly; NaN is an empty cell.

    Rows are formatted with Python's float repr (the same shortest round-trip text numpy gives),
    then every 'nan' cell is emptied (no number's text contains 'nan').
    """
    table = to_rows(series)
    size = f",{int(series.width)},{int(series.height)},"
    lines = [
        f"{frame},{t!r}{size}" + ",".join(map(repr, row))
        for frame, t, row in zip(series.frame.tolist(), table[:, 1].tolist(), table[:, 4:].tolist())
    ]
    return ",".join(header(series)) + "\n" + "\n".join(lines).replace("nan", "") + "\n"


def save_landmarks_csv(series: LandmarkSeries, path: str | Path) -> Path:
    """Write atomically (a temporary file in the same folder, then rename); OutputError says how to fix."""
    return write_atomic(path, format_csv(series))


def save_landmarks_or_rescue(series: LandmarkSeries, path: str | Path) -> Path:
    """Save extracted landmarks; if `path` cannot be written, save them in the temp folder and say where,
    so minutes of pose extraction are never lost to a full disk or a read-only folder."""
    path = Path(path)
    try:
        return save_landmarks_csv(series, path)
    except OutputError as exc:
        rescue = Path(tempfile.gettempdir()) / f"formcheck-{path.parent.name or 'landmarks'}-{os.getpid()}.csv"
        try:
            save_landmarks_csv(series, rescue)
        except OutputError:
            raise exc from None
        raise OutputError(
            f"{exc}; the landmarks were saved to {rescue} instead (analyze them later with: formcheck analyze {rescue})"
        ) from None


def load_landmarks_csv(path: str | Path) -> LandmarkSeries:
    """Read a landmarks CSV; a file not in the format gives an InputError naming the bad column or row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {path} as a landmarks CSV ({exc}); pass a file written by formcheck extract"
        ) from None
    return parse_landmarks_csv(text, name=path.name)


def parse_landmarks_csv(text: str, name: str = "landmarks CSV") -> LandmarkSeries:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise InputError(f"{name} is empty; pass a landmarks CSV written by formcheck extract")
    cols = [c.strip().lstrip("\ufeff") for c in lines[0].split(",")]
    if len(cols) == 1 and lines[0].count(";") >= len(BASE_COLUMNS):
        raise InputError(
            f"{name} uses ';' between cells (a spreadsheet's regional setting); save it with commas, "
            "as formcheck extract writes it"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(
            f"{name} is not a formcheck landmarks CSV: column '{missing[0]}'{more} missing "
            "(see docs/outputs.md, 'Landmarks CSV')"
        )
    known = [c for c in REQUIRED_COLUMNS + PRESENCE_COLUMNS + WORLD_COLUMNS + REFINED_COLUMNS if c in cols]
    index = [cols.index(c) for c in known]
    table = _parse_table(lines[1:], len(cols), index, name)
    return _series_from_table(table, {c: i for i, c in enumerate(known)}, name)


def _parse_table(rows: list[str], width: int, index: list[int], name: str) -> np.ndarray:
    """The numeric table of the columns at `index` (other columns are not read)."""
    if not rows:
        raise InputError(f"{name} has a header but no rows; extract landmarks from a video first")
    for i, row in enumerate(rows):
        if row.count(",") != width - 1:
            raise InputError(
                f"{name} row {i + 2} has {row.count(',') + 1} cells, the header has {width}; the file is damaged"
            )
    fast = _parse_numbers(rows, width)
    if fast is not None:
        return fast[:, index]
    arr = np.array([r.split(",") for r in rows], dtype=object)[:, index]
    arr[arr == ""] = "nan"
    try:
        return arr.astype(float)
    except ValueError:
        i, j = next((i, j) for i, row in enumerate(arr) for j, c in enumerate(row) if not _is_number(c))
        raise InputError(f"{name} row {i + 2} column {index[j] + 1} is not a number ({arr[i, j]!r})") from None


def _parse_numbers(rows: list[str], width: int) -> np.ndarray | None:
    """Every cell as a float in one C pass (empty cells -> NaN); None if any cell is not a number
    (then the caller parses cell by cell to name the bad one)."""
    text = ",".join(rows)
    text = text.replace(",,", ",nan,").replace(",,", ",nan,")  # twice: runs of empty cells
    if text.startswith(","):
        text = "nan" + text
    if text.endswith(","):
        text += "nan"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # older numpy warns where newer raises
            values = np.fromstring(text, dtype=float, sep=",")
    except ValueError:  # a cell that is not a number
        return None
    if values.size != len(rows) * width:
        return None
    return values.reshape(len(rows), width)


def _is_number(cell: str) -> bool:
    try:
        float(cell or "nan")
        return True
    except ValueError:
        return False


def _series_from_table(table: np.ndarray, pos: dict[str, int], name: str) -> LandmarkSeries:
    def take(names: tuple[str, ...]) -> np.ndarray:
        return table[:, [pos[c] for c in names]]

    n = table.shape[0]
    t = table[:, pos["t"]]
    if not np.isfinite(t).all():
        row = int(np.argmax(~np.isfinite(t))) + 2
        raise InputError(f"{name} row {row} has no usable timestamp t ({t[row - 2]}); every row needs t in seconds")
    if n > 1 and not np.all(np.diff(t) > 0):
        row = int(np.argmax(np.diff(t) <= 0)) + 3
        raise InputError(
            f"{name} row {row}: timestamps must be strictly increasing (sort by t and drop duplicate rows)"
        )
    size = take(("width", "height"))
    if np.isnan(size).any() or (size <= 0).any():
        raise InputError(f"{name}: width and height must be positive numbers on every row")
    frame = table[:, pos["frame"]]
    pose = take(POSE_COLUMNS).reshape(n, N_LANDMARKS, 4)
    has = lambda cols: all(c in pos for c in cols)
    return LandmarkSeries(
        t=t,
        xy=pose[:, :, :2],
        z=pose[:, :, 2],
        vis=pose[:, :, 3],
        width=int(size[0, 0]),
        height=int(size[0, 1]),
        frame=np.where(np.isnan(frame), np.arange(n), frame).astype(int),
        presence=take(PRESENCE_COLUMNS) if has(PRESENCE_COLUMNS) else None,
        world=take(WORLD_COLUMNS).reshape(n, N_LANDMARKS, 3) if has(WORLD_COLUMNS) else None,
        refined=take(REFINED_COLUMNS).reshape(n, len(REFINED_POINTS), 2) if has(REFINED_COLUMNS) else None,
    )
