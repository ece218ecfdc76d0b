"""Speed of formcheck vs a naive MediaPipe loop, side by side on the same clips.

(a) naive: cv2.VideoCapture.read -> cvtColor -> detect_for_video, one thread, every frame
(b) `formcheck extract` as shipped
(c) `formcheck analyze` from a landmarks CSV (no model, no video writing)
(d) `formcheck analyze` on the video with all outputs
Each runs in its own process: frames/s, x real time, (b)/(a), peak memory (max RSS).

    python bench/speed.py [--clip PATH ...] [--frames N]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, SAMPLES, SHARED

NAIVE = r'''
import sys, time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from formcheck.io.model import BUNDLED_MODEL
path, limit = sys.argv[1], int(sys.argv[2])
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(BUNDLED_MODEL)),
                                    running_mode=vision.RunningMode.VIDEO)
t0 = time.perf_counter(); n = 0
with vision.PoseLandmarker.create_from_options(opts) as lm:
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    while n < limit:
        ok, frame = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(n * 1000 / fps))
        n += 1
print(n, time.perf_counter() - t0)
'''


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed: {proc.stderr.strip().splitlines()[-1:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024, proc.stdout


def clip_facts(path: Path) -> tuple[int, float]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return n, fps


def bench_clip(clip: Path) -> list[str]:
    frames, fps = clip_facts(clip)
    duration = frames / fps
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        naive_wall, naive_mem, naive_out = run([py, "-c", NAIVE, str(clip), str(frames)])
        naive_frames, naive_loop = naive_out.split()
        ext_wall, ext_mem, _ = run([py, "-m", "formcheck", "extract", str(clip), "-o", str(out / "lm.csv"),
                                    "--quiet", "--no-cache"])
        csv_wall, csv_mem, _ = run([py, "-m", "formcheck", "analyze", str(out / "lm.csv"), "-o", str(out / "a"),
                                    "--json"])
        full_wall, full_mem, _ = run([py, "-m", "formcheck", "analyze", str(clip), "-o", str(out / "b"), "--quiet",
                                      "--no-cache"])
    rows = [f"{clip.name}: {frames} frames, {fps:.2f} fps, {duration:.1f} s"]
    for label, wall, mem in (("(a) naive loop", naive_wall, naive_mem), ("(b) formcheck extract", ext_wall, ext_mem),
                             ("(c) analyze landmarks.csv", csv_wall, csv_mem),
                             ("(d) analyze video, all outputs", full_wall, full_mem)):
        rows.append(f"    {label:32s} {wall:6.2f} s  {frames / wall:6.1f} frames/s  {duration / wall:5.2f} x real time"
                    f"  peak {mem:6.0f} MB")
    rows.append(f"    (b) vs (a): {naive_wall / ext_wall:.2f}x the naive loop's speed;  (d) vs (b): "
                f"{full_wall / ext_wall:.2f}x the time  (naive loop alone, without start-up: {float(naive_loop):.2f} s)")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, action="append", help="clip(s) to time (default: a sample video "
                        "and ../shared/videos/merged_single_leg_standing_calf_raise.mp4 when present)")
    args = parser.parse_args()
    clips = args.clip or [SAMPLES / "clean_side.mp4"]
    merged = SHARED / "merged_single_leg_standing_calf_raise.mp4"
    if not args.clip and merged.exists():
        clips.append(merged)
    for clip in clips:
        print("\n".join(bench_clip(clip)))


if __name__ == "__main__":
    main()
