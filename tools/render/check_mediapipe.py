"""Run MediaPipe Pose (full, VIDEO mode) on a render and compare with its truth.

    python -m tools.render.check_mediapipe sample_videos/clean_side [--every 1]

Prints detection rate, working-leg errors (% of thigh+shank length), and the per-rep
heel rise/drop ratio (MediaPipe heel point vs its truth, relative to the flat-foot level).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from formcheck.core.landmarks import INDEX
from formcheck.synth.truth import load_truth

MODEL = Path(__file__).resolve().parents[2] / "formcheck" / "models" / "pose_landmarker_full.task"


def detect(mp4: Path, every: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(frame indices, (N, 33, 2) pixels, NaN where no pose)."""
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    opts = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(MODEL)), running_mode=vision.RunningMode.VIDEO
    )
    cap = cv2.VideoCapture(str(mp4))
    fps = cap.get(cv2.CAP_PROP_FPS)
    idx, out = [], []
    try:
        with vision.PoseLandmarker.create_from_options(opts) as lm:
            i = 0
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                if i % every == 0:
                    h, w = bgr.shape[:2]
                    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
                    res = lm.detect_for_video(
                        mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(round(i * 1000 / fps))
                    )
                    xy = np.full((33, 2), np.nan)
                    if res.pose_landmarks:
                        xy = np.array([[p.x * w, p.y * h] for p in res.pose_landmarks[0]])
                    idx.append(i)
                    out.append(xy)
                i += 1
    finally:
        cap.release()
    return np.array(idx), np.array(out)


def report(stem: Path, every: int = 1) -> dict[str, float]:
    truth = load_truth(stem.with_name(stem.name + ".truth.json"))
    idx, xy = detect(stem.with_suffix(".mp4"), every)
    true = truth.landmarks_px[idx]
    s = truth.side
    found = ~np.isnan(xy[:, 0, 0])
    leg = np.linalg.norm(true[:, INDEX[f"{s}_hip"]] - true[:, INDEX[f"{s}_knee"]], axis=1) + np.linalg.norm(
        true[:, INDEX[f"{s}_knee"]] - true[:, INDEX[f"{s}_ankle"]], axis=1
    )
    res = {"frames": float(len(idx)), "detected_pct": 100.0 * found.mean()}
    for part in ("hip", "knee", "ankle", "heel", "foot_index"):
        for side in (s, "left" if s == "right" else "right"):
            k = INDEX[f"{side}_{part}"]
            err = np.linalg.norm(xy[found, k] - true[found, k], axis=1) / leg[found]
            res[f"err_{side}_{part}_pct"] = 100.0 * float(np.median(err))
    t = truth.t[idx]
    heel = INDEX[f"{s}_heel"]
    flat = (t < truth.set_start) & found
    ratios = []
    for r in truth.reps:
        top = found & (t >= r.t_top_start) & (t <= r.t_top_end + 1e-6)
        bot = found & (t >= r.t_bottom) & (t <= r.t_end + 1e-6)
        if top.any() and bot.any():
            ratios.append(
                (xy[bot, heel, 1].mean() - xy[top, heel, 1].mean())
                / (true[bot, heel, 1].mean() - true[top, heel, 1].mean())
            )
    res["heel_range_ratio_median"] = float(np.median(ratios)) if ratios else float("nan")
    if flat.any():
        res["heel_flat_offset_px"] = float(np.mean(xy[flat, heel, 1] - true[flat, heel, 1]))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.render.check_mediapipe", description=__doc__)
    ap.add_argument("stems", nargs="+", help="render paths without extension")
    ap.add_argument("--every", type=int, default=1)
    a = ap.parse_args(argv)
    for stem in a.stems:
        res = report(Path(stem), a.every)
        print(stem, " ".join(f"{k}={v:.2f}" for k, v in res.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
