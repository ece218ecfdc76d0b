"""Accuracy of formcheck against ground truth, side by side with a naive baseline.

Sample videos (sample_videos/*.mp4 with *.truth.json): landmark error vs the true
landmarks, reps found vs true, tempo errors (median over reps), heel range vs truth,
faults found vs injected (precision / recall per fault id).
Real clips (../shared/videos, when present): reps found vs the MANIFEST's hand counts.
The naive baseline counts crossings of the middle of the raw heel trace (no hysteresis).

    python bench/accuracy.py [--cache DIR] [--no-shared]

Exits 1 if a sample video's rep count is wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _common import SAMPLES, SHARED, extract_config, extract_options, landmarks, manifest_reps

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.report import analysis_to_dict
from formcheck.errors import FormcheckError
from formcheck.io.extract import keep_at_most
from formcheck.synth import load_truth

PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")
LEG = ("hip", "knee", "ankle", "heel", "foot_index")


def naive_count(series: LandmarkSeries) -> int:
    """Threshold counter on the raw mean heel height: one rep per upward crossing of the clip's middle."""
    heels = series.xy[:, [INDEX["left_heel"], INDEX["right_heel"]], 1]
    seen = np.isfinite(heels).any(axis=1)  # frames without a pose have no heel at all
    y = -np.nanmean(heels[seen], axis=1)
    if y.size < 3:
        return 0
    mid = (np.nanmax(y) + np.nanmin(y)) / 2
    above = y > mid
    return int(np.sum(above[1:] & ~above[:-1]))


def landmark_errors(series: LandmarkSeries, truth) -> list[tuple[str, float, float]]:
    side = truth.side
    tl = truth.landmarks_px
    n = min(len(series), tl.shape[0])
    leg_px = np.nanmedian(
        np.hypot(*(tl[:n, INDEX[f"{side}_hip"]] - tl[:n, INDEX[f"{side}_knee"]]).T)
        + np.hypot(*(tl[:n, INDEX[f"{side}_knee"]] - tl[:n, INDEX[f"{side}_ankle"]]).T)
    )
    rows = []
    for s in (side, "right" if side == "left" else "left"):
        for part in LEG:
            i = INDEX[f"{s}_{part}"]
            err = np.hypot(*(series.xy[:n, i] - tl[:n, i]).T)
            med = float(np.nanmedian(err))
            rows.append((f"{s}_{part}{' (working)' if s == side else ''}", med, 100 * med / leg_px))
    return rows


def fault_counts(found: list[list[str]], truth_faults: list[tuple[str, ...]], checked: set[str]):
    stats: dict[str, list[int]] = {}
    for got, want in zip(found, truth_faults):
        for fid in set(got) | set(want):
            if fid not in checked:
                continue
            s = stats.setdefault(fid, [0, 0, 0])  # tp, fp, fn
            s[0 if (fid in got and fid in want) else 1 if fid in got else 2] += 1
    return stats


def sample_rows(cache: Path | None, extract=None) -> tuple[list[str], bool, dict]:
    lines, ok, fault_stats = [], True, {}
    for video in sorted(SAMPLES.glob("*.mp4")):
        truth_path = video.with_suffix(".truth.json")
        if not truth_path.exists():
            continue
        truth = load_truth(truth_path)
        loaded = landmarks(video, cache, extract)
        a = analyze_series(loaded.series)
        report = analysis_to_dict(a)
        n = min(len(a.reps), truth.n_reps)
        tempo = {
            k: float(np.median([a.reps[i].metrics[k] - getattr(truth.reps[i], k) for i in range(n)]))
            if n
            else float("nan")
            for k in PHASES
        }
        ang = [
            (a.reps[i].metrics["heel_range"]["foot_angle_deg"], truth.reps[i].foot_angle_range_deg)
            for i in range(n)
            if a.reps[i].metrics["heel_range"]["foot_angle_deg"] is not None
        ]
        ratio = float(np.median([m / t for m, t in ang])) if ang else float("nan")
        good = len(a.reps) == truth.n_reps
        ok &= good
        lines.append(
            f"{video.stem:14s} {truth.view:6s} reps {len(a.reps):2d}/{truth.n_reps:<2d} "
            f"{'ok ' if good else 'BAD'} naive {naive_count(loaded.series):2d}  "
            + " ".join(f"{k[:3]} {tempo[k]:+.2f}" for k in PHASES)
            + f"  foot angle x{ratio:.2f} of truth  side {a.side}/{truth.side}"
        )
        checked = {f for f in truth_faults_ids(truth)} - {x["id"] for x in report["faults_not_checked"]}
        got = [[f["id"] for f in r["faults"]] for r in report["reps"]]
        for fid, s in fault_counts(got, list(truth.faults_by_rep()), checked | all_found(got)).items():
            acc = fault_stats.setdefault(fid, [0, 0, 0])
            for k in range(3):
                acc[k] += s[k]
        for name, px, pct in landmark_errors(loaded.series, truth):
            lines.append(f"    {name:28s} {px:6.1f} px  {pct:5.1f} % of leg")
    return lines, ok, fault_stats


