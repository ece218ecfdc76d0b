"""MediaPipe's heel against the foot track refined from the video (issue 17), side by side.

Renders with truth (sample_videos/*.truth.json; ../shared/renders/*_gt.npz, whose mp_heel2d is the true
position of the very point MediaPipe's heel marks; more with --renders DIR of NAME.mp4 + NAME_gt.*):
for each clip and each pose setting (num_poses 1 and 2), the working heel's track as the analysis uses
it (cleaned rows; "refined" = fused with the refined point where tracked) against the truth over the set:
  - amp: the heel's vertical travel per rep (low-passed at 6 Hz, max - min) / the truth's, median over reps;
    slope: least-squares slope of the heel's y against the true y (the compression figure of the notes)
  - rms: RMS distance in px and in foot lengths (the true heel back to toe tip), corr: correlation of y
  - timing, read the same way from every trace (the analysis's rule): zero-phase low-pass at 6 Hz, speed;
    a phase edge is where the speed crosses 5 % of the rep's peak rise (fall) speed. Errors in s against
    the truth's phase times: top-hold start, top-hold end, bottom turnaround (the heel reaches the bottom)
    as median |error|; top hold and bottom pause durations as median signed / median |error|. The truth's
    own trace read the same way is shown as the reading's floor.
  - on: share of the set's frames measured on the refined track; reps and tempo from the analysis.
Front and back views: per rep, the heel's sideways shift against the toe (arch_collapse / roll_out reps marked).
Real clips (../shared/videos) against the hand labels in bench/labels/real_clips.json: the same timings.
Time: `formcheck extract --no-cache` with and without --no-foot-track (own processes, best of --repeat),
the tracker alone per frame, and `formcheck live --source` latency with and without it.

    python bench/foot_track.py [--cache DIR] [--num-poses 1 2] [--no-real] [--no-time] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import ROOT, SAMPLES, landmarks
from eval_scoring import match_reps
from eval_sources import both_tracks, label_rep, stored_clips
from foot_track_cost import time_rows
from heel_trace import amplitude, read_alike_errors, timing_cells, timing_errors

from formcheck.core.analyze import analyze_series
from formcheck.core.context.view import is_frontal
from formcheck.core.landmarks import INDEX, REFINED_POINTS
from formcheck.core.report import analysis_to_dict
from formcheck.errors import FormcheckError
from formcheck.io.extract import ExtractConfig
from formcheck.io.pose import PoseConfig
from tools.evalset.store import LEG_POINTS

SHARED = ROOT.parent / "shared"  # videos/ (real clips) and renders/ (two renders made outside the project)
LABELS = ROOT / "bench" / "labels" / "real_clips.json"
PHASE_KEYS = ("t_start", "t_top_start", "t_top_end", "t_bottom", "t_end")
TEMPO = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")


@dataclass
class Truth:
    side: str
    view: str
    t: np.ndarray  # (T,) frame times
    heel: np.ndarray  # (T, 2) the true point MediaPipe's heel marks
    heel_back: np.ndarray  # (T, 2)
    toe: np.ndarray  # (T, 2)
    reps: list[dict]
    window: tuple[float, float]


def sample_truth(video: Path) -> Truth:
    from formcheck.synth import load_truth

    tr = load_truth(video.with_suffix(".truth.json"))
    s = tr.side
    reps = [{k: getattr(r, k) for k in PHASE_KEYS} for r in tr.reps]
    return Truth(
        s,
        tr.view,
        tr.t,
        tr.landmarks_px[:, INDEX[f"{s}_heel"]],
        tr.extra_px[f"{s}_heel_back"],
        tr.landmarks_px[:, INDEX[f"{s}_foot_index"]],
        reps,
        (tr.set_start, tr.set_end),
    )


def render_truth(video: Path) -> Truth:
    base = video.with_name(video.stem + "_gt")
    g = json.loads(base.with_suffix(".json").read_text())
    with np.load(base.with_suffix(".npz")) as z:
        j = 0 if g["working_side"] == "left" else 1
        heel, toe = z["mp_heel2d"][:, j].astype(float), z["mp_toe2d"][:, j].astype(float)
        back = z["gt2d"][:, INDEX[f"{g['working_side']}_heel"]].astype(float)
        t = z["ts"].astype(float)
    reps = [{k: r[k] for k in PHASE_KEYS} for r in g["reps"]]
    return Truth(g["working_side"], g["view"], t, heel, back, toe, reps, tuple(g["set_window_s"]))


def truth_clips(render_dirs: list[Path]) -> list[tuple[Path, Truth]]:
    out = [(v, sample_truth(v)) for v in sorted(SAMPLES.glob("*.mp4")) if v.with_suffix(".truth.json").exists()]
    for folder in render_dirs:
        out += [(v, render_truth(v)) for v in sorted(folder.glob("*.mp4")) if v.with_name(v.stem + "_gt.json").exists()]
    return out


# ---------------------------------------------------------------------- one clip
def heel_rows(a, side: str) -> np.ndarray:
    """The heel track the analysis used (cleaned, before its own low-pass)."""
    return a.tracks.p(f"{side}_heel", smooth=False)


def trace_row(t: np.ndarray, xy: np.ndarray, truth_xy: np.ndarray, tr: Truth, foot_px: float) -> tuple[str, dict]:
    a, b = tr.window
    win = (t >= a) & (t <= b) & np.isfinite(xy).all(axis=1)
    y, ty = xy[:, 1], truth_xy[:, 1]
    err = np.hypot(*(xy[win] - truth_xy[win]).T)
    rms = float(np.sqrt(np.mean(err**2)))
    amp = amplitude(t, y, ty, tr.reps)
    slope = float(np.polyfit(ty[win], y[win], 1)[0])
    corr = float(np.corrcoef(ty[win], y[win])[0, 1])
    errs = timing_errors(t, y, tr.reps)
    alike = read_alike_errors(t, y, ty, tr.reps)
    text = (
        f"amp {amp:4.2f} slope {slope:4.2f}  rms {rms:5.1f} px {rms / foot_px:4.2f} foot  corr {corr:.3f}  "
        + timing_cells(errs)
    )
    figures = {"amp": amp, "slope": slope, "rms_px": rms, "rms_foot": rms / foot_px, "corr": corr}
    return text, {**figures, "timing": errs, "alike": alike}


def analysis_cells(a, tr: Truth) -> str:
    n = min(len(a.reps), len(tr.reps))
    truth_tempo = [
        {
            "concentric_s": r["t_top_start"] - r["t_start"],
            "top_pause_s": r["t_top_end"] - r["t_top_start"],
            "eccentric_s": r["t_bottom"] - r["t_top_end"],
            "bottom_pause_s": r["t_end"] - r["t_bottom"],
        }
        for r in tr.reps
    ]
    tempo = " ".join(
        f"{k[:3]} {np.median([abs(a.reps[i].metrics[k] - truth_tempo[i][k]) for i in range(n)]):.2f}"
        if n
        else f"{k[:3]} -"
        for k in TEMPO
    )
    faults = " ".join(",".join(f["id"] for f in r.faults) or "-" for r in a.reps)
    return f"reps {len(a.reps)}/{len(tr.reps)}  tempo |err| {tempo}  faults by rep: {faults}"


def bench_clip(video: Path, tr: Truth, cache: Path | None, num_poses: int) -> tuple[list[str], dict]:
    series = landmarks(video, cache, ExtractConfig(pose=PoseConfig(num_poses=num_poses))).series
    return compare_tracks(series, tr.heel[series.frame], tr)


def compare_tracks(series, truth_heel: np.ndarray, tr: Truth) -> tuple[list[str], dict]:
    """MediaPipe's and the refined heel of one clip's landmarks against the true heel at its frames."""
    foot_px = float(np.nanmedian(np.hypot(*(tr.toe - tr.heel_back).T)))
    lines, out = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        floor, _ = trace_row(series.t, truth_heel, truth_heel, tr, foot_px)
        lines.append(f"      {'truth read so':9s} {floor}")
        for name, s in both_tracks(series):
            try:
                a = analyze_series(s)
            except FormcheckError as exc:
                lines.append(f"      {name:9s} analysis refused: {str(exc)[:80]}")
                continue
            text, out[name] = trace_row(a.t, heel_rows(a, tr.side), truth_heel, tr, foot_px)
            on = [r.track[1] for r in a.reps]
            lines.append(f"      {name:9s} {text}")
            lines.append(
                f"      {'':9s} on refined {np.mean(on) if on else 0:.2f} of the reps' frames; " + analysis_cells(a, tr)
            )
    return lines, out


def evalset_clips(split: str) -> list[tuple[str, str, object, Truth]]:
    """The evaluation set's stored clips of this split (bench/evalset: the landmarks formcheck extracted from each
    render, foot track included, and the true leg points at the same frames) as (name, view group, series,
    Truth); the truth's heel is the true position of the point MediaPipe's heel marks."""
    out = []
    for spec, series, truth, leg in stored_clips(split):
        if leg is None:
            continue
        side = truth.side
        heel, toe = (leg[:, LEG_POINTS.index(f"{side}_{p}")] for p in ("heel", "foot_index"))
        reps = [{k: getattr(r, k) for k in PHASE_KEYS} for r in truth.reps]
        tr = Truth(side, truth.view, series.t, heel, heel, toe, reps, (truth.set_start, truth.set_end))
        out.append((spec.name, spec.view_group, series, tr))
    return out


# ---------------------------------------------------------------------- real clips
def real_rows(cache: Path | None, labels: Path, videos: Path, num_poses: int) -> list[str]:
    """Per labelled clip and track: the heel trace read by the bench's rule, and the analysis's own top hold and
    bottom pause (what the report shows); then those durations' median |error| over the clips of each view."""
    if not labels.exists():
        return [
            f"(no hand labels at {labels.relative_to(ROOT) if labels.is_relative_to(ROOT) else labels}: "
            "real-clip timings skipped)"
        ]
    lines = []
    errors: dict[tuple[str, str, str], list[float]] = {}  # (view group, track, phase) -> |error| per rep
    for name, lab in json.loads(labels.read_text())["clips"].items():
        reps = [r for r in lab.get("reps", []) if all(r.get(k) is not None for k in PHASE_KEYS)]
        video = videos / name
        if not reps or not video.exists():
            continue
        series = landmarks(video, cache, ExtractConfig(pose=PoseConfig(num_poses=num_poses))).series
        lines.append(f"  {name} ({len(reps)} labelled reps)")
        for track, s in both_tracks(series):
            try:
                a = analyze_series(s)
            except FormcheckError as exc:
                lines.append(f"      {track:9s} refused: {str(exc)[:80]}")
                continue
            y = heel_rows(a, a.signal_side)[:, 1]
            on = np.mean([r.track[1] for r in a.reps]) if a.reps else 0.0
            lines.append(
                f"      {track:9s} {a.signal_side} heel, on refined {on:.2f}: "
                + timing_cells(timing_errors(a.t, y, reps))
            )
            for phase, (group, errs) in report_tempo_errors(a, reps).items():
                errors.setdefault((group, track, phase), []).extend(errs)
                per_rep = " ".join(f"{e:.2f}" for e in errs)
                lines.append(f"      {'':9s} the report's {phase} ({group}): |error| per rep {per_rep}")
    lines.append("  the report's durations against the labels, median |error| over the reps:")
    for (group, track, phase), errs in sorted(errors.items()):
        if errs:
            lines.append(f"    {group:12s} {track:9s} {phase:14s} {np.median(errs):.2f} s ({len(errs)} reps)")
    return lines or ["(no labelled reps with all five times)"]


