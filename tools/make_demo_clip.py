"""Make formcheck/data/demo.mp4, the clip `formcheck demo` analyzes (shipped in the package, under 0.5 MB).

It is the first 16 s of the project's own render sample_videos/clean_side.mp4 (side view, right leg, the
first four of its six clean reps), re-encoded to H.264 by the ffmpeg binary of the imageio-ffmpeg wheel.
No frame is changed: the truth of those four reps is sample_videos/clean_side.truth.json's reps 1-4.

Usage:  python -m tools.make_demo_clip [--out formcheck/data/demo.mp4]
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sample_videos" / "clean_side.mp4"
SECONDS = 16.0  # rep 4 ends (t_end) at 16.0 s in clean_side.truth.json
REPS = 4
MAX_BYTES = 500_000


def make_demo_clip(out: Path, source: Path = SOURCE, seconds: float = SECONDS) -> Path:
    import imageio_ffmpeg

    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-i",
        str(source),
        "-t",
        f"{seconds:g}",
        "-an",
        "-map_metadata",
        "-1",
        "-c:v",
        "libx264",
        "-preset",
        "slow",
        "-crf",
        "28",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        str(out),
    ]
    subprocess.run(cmd, check=True)
    size = out.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes, over the {MAX_BYTES} the package may carry; raise -crf")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "formcheck" / "data" / "demo.mp4")
    args = parser.parse_args()
    path = make_demo_clip(args.out)
    print(f"{path}: {path.stat().st_size} bytes, {SECONDS:g} s, {REPS} reps")


if __name__ == "__main__":
    main()
