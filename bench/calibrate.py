"""Choose the fault thresholds on the tune half of the evaluation set, and show what each choice costs.

    python3 bench/calibrate.py [--split tune] [--synth-seeds 8] [--max-false 0.02] [--config FILE]

Every rule reads numbers the report shows for each rep (formcheck/core/faults/rules.py), so one analysis per
clip gives every rep's number, and a threshold can be swept without re-running anything. For each fault the
sweep counts, over the reps matched to a true rep (bench/eval_scoring.match_reps):

- found: true reps carrying the fault whose number is beyond the threshold, per size grade;
- false: reps without the fault (and not "don't care" for it, eval_scoring.dont_care) beyond it.

The chosen threshold is the one that finds the most subtle + moderate faults while flagging at most
--max-false of the reps without the fault (the most lenient such threshold on a tie). Only the tune half is
read (seeds split in tools/evalset and eval_sources.synth); report the result with
`bench/evaluate.py --split report`. The confidence gate (faults below 0.6 become "look at this rep") is not
part of the sweep: evaluate.py shows its effect.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _common import ROOT  # noqa: F401  (puts the repository on sys.path)
from eval_scoring import Scored, dont_care, match_reps
from eval_sources import rendered, synth

from formcheck.api import load_config


@dataclass(frozen=True)
class Knob:
    """One threshold: the config field, the rep's number it is compared with, and on which side is a fault."""

    fault: str
    field: str
    value: Callable[[dict], float | None]
    above: bool
    grid: np.ndarray
    also: Callable[[dict, object], bool] = lambda rep, cfg: True  # the rule's other conditions, at cfg


def _vs(key: str) -> Callable[[dict], float | None]:
    return lambda rep: (rep.get("vs_set") or {}).get(key)


def _num(key: str) -> Callable[[dict], float | None]:
    return lambda rep: rep.get(key)


def _lower_limit(rep: dict, cfg) -> float:
    rise = rep.get("concentric_s")
    limit = cfg.min_lower_s
    if rise is not None:
        limit = max(limit, min(cfg.min_lower_rise_ratio * rise, cfg.ratio_applies_below_s))
    return limit


KNOBS = [
    Knob("bounce", "bounce_min_speed_ratio", _vs("lowering_speed_vs_set"), True, np.arange(1.0, 2.51, 0.05),
         also=lambda rep, cfg: rep.get("bottom_pause_s") is not None and rep["bottom_pause_s"] < cfg.bounce_max_hold_s),
    Knob("bounce", "bounce_max_hold_s", _num("bottom_pause_s"), False, np.arange(0.05, 0.41, 0.025),
         also=lambda rep, cfg: (_vs("lowering_speed_vs_set")(rep) or 0) > cfg.bounce_min_speed_ratio),
    Knob("fast_lowering", "min_lower_s", _num("eccentric_s"), False, np.arange(0.3, 1.31, 0.05)),
    Knob("shallow_bottom", "shallow_bottom_frac", _vs("bottom_above_set"), True, np.arange(0.05, 0.41, 0.01)),
    Knob("short_top", "short_top_frac", _vs("rise_vs_best"), False, np.arange(0.6, 0.96, 0.01)),
    Knob("no_top_pause", "min_top_hold_s", _num("top_pause_s"), False, np.arange(0.05, 0.51, 0.025)),
    Knob("torso_help", "max_lean_change_deg", _num("trunk_lean_change_deg"), True, np.arange(1.0, 10.01, 0.25)),
    Knob("torso_help", "max_hip_travel", _num("hip_forward_travel_leg_frac"), True, np.arange(0.02, 0.201, 0.005)),
    Knob("knee_drive", "max_knee_range_deg", _num("knee_flexion_range_deg"), True, np.arange(3.0, 20.01, 0.5)),
    Knob("free_leg_assist", "free_foot_touch", _num("free_foot_min_gap_shank"), False, np.arange(0.02, 0.41, 0.01)),
    Knob("hips_not_level", "max_hip_drop", _num("hip_drop_change_shank"), True, np.arange(0.01, 0.151, 0.005)),
]


def pairs(clips: list[Scored]) -> list[tuple[str, object, dict]]:
    """(view, true rep, its matched report rep) over every clip."""
    out = []
    for clip in clips:
        if clip.report is None or clip.counts_only:
            continue
        for tr, k in zip(clip.truth, match_reps(clip.reps, clip.truth), strict=True):
            if k is not None:
                out.append((clip.view, tr, clip.reps[k]))
    return out


def beyond(knob: Knob, rep: dict, cfg, threshold: float) -> bool:
    from dataclasses import replace

    at = replace(cfg, **{knob.field: float(threshold)})
    if knob.fault == "fast_lowering":
        v = rep.get("eccentric_s")
        return v is not None and v < _lower_limit(rep, at)
    v = knob.value(rep)
    if v is None or not np.isfinite(v) or not knob.also(rep, at):
        return False
    return v > threshold if knob.above else v < threshold


def sweep(knob: Knob, data: list[tuple[str, object, dict]], cfg, max_false: float) -> list[str]:
    with_fault = [(v, tr, rep) for v, tr, rep in data if knob.fault in tr.faults]
    without = [(v, tr, rep) for v, tr, rep in data
               if knob.fault not in tr.faults and knob.fault not in dont_care(tr) and tr.absent is None]
    grades = sorted({tr.faults[knob.fault][0] for _, tr, _ in with_fault})
    rows, best = [], None
    for th in knob.grid:
        found = {g: sum(beyond(knob, rep, cfg, th) for _, tr, rep in with_fault if tr.faults[knob.fault][0] == g)
                 for g in grades}
        false = sum(beyond(knob, rep, cfg, th) for _, _, rep in without)
        rate = false / max(len(without), 1)
        key = found.get("subtle", 0) + found.get("moderate", 0) + 0.001 * found.get("blatant", 0)
        # on a tie the most lenient threshold: the highest of an "above" rule, the lowest of a "below" one
        if rate <= max_false and (best is None or key > best[0] or (key == best[0] and knob.above)):
            best = (key, th)
        rows.append((th, found, false, rate))
    n = {g: sum(tr.faults[knob.fault][0] == g for _, tr, _ in with_fault) for g in grades}
    current = getattr(cfg, knob.field)
    lines = [f"{knob.fault} / {knob.field} (now {current:g}); reps with the fault: "
             + ", ".join(f"{g} {n[g]}" for g in grades) + f"; without: {len(without)}"]
    for th, found, false, rate in rows:
        mark = " <- chosen" if best and np.isclose(th, best[1]) else (" <- now" if np.isclose(th, current) else "")
        found_s = "  ".join(f"{g} {found[g]:3d}/{n[g]:<3d}" for g in grades)
        lines.append(f"  {th:6.3f}  found {found_s}  false {false:3d} ({100 * rate:4.1f} %){mark}")
    lines.append(f"  chosen: {knob.field} = {best[1]:.3f}" if best else "  chosen: none under the false-flag limit")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="tune", choices=("tune", "report", "all"))
    ap.add_argument("--synth-seeds", type=int, default=8)
    ap.add_argument("--max-false", type=float, default=0.02, help="largest share of reps without the fault flagged")
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