def report_tempo_errors(a, labelled: list[dict]) -> dict[str, tuple[str, list[float]]]:
    """|error| of the analysis's top_pause_s and bottom_pause_s against the matched labelled reps (a bottom pause
    only where the label's rep ends with a next rise, as evaluate.py scores it), each with the view group the
    analysis saw the clip in (front/back when most of its reps were)."""
    reps = analysis_to_dict(a)["reps"]
    frontal = sum(is_frontal(r.view) for r in a.reps) > len(a.reps) / 2
    group = "front/back" if frontal else "side/oblique"
    truth = [label_rep(r) for r in labelled]
    out: dict[str, tuple[str, list[float]]] = {"top_pause_s": (group, []), "bottom_pause_s": (group, [])}
    for tr, k in zip(truth, match_reps(reps, truth), strict=True):
        for phase, (_, errs) in out.items():
            if k is not None and tr.phases.get(phase) is not None:
                errs.append(abs(reps[k][phase] - tr.phases[phase]))
    return out


# ---------------------------------------------------------------------- front and back: the foot's roll
ROLL_FAULTS = ("arch_collapse", "roll_out")


def rep_faults(video: Path) -> list[list[str]]:
    if video.suffix == ".mp4" and video.with_suffix(".truth.json").exists():
        return [list(r.get("faults", [])) for r in json.loads(video.with_suffix(".truth.json").read_text())["reps"]]
    g = json.loads(video.with_name(video.stem + "_gt.json").read_text())
    return [[f if isinstance(f, str) else f.get("id") for f in r["faults"]] for r in g["reps"]]


