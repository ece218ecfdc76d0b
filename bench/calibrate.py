"""Choose the fault thresholds on the tune half of the evaluation set, and show what each choice costs.

    python3 bench/calibrate.py [--split tune] [--synth-seeds 24] [--max-false 0.015] [--config FILE]

Every rule reads numbers the report shows for each rep (formcheck/core/faults/rules.py), so one analysis per
clip gives every rep's number, and a threshold can be swept without re-running anything. For each fault the
sweep counts, over the reps matched to a true rep (bench/eval_scoring.match_reps):

- found: true reps carrying the fault that the report would flag at the threshold, per size grade;
- false: per view, the reps of that view that can show the fault but do not have it (and are not "don't care"
  for it, eval_scoring.dont_care) that it would flag;
- precision: found over found + false, all grades and views (shown, not chosen on: the choice is by the budget).

"Would flag" is the report's own test: the rule holds, no flagged fault supersedes it, and its confidence
(detect.rule_confidence, against the scatter of the clip's reps from the same view that the condition does not
hold on) clears the gate under
which a fault is only a "look at this rep" note. False flags are counted per view because a fault checked in
one view only (knee_drive from the side) would otherwise have its rate diluted by the views that never flag it.

Of the thresholds flagging at most --max-false of the reps without the fault in every view (with at least
MIN_VIEW_REPS such reps), the chosen one is, by issue 16's targets (moderate faults found at least 80 % of the
time, precision at least 0.9):

- when some find at least MODERATE_RECALL of the moderate faults in the views that check the fault (the target
  with a margin for the held-out half): of those at least PRECISION precise (the same) or within PRECISION_SLACK
  of the most precise one, whichever admits more, the one that finds the most faults of all grades, then has the
  fewest false flags. (Taking the most precise one outright chased noise: short_top 0.75 for a precision of
  0.86 instead of 0.85 on the tune half cost the report half 2 of 12 moderates from the front with its
  precision unchanged.)
- otherwise: within a rep or two (TOLERANCE) of the most subtle + moderate faults and of the most blatant ones
  found, the one with the fewest false flags in its worst view.

Some grids stop where the guide's meaning of the fault does (see KNOBS). Only the tune half is read (seeds split in
tools/evalset and eval_sources.synth); report the result with `bench/evaluate.py --split report`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, fields, replace
from itertools import product
from types import SimpleNamespace

import numpy as np
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from eval_scoring import Scored, dont_care, match_reps
from eval_sources import rendered, synth

from formcheck.api import load_config
from formcheck.core.faults.detect import UNCERTAIN_BELOW, rule_confidence
from formcheck.core.faults.rules import RULES, SUPERSEDED_BY, phase_of
from formcheck.core.reps.metrics import RepNumbers, seen_in_phase


@dataclass(frozen=True)
class Knob:
    """The thresholds of one fault's rule to sweep together: (config field, values) pairs."""

    fault: str
    grids: tuple[tuple[str, np.ndarray], ...]


KNOBS = [
    Knob(
        "bounce",
        (
            ("bounce_min_speed_ratio", np.arange(1.0, 2.51, 0.1)),
            # at most 0.3 s: the shortest bottom pause of a controlled rep (real people: 0.3-1.0 s); at least 0.2 s,
            # three frames at 15 fps: a blatant bounce (0.1 s) read at 15 fps or on a young stance (live) lands
            # there, and 0.15 s let the sample clip's bounce go unwarned live and unflagged at 15 fps
            ("bounce_max_hold_s", np.arange(0.2, 0.31, 0.05)),
        ),
    ),
    # at most 0.75 s: a controlled 1.0 s lowering after a 0.7 s rise (the guide: at least as long down as up) reads
    # 0.80-0.87 s on the sample videos' clean reps and down to 0.77 s on their landmark-level twins
    # (bench/accuracy.py's frame-rate study, the faults_side preset filmed at 60 and 120 fps read at 30: 0.8 s made
    # 9 false flags in 12 series, 0.75 s 2)
    Knob(
        "fast_lowering",
        (("min_lower_s", np.arange(0.3, 0.76, 0.05)), ("ratio_applies_below_s", np.arange(0.6, 1.61, 0.1))),
    ),
    Knob("shallow_bottom", (("shallow_bottom_frac", np.arange(0.05, 0.41, 0.01)),)),
    Knob("short_top", (("short_top_frac", np.arange(0.6, 0.96, 0.01)),)),
    # at most 0.25 s: real clean top holds start at 0.3 s, and real-clip top holds read within 0.05 s of the labels
    Knob("no_top_pause", (("min_top_hold_s", np.arange(0.05, 0.251, 0.025)),)),
    Knob(
        "torso_help",
        (
            ("max_lean_change_deg", np.arange(2.0, 10.01, 0.5)),
            # real clean raises shift the hips 4-9 % of leg length forward by themselves (real clips);
            # neither the renders nor the synth move the hips so: not swept below 0.1
            ("max_hip_travel", np.arange(0.10, 0.161, 0.01)),
        ),
    ),
    Knob("knee_drive", (("max_knee_range_deg", np.arange(3.0, 20.01, 0.5)),)),
    Knob("free_leg_assist", (("free_foot_touch", np.arange(0.02, 0.41, 0.01)),)),
]


