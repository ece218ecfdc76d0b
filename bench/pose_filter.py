"""MediaPipe's own landmark filter: what it does to the heel trace and the phase times, side by side.

MediaPipe's PoseLandmarker in VIDEO mode filters its landmarks (a one-euro filter on the frames'
timestamps) when it is asked for one person and not when it is asked for more (its filter only
handles one pose). formcheck runs it for one person (the person lock keeps it on the same one) and
tells it the frames are 30x further apart than they are, which raises the filter's cut-off
frequencies 30x (PoseConfig.time_scale). Settings compared: one person with the filter as MediaPipe
sets it (time x1), the default (x30), two people (`--people 2`, no filter, the detector on every
frame), and any `--time-scale K`. On every render with exact truth (sample_videos/*.mp4 with
*.truth.json, and ../shared/renders/*.mp4 with *_gt.json / *_gt.npz), for each setting:

- reps found vs true, and per rep the error of each phase time (rise, top hold, lowering, bottom pause)
  and of the phase boundaries (top reached, lowering starts, bottom reached), median over reps;
- the working heel's trace against the true position of the point MediaPipe's heel tracks: jitter
  (median |second difference|, px; the truth's own beside it), amplitude (slope of the model's heel
  height against the true one), residual spread (what the slope does not explain, as a fraction of
  the true motion's spread) and lag (the shift, in frames, that best lines up the two velocities).

    python bench/pose_filter.py [--cache DIR] [--no-shared] [--renders DIR] [--time-scale K ...]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from _common import SAMPLES, SHARED, landmarks

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import INDEX
from formcheck.errors import FormcheckError
from formcheck.io.extract import ExtractConfig
from formcheck.synth import load_truth

RENDERS = SHARED.parent / "renders"
PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")
EVENTS = ("t_top_start", "t_top_end", "t_bottom")
SETTINGS = {
    "1 person, filter as is": {"num_poses": 1, "time_scale": 1.0},
    "1 person, default (x30)": {"num_poses": 1},
    "2 people (no filter)": {"num_poses": 2},
}


@dataclass
class Clip:
    """A render with truth: its reps' times and the true heel point of the working foot per frame."""

    name: str
    video: Path
    side: str
    reps: list[dict[str, float]]
    t: np.ndarray  # truth frame times
    heel: np.ndarray  # (n, 2) true pixels of the point MediaPipe's heel tracks


def sample_clips() -> list[Clip]:
    out = []
    for video in sorted(SAMPLES.glob("*.mp4")):
        path = video.with_suffix(".truth.json")
        if not path.exists():
            continue
        tr = load_truth(path)
        reps = [{k: getattr(r, k) for k in PHASES + EVENTS + ("t_start", "t_end")} for r in tr.reps]
        heel = tr.landmarks_px[:, INDEX[f"{tr.side}_heel"]]
        out.append(Clip(video.stem, video, tr.side, reps, np.asarray(tr.t), heel))
    return out


def shared_clips(folder: Path = RENDERS) -> list[Clip]:
    out = []
    for video in sorted(folder.glob("*.mp4")):
        gt_json, gt_npz = video.with_name(f"{video.stem}_gt.json"), video.with_name(f"{video.stem}_gt.npz")
        if not (gt_json.exists() and gt_npz.exists()):
            continue
        d, z = json.loads(gt_json.read_text()), np.load(gt_npz)
        side = d["working_side"]
        reps = [{k: r[k] for k in PHASES + EVENTS + ("t_start", "t_end")} for r in d["reps"]]
        out.append(Clip(video.stem, video, side, reps, z["ts"], z["mp_heel2d"][:, 0 if side == "left" else 1]))
    return out


def match_reps(found: list[dict], true: list[dict]) -> list[tuple[dict, dict]]:
    """Each true rep with the found rep whose top is nearest (within 1 s), each found rep used once."""
    pairs, used = [], set()
    for tr in true:
        mid = (tr["t_top_start"] + tr["t_top_end"]) / 2
        best = min(
            ((abs((f["t_top_start"] + f["t_top_end"]) / 2 - mid), k) for k, f in enumerate(found) if k not in used),
            default=None,
        )
        if best is not None and best[0] < 1.0:
            used.add(best[1])
            pairs.append((found[best[1]], tr))
    return pairs


def timing(pairs: list[tuple[dict, dict]]) -> dict[str, tuple[float, float]]:
    """(median |error|, median signed error) in seconds per phase and per event."""
    out = {}
    for key in PHASES + EVENTS:
        err = [f[key] - t[key] for f, t in pairs if f.get(key) is not None]
        out[key] = (float(np.median(np.abs(err))), float(np.median(err))) if err else (np.nan, np.nan)
    return out