def truth_faults_ids(truth) -> set[str]:
    return {f for r in truth.reps for f in r.faults}


def all_found(got: list[list[str]]) -> set[str]:
    return {f for g in got for f in g}


def shared_rows(cache: Path | None, shared: Path = SHARED, extract=None) -> list[str]:
    """shared: the folder of real clips with MANIFEST.md, or the folder holding it as videos/ (as evaluate.py's)."""
    shared = shared / "videos" if (shared / "videos" / "MANIFEST.md").exists() else shared
    manifest = shared / "MANIFEST.md"
    if not manifest.exists():
        return [f"(no {manifest}: real clips skipped)"]
    lines = []
    for name, want in manifest_reps(manifest).items():
        video = shared / name
        if not video.exists():
            continue
        loaded = landmarks(video, cache, extract)
        try:
            a = analyze_series(loaded.series)
            got, note = str(len(a.reps)), f"side {a.side}, views {'/'.join(v.view for v in a.views)}"
            flagged = "; ".join(f"{r.index}:{','.join(f['id'] for f in r.faults) or '-'}" for r in a.reps)
            stop = f", stop at rep {a.stop_set['rep']}" if a.stop_set else ""
            tempo = (a.summary or {}).get("average_tempo_s") or {}
            note += (
                "\n"
                + f"{'':44s}mean tempo "
                + " ".join(f"{k[:3]} {tempo[k]:.2f}" if tempo.get(k) is not None else f"{k[:3]} -" for k in PHASES)
            )
            note += f"\n{'':44s}faults by rep: {flagged or 'none'}{stop}"
        except FormcheckError as exc:
            got, note = "refused", str(exc)[:70]
        expect = "refuse" if want is None else str(want)
        verdict = "ok " if (got == expect or (want is None and got == "refused")) else "BAD"
        lines.append(
            f"{name:42s} reps {got:>7s} / {expect:<6s} {verdict} naive {naive_count(loaded.series):2d}  {note}"
        )
    return lines


def take_frames(series: LandmarkSeries, idx: np.ndarray) -> LandmarkSeries:
    """The frames at idx (what the extractor keeps with --max-fps)."""
    pick = lambda a: None if a is None else a[idx]
    return LandmarkSeries(
        t=series.t[idx],
        xy=series.xy[idx],
        z=series.z[idx],
        vis=series.vis[idx],
        width=series.width,
        height=series.height,
        frame=series.frame[idx],
        presence=pick(series.presence),
        world=pick(series.world),
    )


def decimated(series: LandmarkSeries, max_fps: float | None) -> LandmarkSeries:
    keep = keep_at_most(max_fps)
    if keep is None:
        return series
    return take_frames(series, np.array([k for k, t in enumerate(series.t.tolist()) if keep(t)]))