MODERATE_RECALL = 0.85  # issue 16's 0.8 with a margin: the held-out half is another draw of the same sizes
PRECISION = 0.92  # issue 16's 0.9 with a margin
PRECISION_SLACK = 0.02  # precisions this close are a flag or two apart: the one finding more is chosen
TOLERANCE = 0.02  # of the reps with the fault: recall this close to the best counts as the best (a rep or two)
MIN_VIEW_REPS = 50  # a view with fewer reps a flag would be wrong on says too little of its false-flag rate


def numbers_of(rep: dict) -> tuple[RepNumbers, SimpleNamespace]:
    """A report rep's numbers as the rules read them (its reading() too) and its numbers against the set."""
    return RepNumbers(**{f.name: rep.get(f.name) for f in fields(RepNumbers)}), SimpleNamespace(**rep["vs_set"])


def pairs(clips: list[Scored]) -> list[tuple[str, object, dict, list]]:
    """(view, true rep, its matched report rep, the numbers of the clip's reps filmed from the rep's view) over
    every clip: the last are what a fault's confidence is measured against."""
    out = []
    for clip in clips:
        if clip.report is None or clip.counts_only:
            continue
        numbers = [numbers_of(r) for r in clip.reps]
        for tr, k in zip(clip.truth, match_reps(clip.reps, clip.truth), strict=True):
            if k is not None:
                rep = clip.reps[k]
                peers = [n for r, n in zip(clip.reps, numbers) if r.get("view") == rep.get("view")]
                out.append((clip.view, tr, rep, peers))
    return out


def flagged(fault: str, rep: dict, cfg, peers: list | None = None) -> bool:
    """The rule itself (formcheck/core/faults/rules.py) on the rep's reported numbers; a fault the view cannot
    show (the rep lists it under not_checked) or that a flagged fault supersedes is not flagged. Given the numbers
    of the rep's view (`peers`, from pairs), only a fault the report would count as one: confidence at least
    UNCERTAIN_BELOW (a doubtful one is a "look at this rep" note, not a flag, and supersedes nothing)."""
    if fault in rep.get("not_checked", []):
        return False
    numbers, vs = numbers_of(rep)

    def counts(fid: str) -> bool:
        conds = RULES[fid](numbers, vs, cfg)
        if not all(c.holds for c in conds):
            return False
        if peers is None:
            return True
        seen = seen_in_phase(rep["tracking_quality"], rep.get("tracking_quality_by_phase", {}), phase_of(fid))
        return round(rule_confidence(conds, peers, seen), 2) >= UNCERTAIN_BELOW

    over = SUPERSEDED_BY.get(fault)
    if over is not None and over not in rep.get("not_checked", []) and counts(over):
        return False
    return counts(fault)


def checked_without(fault: str, tr, rep: dict) -> bool:
    """A rep a flag of `fault` would be wrong on: its view can show the fault, the true rep has none of it, and
    a flag is not "don't care" there."""
    return (
        fault not in rep.get("not_checked", [])
        and fault not in tr.faults
        and fault not in dont_care(tr)
        and tr.absent is None
    )


def tally(fault: str, data, cfg) -> tuple[dict[str, int], dict[str, int]]:
    """Faults found per grade, and false flags per view (over the reps of that view that can show the fault)."""
    found: dict[str, int] = {}
    false: dict[str, int] = {}
    for view, tr, rep, peers in data:
        hit = flagged(fault, rep, cfg, peers)
        if fault in tr.faults:
            g = tr.faults[fault][0]
            found[g] = found.get(g, 0) + hit
        elif checked_without(fault, tr, rep):
            false[view] = false.get(view, 0) + hit
    return found, false


def precision_of(found: dict[str, int], false: dict[str, int]) -> float | None:
    """Faults found over found + false flags, all grades and views (None when nothing is flagged)."""
    right, wrong = sum(found.values()), sum(false.values())
    return right / (right + wrong) if right + wrong else None


