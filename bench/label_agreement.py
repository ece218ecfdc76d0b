"""How far two hand labellings of the same real reps lie apart, and formcheck's report against each.

bench/labels/real_clips.json (the first labelling) and bench/labels/second_opinion.json (a second one, made
without seeing the first, of the side and oblique reps of three clips): per boundary and per phase duration, the
median and largest |first - second| over the reps both labelled; then the report's rise, top hold, lowering and
bottom pause, on MediaPipe's track and on the refined one, against each labelling over the same reps. Where two
careful labellers differ by 0.2 s, a 0.1 s error against one of them is not a measured fault of formcheck's.

    python bench/label_agreement.py [--cache DIR] [--shared DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from _common import ROOT, landmarks
from eval_scoring import PHASE_NAMES, PHASES, TrueRep, match_reps
from eval_sources import LABELS, both_tracks, label_rep

from formcheck.core.analyze import analyze_series
from formcheck.core.report import analysis_to_dict
from formcheck.errors import FormcheckError

SECOND = ROOT / "bench" / "labels" / "second_opinion.json"
BOUNDARIES = ("t_start", "t_top_start", "t_top_end", "t_bottom")
MATCH_S = 0.5  # two labellings' reps are the same rep when their starts lie this close


def paired_reps(first: dict, second: dict) -> dict[str, list[tuple[TrueRep, TrueRep]]]:
    """Per clip, the reps both labellings hold: (first, second), matched by their start times."""
    out = {}
    for clip, lab in second["clips"].items():
        mine = [label_rep(r) for r in first["clips"].get(clip, {}).get("reps", [])]
        pairs = []
        for r in (label_rep(x) for x in lab["reps"]):
            near = min(mine, key=lambda m: abs(m.t_start - r.t_start), default=None)
            if near is not None and abs(near.t_start - r.t_start) <= MATCH_S:
                pairs.append((near, r))
        out[clip] = pairs
    return out


def spread_line(name: str, diffs: list[float], unit: str = "reps") -> str:
    d = np.abs(np.array(diffs, dtype=float))
    return f"  {name:14s} {np.median(d):.2f} / {d.max():.2f} s  ({len(d)} {unit})" if len(d) else f"  {name:14s} -"


def report_reps(video: Path, cache: Path | None) -> dict[str, list[dict]]:
    """The report's reps of a clip on MediaPipe's track and on the refined one (none where it is refused)."""
    series = landmarks(video, cache).series
    out = {}
    for track, s in both_tracks(series):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[track] = analysis_to_dict(analyze_series(s))["reps"]
        except FormcheckError as exc:
            print(f"({video.name}, {track} track: refused: {str(exc).splitlines()[0][:80]})")
            out[track] = []
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path("/tmp/formcheck-bench-cache"),
        help="folder for extracted landmarks (reused when the video is unchanged)",
    )
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder with videos/ (../shared)")
    ap.add_argument("--labels", type=Path, default=LABELS, help="the first labelling")
    ap.add_argument("--second", type=Path, default=SECOND, help="the second labelling")
    args = ap.parse_args(argv)
    if not args.labels.exists() or not args.second.exists():
        print(f"(need both {args.labels} and {args.second})")
        return 0
    pairs = paired_reps(json.loads(args.labels.read_text()), json.loads(args.second.read_text()))
    every = [p for ps in pairs.values() for p in ps]
    print(f"two hand labellings of {len(every)} reps of {len(pairs)} real clips: |first - second|, median / largest")
    for k in BOUNDARIES:
        print(spread_line(k, [getattr(a, k) - getattr(b, k) for a, b in every]))
    for ph in PHASES:
        both = [(a.phases[ph], b.phases[ph]) for a, b in every]
        print(spread_line(PHASE_NAMES[ph], [x - y for x, y in both if x is not None and y is not None]))
    print("  per clip, every boundary of its reps:")
    for clip, ps in pairs.items():
        diffs = [getattr(a, k) - getattr(b, k) for a, b in ps for k in BOUNDARIES]
        print(spread_line(Path(clip).stem[:14], diffs, "boundaries"))

    errors: dict[tuple[str, str, str], list[float]] = {}  # (track, labelling, phase) -> |error| per rep
    for clip, ps in pairs.items():
        video = args.shared / "videos" / clip
        if not ps:
            continue
        if not video.exists():
            print(f"({clip}: not in {video.parent}, skipped)")
            continue
        for track, reps in report_reps(video, args.cache).items():
            for who, labelled in (("first", [a for a, _ in ps]), ("second", [b for _, b in ps])):
                for tr, k in zip(labelled, match_reps(reps, labelled), strict=True):
                    for ph in PHASES:
                        if k is not None and tr.phases[ph] is not None and reps[k][ph] is not None:
                            errors.setdefault((track, who, ph), []).append(abs(reps[k][ph] - tr.phases[ph]))
    print("the report against each labelling, median |error| s over the same reps (reps):")
    print(f"  {'':22s}" + "".join(f"{PHASE_NAMES[ph]:>15s}" for ph in PHASES))
    for track in ("MediaPipe", "refined"):
        for who in ("first", "second"):
            cells = []
            for ph in PHASES:
                e = errors.get((track, who, ph), [])
                cells.append(f"{np.median(e):.2f} ({len(e)})" if e else "-")
            print(f"  {track:9s} vs {who:8s}" + "".join(f"{c:>15s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