def rate_scores(series: LandmarkSeries, truth) -> tuple[bool, list[float], dict[str, list[int]]]:
    """(count right, |tempo error| per rep and phase, fault tp/fp/fn) of one analysis vs truth."""
    try:
        a = analyze_series(series)
    except FormcheckError:
        return False, [], {}
    report = analysis_to_dict(a)
    n = min(len(a.reps), truth.n_reps)
    errs = [
        abs(a.reps[i].metrics[k] - getattr(truth.reps[i], k))
        for i in range(n)
        for k in PHASES
        if a.reps[i].metrics[k] is not None
    ]
    checked = truth_faults_ids(truth) - {x["id"] for x in report["faults_not_checked"]}
    got = [[f["id"] for f in r["faults"]] for r in report["reps"]]
    return len(a.reps) == truth.n_reps, errs, fault_counts(got, list(truth.faults_by_rep()), checked | all_found(got))


def frame_rate_rows(max_fps_values: tuple[float | None, ...] = (None, 60.0, 30.0, 20.0)) -> list[str]:
    """--max-fps on synthetic sets filmed at 60/120/240 fps: counts, tempo error and faults vs truth."""
    from dataclasses import replace

    from formcheck.synth import MEDIAPIPE_LIKE, PRESETS, make_series, preset

    lines = []
    for fps in (60.0, 120.0, 240.0):
        for cap in max_fps_values:
            if cap is not None and cap >= fps:
                continue
            ok = total = 0
            errs: list[float] = []
            tp = fp = fn = 0
            for name in PRESETS:
                for view in ("side", "front", "three_quarter"):
                    for seed in (0, 1):
                        series, truth = make_series(
                            replace(preset(name), fps=fps), view=view, seed=seed, corruption=MEDIAPIPE_LIKE
                        )
                        good, e, faults = rate_scores(decimated(series, cap), truth)
                        ok, total, errs = ok + good, total + 1, errs + e
                        for s in faults.values():
                            tp, fp, fn = tp + s[0], fp + s[1], fn + s[2]
            prec = tp / (tp + fp) if tp + fp else float("nan")
            rec = tp / (tp + fn) if tp + fn else float("nan")
            label = "every frame" if cap is None else f"--max-fps {cap:g}"
            lines.append(
                f"    filmed {fps:3.0f} fps, {label:14s} counts right {ok:2d}/{total}  tempo |error| median "
                f"{np.median(errs):.3f} s, 90th pct {np.percentile(errs, 90):.3f} s  faults tp {tp} fp {fp} "
                f"fn {fn} precision {prec:.2f} recall {rec:.2f}"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/formcheck-bench-cache"),
        help="folder for extracted landmarks (reused when the video is unchanged)",
    )
    parser.add_argument("--no-shared", action="store_true", help="skip ../shared/videos")
    parser.add_argument("--no-synth-rates", action="store_true", help="skip the --max-fps study on synthetic sets")
    parser.add_argument(
        "--shared", type=Path, default=SHARED, help="folder of real clips with MANIFEST.md (or ../shared, holding it)"
    )
    extract_options(parser)
    args = parser.parse_args()
    extract = extract_config(args)
    print(f"extraction: {extract.key()}")
    lines, ok, faults = sample_rows(args.cache, extract)
    print("== sample videos: formcheck vs truth (tempo = median error over reps, s), naive = threshold counter")
    print("\n".join(lines))
    print("\n== faults on sample videos (checkable from the clip's view): precision / recall")
    for fid, (tp, fp, fn) in sorted(faults.items()):
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        print(f"    {fid:18s} tp {tp} fp {fp} fn {fn}  precision {prec:.2f}  recall {rec:.2f}")
    if not faults:
        print("    (no fault detected or checkable yet)")
    if not args.no_synth_rates:
        print(
            "\n== --max-fps on synthetic sets filmed at 60/120/240 fps (5 presets x 3 views x 2 seeds, "
            "MediaPipe-like noise), vs truth"
        )
        print("\n".join(frame_rate_rows()))
    if not args.no_shared:
        print("\n== real clips (../shared/videos): reps found vs hand count")
        print("\n".join(shared_rows(args.cache, args.shared, extract)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