def sweep(knob: Knob, data: list[tuple[str, object, dict, list]], cfg, max_false: float) -> list[str]:
    n_with: dict[str, int] = {}
    n_without: dict[str, int] = {}  # view -> reps a flag would be wrong on
    n_moderate = 0  # moderate faults in views that check the fault (a flag is never raised in the others)
    for view, tr, rep, _ in data:
        if knob.fault in tr.faults:
            n_with[tr.faults[knob.fault][0]] = n_with.get(tr.faults[knob.fault][0], 0) + 1
            n_moderate += tr.faults[knob.fault][0] == "moderate" and knob.fault not in rep.get("not_checked", [])
        elif checked_without(knob.fault, tr, rep):
            n_without[view] = n_without.get(view, 0) + 1
    grades = [g for g in ("subtle", "moderate", "blatant") if g in n_with]
    fields = [f for f, _ in knob.grids]
    now = tuple(getattr(cfg, f) for f in fields)
    rows = []
    for values in product(*(g for _, g in knob.grids)):
        found, false = tally(knob.fault, data, replace(cfg, **dict(zip(fields, map(float, values)))))
        rows.append((values, found, false))
    now_found, now_false = tally(knob.fault, data, cfg)

    def worst(false: dict[str, int]) -> tuple[float, str]:
        """The largest share of a view's reps without the fault that are flagged, and that view."""
        shares = ((false.get(v, 0) / n, v) for v, n in n_without.items() if n >= MIN_VIEW_REPS)
        return max(shares, default=(0.0, "-"))

    def found_sm(row) -> int:
        return row[1].get("subtle", 0) + row[1].get("moderate", 0)

    def precision(row) -> float:
        return precision_of(row[1], row[2]) or 0.0

    def is_now(row) -> bool:
        """The shipped setting: kept when another ties with it on every figure (no change without evidence)."""
        return all(abs(float(a) - float(b)) < 1e-9 for a, b in zip(row[0], now, strict=True))

    ok = [row for row in rows if worst(row[2])[0] <= max_false]
    # the moderate target met: of the precise enough (or the nearly most precise), the most faults found
    on_target = [row for row in ok if n_moderate and row[1].get("moderate", 0) >= MODERATE_RECALL * n_moderate]
    best = None
    if on_target:
        enough = min(PRECISION, max(precision(row) for row in on_target) - PRECISION_SLACK)
        precise = [row for row in on_target if precision(row) >= enough]
        best = max(
            precise, key=lambda row: (sum(row[1].values()), -sum(row[2].values()), -worst(row[2])[0], is_now(row))
        )
    elif ok:
        # within TOLERANCE of the most subtle + moderate faults found and of the most blatant ones (a rep or two
        # more is not worth more false flags; a detector that misses caricatures is not believed), the fewest
        # false flags in the worst view, then the most found
        top_sm = max(found_sm(row) for row in ok)
        top_b = max(row[1].get("blatant", 0) for row in ok)
        near = [
            row
            for row in ok
            if found_sm(row) >= top_sm - TOLERANCE * (n_with.get("subtle", 0) + n_with.get("moderate", 0))
            and row[1].get("blatant", 0) >= top_b - TOLERANCE * n_with.get("blatant", 0)
        ]
        # (views too small to hold to the budget still count in the tie-break, by their false flags)
        best = min(
            near, key=lambda row: (worst(row[2])[0], sum(row[2].values()), -sum(row[1].values()), not is_now(row))
        )

    def line(label, values, found, false):
        f = "  ".join(f"{g} {found.get(g, 0):3d}/{n_with[g]:<3d}" for g in grades)
        v = ", ".join(f"{name} {x:.3g}" for name, x in zip(fields, values))
        share, view = worst(false)
        worst_view = f"{false.get(view, 0):3d}/{n_without.get(view, 0)} {view} ({100 * share:.1f} %)"
        p = precision_of(found, false)
        shown = "-" if p is None else f"{p:.2f}"
        return f"  {label:7s} {v:50s} found {f}  false {worst_view}  precision {shown}"

    lines = [
        f"{knob.fault} ({n_moderate} moderate in the views that check it; target {MODERATE_RECALL:.0%} of them)",
        line("now", now, now_found, now_false),
    ]
    if len(fields) == 1:  # the whole curve
        lines += [line("", v, f, x) for v, f, x in rows]
    if best:
        met = on_target and precision(best) >= PRECISION
        lines.append(line("chosen", *best) + ("" if met else "  (short of the targets with their margins)"))
    else:
        lines.append(f"  chosen  none flags at most {100 * max_false:.1f} % of a view's reps without the fault")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    ap.add_argument("--synth-seeds", type=int, default=24)
    ap.add_argument(
        "--max-false", type=float, default=0.015, help="largest share of a view's reps without the fault flagged"
    )
    ap.add_argument("--config", help="a TOML settings file (the other thresholds held at its values)")
    ap.add_argument("--faults", help="comma-separated fault ids to sweep (default all)")
    args = ap.parse_args()
    config = load_config(args.config)
    clips = rendered(args.split, config) + synth(args.split, args.synth_seeds, config)
    data = pairs(clips)
    print(f"{args.split} split: {len(clips)} clips and series, {len(data)} reps matched to a true rep")
    only = set(args.faults.split(",")) if args.faults else None
    for knob in KNOBS:
        if only is None or knob.fault in only:
            print("\n".join(sweep(knob, data, config.faults, args.max_false)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
