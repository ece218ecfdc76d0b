"""Precision / recall of the fault detectors on synthetic sets with exact truth (no video, ~1 min).

    python bench/faults_synth.py [--seeds 5] [--views side,front,back,three_quarter,oblique,oblique_back]

oblique / oblique_back: the side camera turned 25 degrees towards the athlete's front / back, which
formcheck classifies as an oblique view (three_quarter, 45 degrees, reads as a front view).

Every preset of formcheck.synth is run in every view with MediaPipe-like corruption and
several seeds. A detected rep is matched to the true rep whose rise-top-lowering contains
its top. A fault counts toward recall only on reps whose detected view can show it (and
that has a detector). The last reps of the `fatigue` preset (tops at 73 % and 60 % of the
full height) are left out of short_top scoring: they are short by design, but not
injected as a fault.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formcheck.core.analyze import analyze_series
from formcheck.core.faults.catalogue import FAULT_IDS, SPECS
from formcheck.core.faults.rules import RULES as DETECTORS
from formcheck.synth import MEDIAPIPE_LIKE, PRESETS, make_series, preset

VIEW_GROUP = {
    "side": "side",
    "front": "front",
    "back": "back",
    "three_quarter": "3/4",
    "oblique": "obl.front",
    "oblique_back": "obl.back",
}
CAMERA = {"oblique": ("side", -25.0), "oblique_back": ("side", 25.0)}  # named view, azimuth offset (degrees)


def match(analysis, truth) -> list:
    out = []
    for rep in analysis.reps:
        mid = 0.5 * (rep.times.t_top_start + rep.times.t_top_end)
        hits = [r for r in truth.reps if r.t_start - 0.2 <= mid <= r.t_bottom]
        out.append(hits[0] if hits else None)
    return out


def dont_care(name: str, truth_rep, n_reps: int) -> set[str]:
    return {"short_top"} if name == "fatigue" and truth_rep.index >= n_reps - 2 else set()


def score_run(name: str, view: str, seed: int, counts: dict, clean: dict) -> None:
    named, offset = CAMERA.get(view, (view, 0.0))
    series, truth = make_series(
        preset(name), view=named, corruption=MEDIAPIPE_LIKE, seed=seed, azimuth_offset_deg=offset
    )
    analysis = analyze_series(series)
    group = VIEW_GROUP[view]
    for rep, tr in zip(analysis.reps, match(analysis, truth)):
        found = {f["id"] for f in rep.faults}
        injected = set(tr.faults) if tr else set()
        skip = dont_care(name, tr, truth.n_reps) if tr else set()
        for fid in DETECTORS:
            if fid in skip:
                continue
            showable = rep.view in SPECS[fid].views
            c = counts[(fid, group)]
            if fid in found and fid in injected:
                c["tp"] += 1
            elif fid in found:
                c["fp"] += 1
            elif fid in injected and showable:
                c["fn"] += 1
        if tr is not None and not injected:
            clean[group]["n"] += 1
            clean[group]["flagged"] += bool(found - skip)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "  - "


def print_table(counts: dict, clean: dict, groups: list[str]) -> None:
    print(f"{'fault':16s}" + "".join(f"{g:>22s}" for g in groups + ["all"]))
    print(f"{'':16s}" + "".join(f"{'P     R    (tp/fp/fn)':>22s}" for _ in groups + ["all"]))
    for fid in FAULT_IDS:
        if fid not in DETECTORS:
            print(f"{fid:16s}  not checked")
            continue
        cells = []
        for g in groups + ["all"]:
            c = {k: sum(counts[(fid, h)][k] for h in (groups if g == "all" else [g])) for k in ("tp", "fp", "fn")}
            cells.append(
                f"{ratio(c['tp'], c['tp'] + c['fp'])}  {ratio(c['tp'], c['tp'] + c['fn'])} "
                f"({c['tp']}/{c['fp']}/{c['fn']})"
            )
        print(f"{fid:16s}" + "".join(f"{cell:>22s}" for cell in cells))
    n = sum(clean[g]["n"] for g in groups)
    flagged = sum(clean[g]["flagged"] for g in groups)
    rates = "".join(f"{ratio(clean[g]['flagged'], clean[g]['n']):>22s}" for g in groups)
    print(f"{'clean reps FP':16s}{rates}{ratio(flagged, n):>22s}  ({flagged}/{n} clean reps flagged)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--views", default="side,front,back,three_quarter,oblique,oblique_back")
    args = ap.parse_args()
    views = args.views.split(",")
    counts: dict = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0})
    clean: dict = defaultdict(lambda: {"n": 0, "flagged": 0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in PRESETS:
            for view in views:
                for seed in range(args.seeds):
                    score_run(name, view, seed, counts, clean)
    print(f"presets: {', '.join(PRESETS)}; views: {', '.join(views)}; seeds 0-{args.seeds - 1}; MEDIAPIPE_LIKE")
    print_table(counts, clean, [VIEW_GROUP[v] for v in views])


if __name__ == "__main__":
    main()
