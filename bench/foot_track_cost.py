"""What the foot track costs (bench/foot_track.py's time section): `formcheck extract --no-cache` with and
without --no-foot-track in their own processes (best of --repeat), the tracker alone per analyzed frame, and
`formcheck live --source` latency with and without it."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import landmarks
from speed import best, clip_facts, run


def tracker_ms(video: Path, cache: Path | None) -> tuple[float, float, int]:
    """The tracker alone on every analyzed frame (poses from the cache): p50, p95 ms per frame, frames."""
    from formcheck.io.foot_track import FootTracker
    from formcheck.io.video import VideoFileSource

    series = landmarks(video, cache).series
    wanted = {int(f): k for k, f in enumerate(series.frame)}
    feet, dt = FootTracker(), []
    with VideoFileSource(video) as src:
        for frame in src.frames(lambda t: True):
            k = wanted.get(frame.index)
            if k is None:
                continue
            t0 = time.perf_counter()
            feet.update(frame.image, series.t[k], series.xy[k], series.vis[k])
            dt.append(1000 * (time.perf_counter() - t0))
    return float(np.percentile(dt, 50)), float(np.percentile(dt, 95)), len(dt)


def time_rows(clips: list[Path], cache: Path | None, repeat: int) -> list[str]:
    fc = [sys.executable, "-m", "formcheck"]
    lines = []
    for clip in clips:
        frames, fps, w, h = clip_facts(clip)
        lines.append(f"  {clip.name}: {frames} frames, {fps:.2f} fps, {w}x{h} (best of {repeat})")
        with tempfile.TemporaryDirectory() as tmp:
            walls = {}
            for label, extra in (("without refinement", ["--no-foot-track"]), ("with refinement", [])):
                r = best(
                    [
                        run(
                            fc
                            + ["extract", str(clip), "-o", str(Path(tmp) / "lm.csv"), "--quiet", "--no-cache", *extra]
                        )
                        for _ in range(repeat)
                    ]
                )
                walls[label] = r.wall
                lines.append(
                    f"      formcheck extract {label:20s} {r.wall:7.2f} s, peak {r.peak_mb:4.0f} MB, load {r.load:.1f}"
                )
            added = walls["with refinement"] / walls["without refinement"] - 1
            p50, p95, n = tracker_ms(clip, cache)
            lines.append(
                f"      refinement adds {100 * added:+.1f} % to extract (target <= 15 %); the tracker alone: "
                f"p50 {p50:.2f} ms, p95 {p95:.2f} ms per analyzed frame ({n} frames)"
            )
            for label, extra in (("without refinement", ["--no-foot-track"]), ("with refinement", [])):
                r = run(
                    fc + ["live", "--source", str(clip), "--no-window", "-o", str(Path(tmp) / "live"), "--json", *extra]
                )
                live = json.loads(r.stdout)["live"]
                lat, ft = live["latency_ms"], live["stages_ms"]["refinement"]
                lines.append(
                    f"      live {label:20s} latency p50 {lat['p50']} ms p95 {lat['p95']} ms"
                    + (f"; of it the foot track p50 {ft['p50']} ms p95 {ft['p95']} ms" if ft["p50"] else "")
                    + f"  load {r.load:.1f}"
                )
    return lines
