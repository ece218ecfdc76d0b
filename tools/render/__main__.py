"""python -m tools.render --script clean_side --view side --fps 30 --size 540x960 --out sample_videos/clean_side"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from formcheck.errors import FormcheckError
from formcheck.synth.camera import VIEWS, parse_size
from formcheck.synth.presets import load_script
from tools.render.render import RenderConfig, render


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__)
    ap.add_argument("--script", required=True, help="preset name or a JSON set script")
    ap.add_argument("--view", default="side", choices=VIEWS)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--size", default="540x960", help="WIDTHxHEIGHT (portrait if height > width)")
    ap.add_argument("--distance", type=float, default=3.0, help="camera distance (m)")
    ap.add_argument("--camera-height", type=float, default=1.0, help="camera height (m)")
    ap.add_argument("--azimuth", type=float, default=0.0, help="turn the camera about the athlete (degrees)")
    ap.add_argument("--span", type=float, default=None, help="metres of world the frame shows vertically")
    ap.add_argument("--seed", type=int, default=None, help="override the script's seed (colours, noise)")
    ap.add_argument("--noise", type=float, default=2.0, help="camera noise sigma (8-bit levels)")
    ap.add_argument("--crf", type=int, default=26, help="x264 quality (higher = smaller file)")
    ap.add_argument("--no-band", action="store_true")
    ap.add_argument("--max-frames", type=int, default=0, help="render only the first N frames (preview)")
    ap.add_argument("--png", default=None, help="also save frame --png-frame as this PNG")
    ap.add_argument("--png-frame", type=int, default=0)
    ap.add_argument("--out", required=True, help="output path without extension, e.g. sample_videos/NAME")
    a = ap.parse_args(argv)
    try:
        script = load_script(a.script)
        script = replace(script, fps=a.fps, **({} if a.seed is None else {"seed": a.seed}))
        w, h = parse_size(a.size)
        cfg = RenderConfig(
            a.view,
            w,
            h,
            a.distance,
            a.camera_height,
            a.noise,
            a.crf,
            not a.no_band,
            a.max_frames,
            azimuth_offset_deg=a.azimuth,
            span_m=a.span,
        )
    except FormcheckError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code

    def progress(i: int, n: int, img) -> None:
        if a.png and i == a.png_frame:
            import cv2

            cv2.imwrite(a.png, img[:, :, ::-1])
        if i % 100 == 0:
            print(f"frame {i}/{n}", file=sys.stderr, flush=True)

    mp4, truth = render(script, cfg, Path(a.out), progress)
    print(f"wrote {mp4} and {truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
