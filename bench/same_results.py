"""Snapshot every analysis result, to prove a change to the core left the numbers alone.

Runs the analysis (report.json body and reps.csv text) on the landmarks of every sample video
and real clip (the bench cache, extracted once), and on synthetic sets (every preset x view x
a few seeds, at 30/60 fps, plus 10 minutes at 30 fps), then either saves the results or compares
them with a saved snapshot number by number.

    python bench/same_results.py --landmarks DIR --save /tmp/before.json    # on the old code
    python bench/same_results.py --landmarks DIR --compare /tmp/before.json # on the new code: exit 1 on a difference
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from _common import SAMPLES, SHARED, landmarks

from formcheck.core.analyze import analyze_series
from formcheck.core.report import analysis_to_dict
from formcheck.errors import FormcheckError
from formcheck.io.landmarks_csv import load_landmarks_csv
from formcheck.io.report_files import reps_csv_text
from formcheck.synth import MEDIAPIPE_LIKE, PRESETS, VIEWS, RepScript, SetScript, make_series, preset


def result_of(series) -> dict:
    try:
        body = analysis_to_dict(analyze_series(series))
    except FormcheckError as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"report": body, "reps_csv": reps_csv_text(body)}


def synthetic_inputs():
    for name in PRESETS:
        for view in VIEWS:
            for seed in (0, 1):
                for fps in (30.0, 60.0):
                    script = replace(preset(name), fps=fps)
                    series, _ = make_series(script, view=view, seed=seed, corruption=MEDIAPIPE_LIKE)
                    yield f"synth/{name}/{view}/seed{seed}/{fps:g}fps", series
    reps = tuple(RepScript(faults=("bounce",) if i % 9 == 4 else ()) for i in range(140))
    series, _ = make_series(SetScript(reps=reps), noise_px=1.0, corruption=MEDIAPIPE_LIKE)
    yield "synth/10min", series


def clip_inputs(folder: Path | None, cache: Path):
    """Landmarks of every clip: the CSVs in `folder` (named <clip stem>.<anything>.csv), else extracted."""
    if folder is not None:
        for csv in sorted(folder.glob("*.csv")):
            yield f"clip/{csv.name.split('.')[0]}.mp4", load_landmarks_csv(csv)
        return
    videos = sorted(SAMPLES.glob("*.mp4")) + (sorted(SHARED.glob("*.mp4")) if SHARED.exists() else [])
    for video in videos:
        yield f"clip/{video.name}", landmarks(video, cache).series


def snapshot(folder: Path | None, cache: Path) -> dict:
    out = {}
    for key, series in list(clip_inputs(folder, cache)) + list(synthetic_inputs()):
        out[key] = result_of(series)
    return out


def differences(a, b, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}/{k}: only in one" for k in set(a) ^ set(b)]
        for k in a:
            if k in b:
                out += differences(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if a == b and type(a) is type(b) else [f"{path}: {a!r} vs {b!r}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write the snapshot here")
    group.add_argument("--compare", type=Path, help="compare with this snapshot")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/formcheck-bench-cache"))
    parser.add_argument(
        "--landmarks",
        type=Path,
        help="a folder of landmark CSVs to use instead of extracting "
        "(so a change to the extraction cannot hide in the comparison)",
    )
    args = parser.parse_args()
    snap = json.loads(json.dumps(snapshot(args.landmarks, args.cache)))  # as it would read back
    if args.save:
        args.save.write_text(json.dumps(snap, indent=1))
        print(f"{len(snap)} inputs -> {args.save}")
        return 0
    old = json.loads(args.compare.read_text())
    diffs = differences(old, snap)
    reps = sum(len(v.get("report", {}).get("reps", [])) for v in snap.values())
    print(
        f"{len(snap)} inputs, {reps} reps compared with {args.compare}: "
        f"{'identical' if not diffs else f'{len(diffs)} differences'}"
    )
    shown = [d for d in diffs if "/reps_csv:" not in d]  # (a reps.csv difference repeats a report one)
    for d in shown[:40]:
        print("   ", d)
    if len(shown) > 40:
        print(f"    ... and {len(shown) - 40} more")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
