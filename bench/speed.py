"""Speed of formcheck vs a naive MediaPipe loop, side by side on the same clips.

(a)  naive: cv2.VideoCapture.read -> cvtColor -> detect_for_video, one thread, every frame
     (MediaPipe's default options: one person, num_poses=1)
(a2) the same naive loop asked for two people (num_poses=2: the detector runs every frame)
(b)  `formcheck extract` as shipped (--no-cache; plus `--max-fps 0` for clips above 30 fps)
(b2) `formcheck extract --people 2` (the old default)
(c)  `formcheck analyze` from a landmarks CSV (no model, no video writing)
(d)  `formcheck analyze` on the video with all outputs (--no-cache)
Every variant runs in its own process: wall time (start-up and model load included), clip frames per
second, x real time, peak memory (that process's max RSS), and the load average it ran under.
extract, side by side: the default (one person, the person lock) and `--people 2`, alternating in one
process, per frame (model load included), with the reps each finds.
live `formcheck live --source CLIP --no-window --realtime` on the clip scaled to 720p, the default and
`--people 2` alternating: latency p50/p95, frames analyzed a second and dropped, and every stage of the
frame pipeline (p50/p95 ms); again with a window on a virtual screen (Xvfb) when it is installed.
Then the core alone (analysis + report.json + reps.csv text) on 10 minutes of 30 fps landmarks: synthetic
(jittered and even timestamps) and two sample videos' model landmarks repeated to 10 minutes; a fixed
reference workload timed in the same process shows how fast the machine ran; landmarks CSV write and read.

    python bench/speed.py [--clip PATH ...] [--repeat N] [--rounds N] [--no-core] [--core-only]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT, SAMPLES, SHARED

NAIVE = r"""
import sys, time, cv2, mediapipe as mp
from mediapipe.tasks.python import BaseOptions, vision
from formcheck.io.model import BUNDLED_MODEL
path, num_poses = sys.argv[1], int(sys.argv[2])
opts = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_path=str(BUNDLED_MODEL)),
                                    running_mode=vision.RunningMode.VIDEO, num_poses=num_poses)
with vision.PoseLandmarker.create_from_options(opts) as lm:
    cap = cv2.VideoCapture(path)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    t0, n = time.perf_counter(), 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        lm.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), int(n * 1000 / fps))
        n += 1
print(n, time.perf_counter() - t0)
"""

SIDE_BY_SIDE = r"""
import json, sys, time
from formcheck.core.analyze import analyze_series
from formcheck.errors import FormcheckError
from formcheck.io.extract import ExtractConfig
from formcheck.io.pose import PoseConfig
from formcheck.inputs import extract_video
path, rounds = sys.argv[1], int(sys.argv[2])
out = {"1": [], "2": []}
for _ in range(rounds):
    for people in out:
        t0 = time.perf_counter()
        res = extract_video(path, show_progress=False, use_cache=False,
                            extract=ExtractConfig(pose=PoseConfig(num_poses=int(people))))
        seconds, s = time.perf_counter() - t0, res.series
        try:
            reps = len(analyze_series(s).reps)
        except FormcheckError:
            reps = None
        out[people].append({"s": seconds, "frames": len(s), "reps": reps, "rechecks": res.pose_rechecks})
print(json.dumps(out))
"""

CORE = r"""
import json, sys, time
from dataclasses import replace
import numpy as np
from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import LandmarkSeries
from formcheck.core.report import analysis_to_dict
from formcheck.io.landmarks_csv import format_csv, parse_landmarks_csv
from formcheck.io.report_files import report_json_text, reps_csv_text
from formcheck.synth import MEDIAPIPE_LIKE, RepScript, SetScript, make_series

repeat, golden = int(sys.argv[1]), sys.argv[2:]
SECONDS = 600.0  # 10 minutes
r = lambda a, d: None if a is None else np.round(a, d)  # as the extractor rounds: 0.001 px


def first_ten_minutes(s):
    return s.slice(0, int(np.searchsorted(s.t, s.t[0] + SECONDS, "left")))


def synthetic(dt_jitter):
    reps = tuple(RepScript(faults=("bounce",) if i % 9 == 4 else ()) for i in range(152))  # a bit over 10 min
    raw, _ = make_series(SetScript(reps=reps), noise_px=1.0, corruption=replace(MEDIAPIPE_LIKE, dt_jitter=dt_jitter))
    return first_ten_minutes(LandmarkSeries(t=raw.t, xy=r(raw.xy, 3), z=r(raw.z, 3), vis=r(raw.vis, 4),
                                            width=raw.width, height=raw.height, frame=raw.frame,
                                            presence=r(raw.presence, 4), world=r(raw.world, 5)))


