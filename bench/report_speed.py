"""Speed of the report outputs: overlay drawing per frame size, the annotated-video pass, report.html.

    python bench/report_speed.py [--clip sample_videos/faults_side.mp4]

Landmarks come from the bench cache (extracted once), so MediaPipe's time is not in these figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import SAMPLES, landmarks

from formcheck.pipeline import (
    AnalyzeResult,
    analyze_loaded,
    write_visual_outputs,
)
from formcheck.viz.overlay import OverlayState, draw_overlay

CACHE = Path("/tmp/formcheck-bench-cache")


def overlay_ms(h: int, w: int, n: int = 200) -> float:
    leg = ((0.5 * w, 0.45 * h), (0.52 * w, 0.65 * h), (0.5 * w, 0.85 * h), (0.47 * w, 0.87 * h), (0.6 * w, 0.88 * h))
    state = OverlayState(
        leg=leg,
        gauge=0.6,
        reps=7,
        phase="lower",
        phase_s=1.2,
        tempo_cue="slower",
        faults=(("Rep 7: lowering too fast - take about 2 s down", "minor"),),
        hints=("side view: hip level not checked",),
    )
    frame = np.full((h, w, 3), 90, np.uint8)
    t0 = time.perf_counter()
    for _ in range(n):
        draw_overlay(frame, state)
    return 1000 * (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", type=Path, default=SAMPLES / "faults_side.mp4")
    args = ap.parse_args()
    for h, w, name in ((480, 640, "webcam 640x480"), (720, 1280, "720p"), (1920, 1080, "phone 1080x1920")):
        print(f"draw_overlay {name:16s} {overlay_ms(h, w):6.2f} ms/frame")
    loaded = landmarks(args.clip, CACHE)
    import dataclasses

    loaded.info = dataclasses.replace(loaded.info, kind="video", path=str(args.clip))
    report = analyze_loaded(loaded)
    data = report.to_dict()
    n = len(report.series)
    with tempfile.TemporaryDirectory() as tmp:
        for video in (True, False):
            result = AnalyzeResult(report, data, Path(tmp) / str(video))
            t0 = time.perf_counter()
            write_visual_outputs(result, video=video)
            wall = time.perf_counter() - t0
            what = "annotated.mp4 + report.html" if video else "report.html (--no-video, thumbnails pass)"
            size = sum(p.stat().st_size for p in result.out_dir.iterdir()) / 1e6
            print(f"{args.clip.name}: {what:42s} {wall:6.2f} s  {n / wall:6.1f} frames/s  {size:5.2f} MB")


if __name__ == "__main__":
    main()