def heel_trace(series, clip: Clip) -> dict[str, float]:
    """The model's working heel height against the true one over the frames both have."""
    k = np.clip(np.searchsorted(clip.t, series.t - 1e-6), 0, len(clip.t) - 1)
    got = -series.xy[:, INDEX[f"{clip.side}_heel"], 1]
    want = -clip.heel[k, 1]
    ok = np.isfinite(got) & np.isfinite(want)
    g, w = got[ok] - got[ok].mean(), want[ok] - want[ok].mean()
    slope = float(np.dot(g, w) / np.dot(w, w))
    residual = float(np.std(g - slope * w) / np.std(w))
    jitter = float(np.median(np.abs(np.diff(got[ok], 2))))
    jitter_true = float(np.median(np.abs(np.diff(want[ok], 2))))
    vg, vw = np.diff(g), np.diff(w)
    shifts = range(-6, 7)
    corr = [
        np.corrcoef(vg[max(s, 0) : len(vg) + min(s, 0)], vw[max(-s, 0) : len(vw) - max(s, 0)])[0, 1] for s in shifts
    ]
    return {
        "jitter": jitter,
        "jitter_true": jitter_true,
        "slope": slope,
        "residual": residual,
        "lag": float(list(shifts)[int(np.argmax(corr))]),
    }


def evaluate(clip: Clip, pose: dict, cache: Path | None) -> dict:
    extract = ExtractConfig(pose=replace(ExtractConfig().pose, **pose))
    series = landmarks(clip.video, cache, extract).series
    try:
        a = analyze_series(series)
        found = [
            {
                "t_start": r.times.t_start,
                "t_end": r.times.t_end,
                "t_top_start": r.times.t_top_start,
                "t_top_end": r.times.t_top_end,
                "t_bottom": r.times.t_bottom,
                **{k: r.metrics[k] for k in PHASES},
            }
            for r in a.reps
        ]
    except FormcheckError:
        found = []
    pairs = match_reps(found, clip.reps)
    return {
        "reps": len(found),
        "true": len(clip.reps),
        "matched": len(pairs),
        "timing": timing(pairs),
        "pairs": pairs,
        "heel": heel_trace(series, clip),
    }


def print_clip(clip: Clip, results: dict[str, dict]) -> None:
    print(f"\n{clip.name} ({len(clip.reps)} reps, {clip.side} foot)")
    print(
        f"    {'setting':24s} {'reps':>5s}  "
        + "  ".join(f"{k[:-2]:>14s}" for k in PHASES)
        + "  "
        + "  ".join(f"{k[2:]:>14s}" for k in EVENTS)
    )
    for label, r in results.items():
        cells = [f"{r['timing'][k][0]:6.3f} ({r['timing'][k][1]:+.2f})" for k in PHASES + EVENTS]
        print(f"    {label:24s} {r['reps']:2d}/{r['true']:<2d}  " + "  ".join(cells))
    print(f"    {'heel trace':24s} {'jitter px (truth)':>18s} {'amplitude':>10s} {'residual':>9s} {'lag frames':>11s}")
    for label, r in results.items():
        h = r["heel"]
        print(
            f"    {label:24s} {h['jitter']:8.2f} ({h['jitter_true']:.2f})    {h['slope']:10.2f} {h['residual']:9.2f} "
            f"{h['lag']:+11.0f}"
        )


def summary(all_results: list[dict[str, dict]]) -> None:
    print("\n== all renders: median |error| over every matched rep (s), reps found, heel trace medians")
    for label in SETTINGS:
        rs = [r[label] for r in all_results]
        pairs = [p for r in rs for p in r["pairs"]]
        tm = timing(pairs)
        right = sum(r["reps"] == r["true"] for r in rs)
        heel = {k: float(np.median([r["heel"][k] for r in rs])) for k in ("jitter", "slope", "residual", "lag")}
        n_true = sum(r["true"] for r in rs)
        print(
            f"    {label:24s} counts right {right}/{len(rs)}, reps matched {len(pairs)}/{n_true}  "
            + "  ".join(f"{k[:-2]} {tm[k][0]:.3f}" for k in PHASES)
            + "  "
            + "  ".join(f"{k[2:]} {tm[k][0]:.3f} ({tm[k][1]:+.3f})" for k in EVENTS)
        )
        print(
            f"    {'':24s} heel jitter {heel['jitter']:.2f} px, amplitude {heel['slope']:.2f}, residual "
            f"{heel['residual']:.2f}, lag {heel['lag']:+.0f} frames"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/formcheck-bench-cache"),
        help="folder for extracted landmarks (reused when the video is unchanged)",
    )
    parser.add_argument("--no-shared", action="store_true", help="skip ../shared/renders")
    parser.add_argument("--renders", type=Path, default=RENDERS, help="folder of renders with *_gt.json / *_gt.npz")
    parser.add_argument(
        "--time-scale",
        type=float,
        action="append",
        default=[],
        help="also one person with the model's timestamps scaled by this (its filter weakened "
        "this many times; the default setting is 30)",
    )
    args = parser.parse_args()
    for k in args.time_scale:
        SETTINGS[f"1 person, time x{k:g}"] = {"num_poses": 1, "time_scale": k}
    clips = sample_clips() + ([] if args.no_shared else shared_clips(args.renders))
    print(
        "phase times: median |error| over reps, s (median signed error); events: when the top is reached, the "
        "lowering starts, the bottom is reached"
    )
    everything = []
    for clip in clips:
        results = {label: evaluate(clip, pose, args.cache) for label, pose in SETTINGS.items()}
        print_clip(clip, results)
        everything.append(results)
    summary(everything)


if __name__ == "__main__":
    main()
