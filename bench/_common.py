"""Shared helpers for the bench scripts: where clips are, cached landmark extraction, MANIFEST parsing."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
SHARED = ROOT.parent / "shared" / "videos"
sys.path.insert(0, str(ROOT))

from formcheck.api import LoadedInput, load_input  # noqa: E402
from formcheck.io.landmarks_csv import load_landmarks_csv, save_landmarks_csv  # noqa: E402
from formcheck.io.model import file_sha256  # noqa: E402


def landmarks(video: Path, cache_dir: Path | None) -> LoadedInput:
    """Extract (or reuse a cached CSV keyed by the video's sha256)."""
    if cache_dir is not None:
        cached = cache_dir / f"{video.stem}.{file_sha256(video)[:16]}.csv"
        if cached.exists():
            return load_input(cached)
    loaded = load_input(video)
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        save_landmarks_csv(loaded.series, cached)
    return loaded


def manifest_reps(manifest: Path) -> dict[str, int | None]:
    """file name -> hand-counted reps (None where 'not analyzable')."""
    out: dict[str, int | None] = {}
    for line in manifest.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].endswith(".mp4"):
            m = re.match(r"(\d+)", cells[4])
            out[cells[0]] = int(m.group(1)) if m else None
    return out
