"""A number means one thing: no rep carries a fault that its own reported numbers contradict, and no rep whose
reported numbers cross a fault's threshold goes without that fault (or its `uncertain` note), on every
evaluation input: synthetic sets of every preset and view, the sample videos' model landmarks, every rendered clip
of the evaluation set (its stored model landmarks, bench/evalset) and its landmark-level series at every grade.

The test reads report.json's dict only, and the thresholds from the config, so it checks the report as a
person reads it (e.g. a 0.6 s top_pause_s can never come with no_top_pause)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import golden_series

from formcheck.core.analyze import analyze_series
from formcheck.core.config import FaultConfig
from formcheck.core.faults.catalogue import SPECS
from formcheck.core.faults.rules import SUPERSEDED_BY
from formcheck.core.report import analysis_to_dict
from formcheck.synth import MEDIAPIPE_LIKE, PRESETS, VIEWS, make_series, preset

ROOT = Path(__file__).resolve().parents[1]


def number(rep: dict, measure: str) -> float | None:
    return rep[measure] if measure in rep else rep["vs_set"][measure]


def conditions(fid: str, rep: dict, cfg: FaultConfig) -> list[tuple[str, bool, float]]:
    """(measure, fires above?, threshold) of each condition of the fault, from the config as documented."""
    if fid == "bounce":
        return [
            ("bottom_pause_s", False, cfg.bounce_max_hold_s),
            ("lowering_speed_vs_set", True, cfg.bounce_min_speed_ratio),
        ]
    if fid == "fast_lowering":
        limit = cfg.min_lower_s
        if rep["concentric_s"] is not None:
            limit = max(limit, min(cfg.min_lower_rise_ratio * rep["concentric_s"], cfg.ratio_applies_below_s))
        return [("eccentric_s", False, round(limit, 3))]
    if fid == "torso_help":  # either the lean or the hip shift
        return [("trunk_lean_change_deg", True, cfg.max_lean_change_deg)]
    return [
        {
            "shallow_bottom": ("bottom_above_set", True, cfg.shallow_bottom_frac),
            "short_top": ("rise_vs_best", False, cfg.short_top_frac),
            "no_top_pause": ("top_pause_s", False, cfg.min_top_hold_s),
            "knee_drive": ("knee_flexion_range_deg", True, cfg.max_knee_range_deg),
            "free_leg_assist": ("free_foot_min_gap_shank", False, cfg.free_foot_touch),
        }[fid]
    ]


def crosses(value: float | None, above: bool, threshold: float) -> bool:
    return value is not None and (value > threshold if above else value < threshold)


def fires(fid: str, rep: dict, cfg: FaultConfig) -> bool:
    if fid == "torso_help":
        return crosses(rep["trunk_lean_change_deg"], True, cfg.max_lean_change_deg) or crosses(
            rep["hip_forward_travel_leg_frac"], True, cfg.max_hip_travel
        )
    return all(crosses(number(rep, m), above, thr) for m, above, thr in conditions(fid, rep, cfg))


def contradictions(report: dict, cfg: FaultConfig) -> list[str]:
    out = []
    for rep in report["reps"]:
        flagged = {f["id"]: f for f in rep["faults"] + rep["uncertain"]}
        for fid, f in flagged.items():
            if number(rep, f["measure"]) != f["value"]:
                out.append(f"rep {rep['index']} {fid}: value {f['value']} is not its {f['measure']}")
            if not fires(fid, rep, cfg):
                out.append(f"rep {rep['index']} {fid} but its numbers do not cross the threshold")
        for fid in SPECS:
            judged = fid not in rep["not_checked"] and not SPECS[fid].unchecked
            superseded = SUPERSEDED_BY.get(fid) in flagged
            if judged and fid not in flagged and not superseded and fires(fid, rep, cfg):
                out.append(f"rep {rep['index']}: its numbers cross {fid}'s threshold but it is not flagged")
    return out


def synthetic_inputs():
    for name in PRESETS:
        for view in VIEWS:
            for seed, fps in ((0, 30.0), (1, 60.0)):
                yield (
                    f"{name}/{view}/{seed}/{fps:g}",
                    make_series(
                        dataclasses.replace(preset(name), fps=fps), view=view, seed=seed, corruption=MEDIAPIPE_LIKE
                    )[0],
                )


@pytest.mark.parametrize("name", ["faults_side", "front_faults", "step_on_off"])
def test_the_sample_videos_reports_never_contradict_themselves(name):
    report = analysis_to_dict(analyze_series(golden_series(name)))
    assert report["reps"] and contradictions(report, FaultConfig()) == []


def test_no_synthetic_set_contradicts_itself():
    cfg = FaultConfig()
    found = {key: contradictions(analysis_to_dict(analyze_series(series)), cfg) for key, series in synthetic_inputs()}
    assert {k: v for k, v in found.items() if v} == {}
    assert len(found) == len(PRESETS) * len(VIEWS) * 2


def test_no_clip_of_the_evaluation_set_contradicts_itself():
    """Every rendered clip (both halves) and the landmark-level series of two seeds (both halves)."""
    import sys

    root = ROOT
    sys.path[:0] = [p for p in (str(root), str(root / "bench")) if p not in sys.path]
    from eval_sources import synth_one  # bench/: the evaluation's own series

    from formcheck.synth.script import FAULT_IDS
    from tools.evalset.manifest import VIEW_GROUPS
    from tools.evalset.store import STORE, load_clip

    cfg = FaultConfig()
    names = sorted(p.name.removesuffix(".npz") for p in (STORE / "clips").glob("*.npz"))
    assert len(names) >= 40
    found = {name: contradictions(analysis_to_dict(analyze_series(load_clip(name)[0])), cfg) for name in names}
    for seed in (0, 1):
        for group in VIEW_GROUPS:
            for fault in FAULT_IDS:
                series, _, name = synth_one(seed, group, fault)
                found[name] = contradictions(analysis_to_dict(analyze_series(series)), cfg)
    assert {k: v for k, v in found.items() if v} == {}


def test_the_check_sees_a_contradiction():
    fault = {"id": "no_top_pause", "measure": "top_pause_s", "value": 0.6}
    only = {fid: "" for fid in SPECS if fid != "no_top_pause"}
    rep = {"index": 1, "top_pause_s": 0.6, "faults": [fault], "uncertain": [], "not_checked": list(only)}
    assert contradictions({"reps": [rep]}, FaultConfig()) == [
        "rep 1 no_top_pause but its numbers do not cross the threshold"
    ]
    rep = {**rep, "top_pause_s": 0.05, "faults": []}
    assert contradictions({"reps": [rep]}, FaultConfig()) == [
        "rep 1: its numbers cross no_top_pause's threshold but it is not flagged"
    ]
