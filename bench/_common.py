"""Shared helpers for the bench scripts: where clips are, cached landmark extraction, MANIFEST parsing."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
SHARED = ROOT.parent / "shared" / "videos"
sys.path.insert(0, str(ROOT))

from formcheck.inputs import LoadedInput, load_input  # noqa: E402 - after the repository root is put on sys.path
from formcheck.io.cache import ENV_VAR  # noqa: E402 - after the repository root is put on sys.path
from formcheck.io.extract import ExtractConfig  # noqa: E402 - after the repository root is put on sys.path


def landmarks(video: Path, cache_dir: Path | None, extract: ExtractConfig | None = None) -> LoadedInput:
    """Extract with these settings, or reuse the landmark cache (formcheck's own, kept in cache_dir,
    keyed by the video's sha256, the model and the settings)."""
    if cache_dir is not None:
        os.environ[ENV_VAR] = str(cache_dir)
    return load_input(video, extract=extract, use_cache=cache_dir is not None)


def extract_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-side",
        type=int,
        default=ExtractConfig().max_side,
        help="long side of the frame the model sees, px (0 = full size; default %(default)s)",
    )
    parser.add_argument(
        "--max-fps",
        type=float,
        default=ExtractConfig().max_fps,
        help="model frames per second at most (0 = every frame; default %(default)s)",
    )
    parser.add_argument(
        "--num-poses",
        type=int,
        default=ExtractConfig().pose.num_poses,
        help="people MediaPipe looks for (default %(default)s)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=ExtractConfig().pose.time_scale,
        help="one person: the model's timestamps scaled by this, weakening its landmark filter "
        "(default %(default)s; 1 = MediaPipe's filter as it comes)",
    )


def extract_config(args: argparse.Namespace) -> ExtractConfig:
    from dataclasses import replace

    base = ExtractConfig()
    return ExtractConfig(
        max_side=args.max_side or None,
        max_fps=args.max_fps or None,
        pose=replace(base.pose, num_poses=args.num_poses, time_scale=args.time_scale),
    )


def manifest_reps(manifest: Path) -> dict[str, int | None]:
    """file name -> hand-counted reps (None where 'not analyzable')."""
    out: dict[str, int | None] = {}
    for line in manifest.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].endswith(".mp4"):
            m = re.match(r"(\d+)", cells[4])
            out[cells[0]] = int(m.group(1)) if m else None
    return out
