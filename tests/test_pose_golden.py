"""Golden landmarks: MediaPipe on the first frames of a rendered sample video, stored with a margin.

Regenerate (after a deliberate model or wrapper change) with:
    python tests/test_pose_golden.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT / "sample_videos" / "clean_side.mp4"
GOLDEN = Path(__file__).with_name("golden") / "clean_side_first30.json"
N_FRAMES = 30
MARGIN_PX = 3.0  # MediaPipe builds differ slightly across machines; tracking drift stays well inside this


def first_frames_landmarks() -> np.ndarray:
    from formcheck.io.pose import PoseEstimator
    from formcheck.io.video import VideoFileSource

    out = []
    with VideoFileSource(VIDEO) as src, PoseEstimator() as est:
        for frame in src:
            if frame.index >= N_FRAMES:
                break
            out.append(est.detect(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), frame.t).xy)
    return np.array(out)


def test_golden_landmarks_on_a_sample_video():
    golden = np.array(json.loads(GOLDEN.read_text())["xy"])
    got = first_frames_landmarks()
    assert got.shape == golden.shape == (N_FRAMES, 33, 2)
    err = np.hypot(*(got - golden).transpose(2, 0, 1))
    assert np.nanmax(err) <= MARGIN_PX, f"largest deviation {np.nanmax(err):.2f} px"


def test_golden_landmarks_are_near_the_truth():
    """The stored golden values themselves sit near the renderer's true landmarks (working leg)."""
    from formcheck.core.landmarks import INDEX
    from formcheck.synth import load_truth

    golden = np.array(json.loads(GOLDEN.read_text())["xy"])
    truth = load_truth(VIDEO.with_suffix(".truth.json"))
    leg = [INDEX[f"{truth.side}_{p}"] for p in ("knee", "ankle", "heel", "foot_index")]
    err = np.hypot(*(golden[:, leg] - truth.landmarks_px[:N_FRAMES, leg]).transpose(2, 0, 1))
    assert np.median(err) < 15.0  # pixels in a 540x960 frame: a few % of leg length


if __name__ == "__main__" and "--update" in sys.argv:
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(
        json.dumps({"video": VIDEO.name, "frames": N_FRAMES, "xy": np.round(first_frames_landmarks(), 2).tolist()})
    )
    print(f"wrote {GOLDEN}")