def roll_rows(video: Path, tr: Truth, cache: Path | None, num_poses: int) -> list[str]:
    """Per rep, how far the heel moves sideways against the toe from the bottom (the 0.3 s before the rise) to the
    top hold, in % of the shank, minus the set's median rep: arch_collapse and roll_out shift it medially /
    laterally; a clean rep should not."""
    s = landmarks(video, cache, ExtractConfig(pose=PoseConfig(num_poses=num_poses))).series
    side, t = tr.side, s.t
    knee, ankle = s.xy[:, INDEX[f"{side}_knee"]], s.xy[:, INDEX[f"{side}_ankle"]]
    shank = float(np.nanmedian(np.hypot(*(knee - ankle).T)))
    mp = lambda n: s.xy[:, INDEX[f"{side}_{n}"], 0]
    traces = {
        "true (MediaPipe's points)": (tr.heel[:, 0] - tr.toe[:, 0])[s.frame],
        "MediaPipe heel-toe": mp("heel") - mp("foot_index"),
        "MediaPipe ankle-toe": mp("ankle") - mp("foot_index"),
    }
    if s.refined is not None:
        k = lambda n: REFINED_POINTS.index(f"{side}_{n}")
        traces["refined heel-toe"] = s.refined[:, k("heel"), 0] - s.refined[:, k("foot_index"), 0]
    faults = rep_faults(video)
    lines = [
        f"  {video.name} ({tr.view}, {side} foot) num_poses={num_poses}; faults by rep: "
        + " ".join(",".join(f) or "-" for f in faults)
    ]
    for name, d in traces.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ch = np.array(
                [
                    np.nanmean(d[(t >= r["t_top_start"]) & (t <= r["t_top_end"])])
                    - np.nanmean(d[(t >= r["t_start"] - 0.3) & (t <= r["t_start"])])
                    for r in tr.reps
                ]
            )
        ch = 100 * (ch - np.nanmedian(ch)) / shank
        rolled = np.array([any(f in ROLL_FAULTS for f in fs) for fs in faults])
        other = ch[~rolled & np.isfinite(ch)]
        smallest = np.nanmin(np.abs(ch[rolled])) if rolled.any() else float("nan")
        lines.append(
            f"      {name:26s} "
            + " ".join(f"{c:+5.1f}{'*' if r else ' '}" for c, r in zip(ch, rolled, strict=True))
            + f"   other reps |max| {np.max(np.abs(other)) if other.size else float('nan'):.1f}, "
            f"rolled reps |min| {smallest:.1f}"
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
    parser.add_argument("--num-poses", type=int, nargs="+", default=[1, 2], help="pose settings to compare")
    parser.add_argument("--shared", type=Path, default=SHARED, help="folder with videos/ and renders/ (../shared)")
    parser.add_argument(
        "--renders",
        type=Path,
        action="append",
        default=[],
        help="more renders: a folder of NAME.mp4 with NAME_gt.json / NAME_gt.npz",
    )
    parser.add_argument("--labels", type=Path, default=LABELS, help="hand labels of the real clips")
    parser.add_argument(
        "--evalset",
        choices=("report", "tune", "all", "none"),
        default="report",
        help="the evaluation set's stored renders to compare on (bench/evalset)",
    )
    parser.add_argument("--no-real", action="store_true", help="skip the real clips")
    parser.add_argument("--no-time", action="store_true", help="skip the timing")
    parser.add_argument("--repeat", type=int, default=2, help="runs per timed variant; the fastest is shown")
    args = parser.parse_args()
    summary: dict[tuple[int, str, str], list[dict]] = {}
    clips = truth_clips([args.shared / "renders", *args.renders])
    for n in args.num_poses:
        print(
            f"\n== renders with truth, num_poses={n}: the working heel as the analysis uses it, vs the truth "
            "(timing: |error| s, durations signed/|error|)"
        )
        for video, tr in clips:
            print(f"  {video.name} ({tr.view}, {tr.side} foot, {len(tr.reps)} reps)")
            lines, out = bench_clip(video, tr, args.cache, n)
            print("\n".join(lines), flush=True)
            group = "front/back" if is_frontal(tr.view) else "side/oblique"
            for name, m in out.items():
                summary.setdefault((n, group, name), []).append(m)
    if args.evalset != "none":
        print(
            f"\n== the evaluation set's renders ({args.evalset} split, stored landmarks: num_poses=1), "
            "the working heel vs the truth"
        )
        for name, group, series, tr in evalset_clips(args.evalset):
            lines, out = compare_tracks(series, tr.heel, tr)
            print(f"  {name} ({tr.view}, {tr.side} foot, {len(tr.reps)} reps)")
            print("\n".join(lines), flush=True)
            for track, m in out.items():
                summary.setdefault((1, f"evalset {group}", track), []).append(m)
    print("\n== summary per view group (median over clips of each clip's figure)")
    for (n, group, name), ms in sorted(summary.items()):
        med = lambda k, ms=ms: float(np.median([m[k] for m in ms]))
        hold = [abs(x) for m in ms for x in m["timing"]["top_hold"]]
        pause = [abs(x) for m in ms for x in m["timing"]["bottom_pause"]]
        hold_alike = [abs(x) for m in ms for x in m["alike"]["top_hold"]]
        pause_alike = [abs(x) for m in ms for x in m["alike"]["bottom_pause"]]
        print(
            f"  num_poses={n} {group:12s} {name:9s} amp {med('amp'):.2f} (range {min(m['amp'] for m in ms):.2f}-"
            f"{max(m['amp'] for m in ms):.2f})  slope {med('slope'):.2f}  rms {med('rms_px'):.1f} px "
            f"{med('rms_foot'):.2f} foot  corr {med('corr'):.3f}  |hold err| median {np.median(hold):.2f} s  "
            f"|pause err| median {np.median(pause):.2f} s; against the truth read alike: hold "
            f"{np.median(hold_alike):.2f} s, pause {np.median(pause_alike):.2f} s  ({len(ms)} clips)"
        )
    print(
        "\n== front and back views: the heel's sideways shift against the toe, bottom -> top, % of the shank, minus "
        "the set's median rep (* = arch_collapse / roll_out rep)"
    )
    for n in args.num_poses:
        for video, tr in clips:
            if is_frontal(tr.view):
                print("\n".join(roll_rows(video, tr, args.cache, n)))
    if not args.no_real:
        for n in args.num_poses:
            print(f"\n== real clips vs hand labels, num_poses={n}")
            print("\n".join(real_rows(args.cache, args.labels, args.shared / "videos", n)))
    if not args.no_time:
        print("\n== time: extraction and live, with and without the foot track")
        clips = [SAMPLES / "clean_side.mp4"]
        for name in ("merged_single_leg_standing_calf_raise.mp4", "ndnam_calf_raises.mp4"):  # 1080p, portrait 1080p
            shared = args.shared / "videos" / name
            clips += [shared] if shared.exists() else []
        print("\n".join(time_rows(clips, args.cache, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
