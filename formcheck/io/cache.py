"""The landmark cache: a video analyzed again with the same model and settings skips the model.

An entry is keyed by the video's sha256, the model's sha256, the extraction settings (model
frame size, max fps, pose config) and the mediapipe version. It lives in the user cache
folder (``platformdirs.user_cache_dir("formcheck")/landmarks``, or ``$FORMCHECK_CACHE_DIR``);
deleting that folder clears it. Entries are written atomically; an entry that cannot be read
is ignored (and rewritten by the next extraction). Interrupted extractions are never cached.
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
FORMAT = 1  # bump when the stored layout or the extraction code changes the landmarks
ARRAYS = ("t", "xy", "z", "vis", "frame", "presence", "world", "refined")


def cache_dir() -> Path:
    """$FORMCHECK_CACHE_DIR, else the user cache folder's formcheck/landmarks."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("formcheck", appauthor=False)) / "landmarks"


def cache_key(input_sha256: str, model_sha256: str, settings: dict[str, Any]) -> str:
    """A hex digest of everything that decides the landmarks."""
    from formcheck.io.pose import mediapipe_version

    ident = {"format": FORMAT, "input": input_sha256, "model": model_sha256, "mediapipe": mediapipe_version(),
             "settings": settings}
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
        return series, VideoInfo(**meta["info"]), list(meta["warnings"])
    except Exception:  # noqa: BLE001 - any damage (truncated zip, bad JSON, wrong shapes) means: not cached
        return None


def save_entry(key: str, series: LandmarkSeries, info: VideoInfo, warnings: list[str],
               folder: Path | None = None) -> Path | None:
    """Write the entry atomically; None (and nothing written) if the cache folder is not writable."""
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
    return path
