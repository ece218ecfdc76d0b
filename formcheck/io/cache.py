"""The landmark cache: a video analyzed again with the same model and settings skips the model.

An entry is keyed by the video's sha256, the model's sha256, the extraction settings (model
frame size, max fps, pose config) and the mediapipe version. It lives in the user cache
folder (``platformdirs.user_cache_dir("formcheck")/landmarks``, or ``$FORMCHECK_CACHE_DIR``);
`formcheck cache clear` empties it. Entries are written atomically; an entry that cannot be read
is ignored (and rewritten by the next extraction). Interrupted extractions are never cached.

The cache holds at most 1 GB (``$FORMCHECK_CACHE_MAX_MB`` to change it, 0 for no cache): after each new
entry the least recently used ones go first (an entry's modification time is set when it is read).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import LandmarkSeries
from formcheck.io.video import VideoInfo

ENV_VAR = "FORMCHECK_CACHE_DIR"
MAX_ENV_VAR = "FORMCHECK_CACHE_MAX_MB"
DEFAULT_MAX_MB = 1024
FORMAT = 1  # bump when the stored layout or the extraction code changes the landmarks
ARRAYS = ("t", "xy", "z", "vis", "frame", "presence", "world", "refined")


def cache_dir() -> Path:
    """$FORMCHECK_CACHE_DIR, else the user cache folder's formcheck/landmarks."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("formcheck", appauthor=False)) / "landmarks"


def max_bytes() -> int:
    """The size cap: $FORMCHECK_CACHE_MAX_MB (megabytes), else 1 GB; an unreadable value means the default."""
    raw = os.environ.get(MAX_ENV_VAR, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(0, int(mb * (1 << 20)))


def entries(folder: Path | None = None) -> list[Path]:
    """The cache's entries, least recently used first."""
    folder = folder or cache_dir()
    found = []
    for path in folder.glob("*.npz"):
        try:
            found.append((path.stat().st_mtime, path))
        except OSError:
            continue
    return [p for _, p in sorted(found)]


def cache_size(folder: Path | None = None) -> tuple[int, int]:
    """(entries, bytes)."""
    paths = entries(folder)
    return len(paths), sum(_size(p) for p in paths)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def enforce_cap(limit: int | None = None, folder: Path | None = None, keep: Path | None = None) -> int:
    """Delete least recently used entries until the cache is within `limit` bytes (default max_bytes());
    `keep` (the entry just written) goes last. Returns the number deleted."""
    limit = max_bytes() if limit is None else limit
    paths = entries(folder)
    if keep is not None and keep in paths:
        paths.remove(keep)
        paths.append(keep)
    total = sum(_size(p) for p in paths)
    deleted = 0
    for path in paths:
        if total <= limit:
            break
        size = _size(path)
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        deleted += 1
    return deleted


def clear(folder: Path | None = None) -> tuple[int, int]:
    """Delete every entry (and leftover temporary files); (entries, bytes) freed."""
    folder = folder or cache_dir()
    n, freed = 0, 0
    for path in [*folder.glob("*.npz"), *folder.glob(".*.tmp")]:
        size = _size(path)
        try:
            path.unlink()
        except OSError:
            continue
        n += path.suffix == ".npz"
        freed += size
    return n, freed


def cache_key(input_sha256: str, model_sha256: str, settings: dict[str, Any]) -> str:
    """A hex digest of everything that decides the landmarks."""
    from formcheck.io.pose import mediapipe_version

    ident = {
        "format": FORMAT,
        "input": input_sha256,
        "model": model_sha256,
        "mediapipe": mediapipe_version(),
        "settings": settings,
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()


def entry_path(key: str, folder: Path | None = None) -> Path:
    return (folder or cache_dir()) / f"{key}.npz"


def load_entry(key: str, folder: Path | None = None) -> tuple[LandmarkSeries, VideoInfo, list[str]] | None:
    """The cached (series, video info, warnings), or None if absent or unreadable (a bad entry is ignored)."""
    path = entry_path(key, folder)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in ARRAYS if k in data.files}
        series = LandmarkSeries(width=meta["width"], height=meta["height"], **arrays)
        hit = series, VideoInfo(**meta["info"]), list(meta["warnings"])
    except Exception:
        return None
    try:
        os.utime(path)  # used now: the last to go when the cache is over its size cap
    except OSError:
        pass
    return hit


def save_entry(
    key: str, series: LandmarkSeries, info: VideoInfo, warnings: list[str], folder: Path | None = None
) -> Path | None:
    """Write the entry atomically, then keep the cache under its size cap; None (and nothing written) if the
    cache folder is not writable or the cap is 0."""
    limit = max_bytes()
    if limit == 0:
        return None
    path = entry_path(key, folder)
    meta = {"width": series.width, "height": series.height, "info": asdict(info), "warnings": list(warnings)}
    arrays = {k: getattr(series, k) for k in ARRAYS if getattr(series, k) is not None}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:16]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return None  # a cache is an optimisation: never fail an analysis over it
    enforce_cap(limit, path.parent, keep=path)
    return path if path.exists() else None