def tiled(path):
    # the pose model's landmarks of a sample video (tests/golden), played end to end until 10 minutes
    g = np.load(path)
    t = g["t"].astype(float)
    span = t[-1] - t[0] + float(np.median(np.diff(t)))
    k = int(np.ceil(SECONDS / span)) + 1
    rep = lambda a: np.concatenate([a.astype(float)] * k)
    w, h = (int(v) for v in g["size"])
    return first_ten_minutes(LandmarkSeries(t=np.concatenate([t - t[0] + i * span for i in range(k)]), xy=rep(g["xy"]),
                                            z=rep(g["z"]), vis=rep(g["vis"]), width=w, height=h))


def once(series):
    a = analyze_series(series)
    data = analysis_to_dict(a)
    report_json_text(data), reps_csv_text(data)
    return len(a.reps)


def timed(fn, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def reference():
    # a fixed workload (a Python loop and numpy passes), to show how fast the machine ran meanwhile
    x = np.linspace(0.0, 1.0, 24 * 18000).reshape(24, -1)
    s = 0
    for k in range(200000):
        s += k
    for _ in range(20):
        np.fmin(x[:, 1:], x[:, :-1])


inputs = {"synthetic, MediaPipe-like noise, timestamps jittered by up to 10 % of a frame": synthetic(0.1),
          "synthetic, MediaPipe-like noise, even 30 fps timestamps (as every real clip here)": synthetic(0.0)}
for path in golden:
    name = path.rsplit("/", 1)[-1].split(".")[0]
    inputs[f"{name}: the pose model's landmarks of the sample video, repeated to 10 min"] = tiled(path)
out = {"inputs": [], "reference": timed(reference, repeat)}
for label, series in inputs.items():
    reps = once(series)
    out["inputs"].append({"label": label, "frames": len(series), "seconds": float(series.t[-1] - series.t[0]),
                          "reps": reps, "core": timed(lambda: once(series), repeat)})
out["reference"] += timed(reference, repeat)
series = inputs[next(iter(inputs))]
text = format_csv(series)
out.update(csv_write=timed(lambda: format_csv(series), max(1, repeat // 3)),
           csv_read=timed(lambda: parse_landmarks_csv(text), max(1, repeat // 3)), csv_mb=len(text) / 1e6)
print(json.dumps(out))
"""


@dataclass
class Run:
    wall: float
    peak_mb: float
    load: float
    stdout: str


def run(cmd: list[str]) -> Run:
    """Run one variant in its own process: wall seconds, that process's peak RSS, the 1-min load average."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:5])} failed: {stderr.strip().splitlines()[-1:]}")
    return Run(wall, usage.ru_maxrss / 1024, max(load, os.getloadavg()[0]), stdout)


def best(runs: list[Run]) -> Run:
    """The fastest of the repeats (the least disturbed by other work on the machine)."""
    return min(runs, key=lambda r: r.wall)


def clip_facts(path: Path) -> tuple[int, float, int, int]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    facts = (
        int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
        cap.get(cv2.CAP_PROP_FPS),
        int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    )
    cap.release()
    return facts


def live_latency(clip: Path, rounds: int) -> list[str]:
    """`formcheck live --source CLIP --no-window --realtime` on the clip scaled to 720p (its long side 1280):
    frames arrive at the clip's own pace as from a camera; latency = a frame's arrival -> its overlay drawn;
    frames dropped when the analysis fell behind. The default and --people 2 alternate, `rounds` times;
    then once each with a window on a virtual screen (Xvfb), when installed. Target p95 < 60 ms, >= 24 fps."""
    from formcheck.io.video import VideoFileSource

    with VideoFileSource(clip) as src:
        w, h = src.info.width, src.info.height
    scale = "scale=1280:-2" if w >= h else "scale=-2:1280"
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        hd = Path(tmp) / f"{clip.stem}_720p.mp4"
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-y",
                "-i",
                str(clip),
                "-vf",
                scale,
                "-c:v",
                "libx264",
                "-crf",
                "18",
                "-pix_fmt",
                "yuv420p",
                "-an",
                str(hd),
            ],
            check=True,
        )
        runs: dict[str, list[dict]] = {"1": [], "2": []}
        for k in range(rounds):
            for people in runs:
                runs[people].append(live_run(hd, people, Path(tmp) / f"out{people}-{k}"))
        rows += live_rows(runs, "no window")
        xvfb = shutil.which("xvfb-run")
        if xvfb:
            win = {p: [live_run(hd, p, Path(tmp) / f"win{p}", window=xvfb)] for p in runs}
            rows += live_rows(win, "window on Xvfb")
    return rows


def live_run(clip: Path, people: str, out: Path, window: str | None = None) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "formcheck",
        "live",
        "--source",
        str(clip),
        "--realtime",
        "--people",
        people,
        "-o",
        str(out),
        "--json",
    ]
    if window:
        cmd = [window, "-a", "-s", "-screen 0 1920x1080x24", *cmd]
    else:
        cmd.append("--no-window")
    r = run(cmd)
    return {**json.loads(r.stdout)["live"], "load": r.load}


def live_rows(runs: dict[str, list[dict]], how: str) -> list[str]:
    label = {"1": "default (1 person, lock)", "2": "--people 2"}
    pad = " " * (len(how) + 2)
    rows = [
        f"{how}: {'setting':26s} {'p50':>6s} {'p95':>6s} {'max':>6s} {'fps':>6s} {'analyzed':>9s} {'dropped':>8s} "
        f"{'rechecks':>8s} {'load':>5s}"
    ]
    for people, rs in runs.items():
        for r in rs:
            lat = r["latency_ms"]
            rows.append(
                f"{pad}{label[people]:26s} {lat['p50']:6.1f} {lat['p95']:6.1f} {lat['max']:6.1f} "
                f"{r['analyzed_fps']:6.1f} {r['frames_processed']:9d} {r['frames_dropped']:8d} "
                f"{r.get('pose_rechecks', 0):8d} {r['load']:5.1f}"
            )
    p50 = {p: statistics.median(r["latency_ms"]["p50"] for r in rs) for p, rs in runs.items()}
    model = {p: statistics.median(r["stages_ms"]["model"]["p50"] for r in rs) for p, rs in runs.items()}
    rows.append(
        f"{pad}default / --people 2 (medians over the runs): latency p50 {p50['1'] / p50['2']:.2f}x, "
        f"model stage p50 {model['1'] / model['2']:.2f}x"
    )
    rows.append(
        f"{pad}stages, p50 / p95 ms: "
        + "  ".join(
            f"{label[p].split(' ')[0]}: "
            + ", ".join(f"{st} {v['p50']}/{v['p95']}" for st, v in rs[-1]["stages_ms"].items() if v["p50"] is not None)
            for p, rs in runs.items()
        )
    )
    return rows


def extract_side_by_side(clip: Path, rounds: int) -> list[str]:
    """The default and --people 2 extracting the clip alternately in one process: per-frame cost and reps."""
    r = run([sys.executable, "-c", SIDE_BY_SIDE, str(clip), str(rounds)])
    d = json.loads(r.stdout)
    per_frame = {p: [x["s"] / max(x["frames"], 1) * 1000 for x in xs] for p, xs in d.items()}
    rows = [f"extract side by side, {rounds} rounds alternating in one process (load {r.load:.1f}): per frame ms, reps"]
    for p, label in (("1", "default (1 person, lock)"), ("2", "--people 2")):
        rows.append(
            f"    {label:26s} "
            + "  ".join(f"{ms:.1f}" for ms in per_frame[p])
            + f"   reps {sorted({x['reps'] for x in d[p]}, key=str)}, frames rechecked "
            + f"{sorted({x['rechecks'] for x in d[p]})} of {d[p][0]['frames']}"
        )
    ratio = statistics.median(per_frame["1"]) / statistics.median(per_frame["2"])
    rows.append(f"    default / --people 2: {ratio:.2f}x per frame (median over rounds)")
    return rows


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def bench_clip(clip: Path, repeat: int, rounds: int) -> list[str]:
    frames, fps, w, h = clip_facts(clip)
    duration = frames / fps
    py, fc = sys.executable, [sys.executable, "-m", "formcheck"]
    rows: list[tuple[str, Run]] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def variant(label: str, cmd: list[str]) -> Run:
            r = best([run(cmd) for _ in range(repeat)])
            rows.append((label, r))
            return r

        naive = variant("(a)  naive loop, num_poses=1", [py, "-c", NAIVE, str(clip), "1"])
        variant("(a2) naive loop, num_poses=2", [py, "-c", NAIVE, str(clip), "2"])
        ext = variant(
            "(b)  formcheck extract", fc + ["extract", str(clip), "-o", str(out / "lm.csv"), "--quiet", "--no-cache"]
        )
        variant(
            "(b2) extract --people 2",
            fc + ["extract", str(clip), "-o", str(out / "lm2.csv"), "--quiet", "--no-cache", "--people", "2"],
        )
        if fps > 30.5:
            variant(
                "(b0) extract --max-fps 0",
                fc + ["extract", str(clip), "-o", str(out / "lm0.csv"), "--quiet", "--no-cache", "--max-fps", "0"],
            )
        variant("(c)  analyze landmarks.csv", fc + ["analyze", str(out / "lm.csv"), "-o", str(out / "a"), "--json"])
        full = variant(
            "(d)  analyze video, all outputs",
            fc + ["analyze", str(clip), "-o", str(out / "b"), "--quiet", "--no-cache"],
        )
    lines = [
        f"{clip.name}: {frames} frames, {fps:.2f} fps, {w}x{h}, {duration:.1f} s (best of {repeat})",
        f"    {'variant':34s} {'wall s':>7s} {'frames/s':>9s} {'x real time':>12s} {'peak MB':>8s} {'load':>5s}",
    ]
    for label, r in rows:
        lines.append(
            f"    {label:34s} {r.wall:7.2f} {frames / r.wall:9.1f} {duration / r.wall:12.2f} "
            f"{r.peak_mb:8.0f} {r.load:5.1f}"
        )
    n, loop_s = naive.stdout.split()
    lines.append(
        f"    (b)/(a): {naive.wall / ext.wall:.2f}x the naive loop's speed;  (d)/(b): {full.wall / ext.wall:.2f}x "
        f"(b)'s time;  naive loop alone (no start-up): {float(loop_s):.2f} s for {n} frames"
    )
    lines += ["    " + row for row in extract_side_by_side(clip, rounds)]
    lines.append("    live (formcheck live --source FILE --realtime, the clip scaled to 720p, at its own pace):")
    lines += ["        " + row for row in live_latency(clip, rounds)]
    return lines


def bench_core(repeat: int) -> list[str]:
    golden = [str(ROOT / "tests" / "golden" / f"{n}.landmarks.npz") for n in ("faults_side", "step_on_off")]
    r = run([sys.executable, "-c", CORE, str(repeat), *[g for g in golden if Path(g).exists()]])
    d = json.loads(r.stdout)
    ms = lambda xs: f"best {min(xs) * 1000:.0f} ms, median {statistics.median(xs) * 1000:.0f} ms"
    s = lambda xs: f"best {min(xs):.2f} s, median {statistics.median(xs):.2f} s"
    lines = [
        f"core: analysis + report.json + reps.csv text (no video, no model), x{repeat} each, load {r.load:.1f}; "
        "budget 1 s for 10 min of 30 fps landmarks"
    ]
    for item in d["inputs"]:
        lines.append(
            f"    {item['frames']} frames ({item['seconds'] / 60:.1f} min, {item['reps']} reps) {item['label']}: "
            f"{ms(item['core'])}"
        )
    lines += [
        f"    reference workload (the machine's speed meanwhile; this VM swings ~1.6x): {ms(d['reference'])}",
        f"    landmarks CSV ({d['csv_mb']:.0f} MB): write {s(d['csv_write'])}, read {s(d['csv_read'])}",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clip",
        type=Path,
        action="append",
        help="clip(s) to time (default: a sample video "
        "and ../shared/videos/merged_single_leg_standing_calf_raise.mp4 when present)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the fastest is shown")
    parser.add_argument("--rounds", type=int, default=2, help="side-by-side rounds (default vs --people 2)")
    parser.add_argument("--no-core", action="store_true", help="skip the core timing")
    parser.add_argument("--core-only", action="store_true", help="only the core timing")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average at start {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.no_core:
        print("\n".join(bench_core(max(11, args.repeat))))
    if args.core_only:
        return
    clips = args.clip or [SAMPLES / "clean_side.mp4"]
    merged = SHARED / "merged_single_leg_standing_calf_raise.mp4"
    if not args.clip and merged.exists():
        clips.append(merged)
    for clip in clips:
        print("\n".join(bench_clip(clip, max(1, args.repeat), max(1, args.rounds))), flush=True)


if __name__ == "__main__":
    main()
