"""bench/eval_scoring.py on hand-made cases with known answers: rep matching, fault and tempo tallies."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from eval_scoring import (
    Scored,
    Tally,
    TrueRep,
    dont_care,
    match_reps,
    phase_summary,
    precision_by,
    recall_by,
    score,
    smallest_reliable,
)


def true_rep(t0: float, faults=None, rise=1.0, top=0.5, low=2.0, bottom=0.5, **kw) -> TrueRep:
    times = (t0, t0 + rise, t0 + rise + top, t0 + rise + top + low, t0 + rise + top + low + bottom)
    phases = {"concentric_s": rise, "top_pause_s": top, "eccentric_s": low, "bottom_pause_s": bottom}
    return TrueRep(*times, phases, faults or {}, **kw)


def det(t0: float, faults=(), rise=1.0, top=0.5, low=2.0, bottom=0.5, not_checked=()) -> dict:
    return {
        "t_start": t0,
        "t_top_start": t0 + rise,
        "t_top_end": t0 + rise + top,
        "t_bottom": t0 + rise + top + low,
        "t_end": t0 + rise + top + low + bottom,
        "concentric_s": rise,
        "top_pause_s": top,
        "eccentric_s": low,
        "bottom_pause_s": bottom,
        "faults": [{"id": f} for f in faults],
        "not_checked": list(not_checked),
    }


def report(*reps, not_checked=()) -> dict:
    return {"reps": list(reps), "faults_not_checked": [{"id": f, "reason": "x"} for f in not_checked]}


def test_matching_by_top_time_nearest_wins_and_extras_and_misses():
    truth = [true_rep(0.0), true_rep(4.0), true_rep(8.0)]
    # a rep on true rep 1, two on true rep 2 (the second nearer the true top at 5.25), none on rep 3, one after
    detected = [det(0.1), det(4.5, top=0.1), det(4.1), det(12.5)]
    assert match_reps(detected, truth) == [0, 2, None]


def test_a_top_just_before_the_true_start_still_matches():
    truth = [true_rep(1.0)]
    assert match_reps([{"t_top_start": 0.8, "t_top_end": 0.8}], truth) == [0]
    assert match_reps([{"t_top_start": 0.7, "t_top_end": 0.7}], truth) == [None]


def test_fault_tallies_known_answer():
    truth = [
        true_rep(0.0),
        true_rep(4.0, {"bounce": ("moderate", 2.7)}),
        true_rep(8.0, {"knee_drive": ("subtle", 9)}),
        true_rep(12.0, {"bounce": ("subtle", 1.7)}),
        true_rep(16.0),
    ]
    detected = [
        det(0.0, ("torso_help",)),
        det(4.0, ("bounce",)),
        det(8.0, (), not_checked=("knee_drive",)),
        det(16.0, ()),
        det(20.0, ("bounce",)),
    ]  # true rep 4 missed; the last is an extra rep
    clip = Scored("renders", "c", "tune", "side", truth, report(*detected), naive_count=4)
    t = Tally()
    score(clip, t)
    assert recall_by(t, "bounce", "side", "moderate") == (1, 1, 0)
    assert recall_by(t, "bounce", "side", "subtle") == (0, 1, 0)  # on a missed rep
    assert recall_by(t, "bounce") == (1, 2, 0)
    assert recall_by(t, "knee_drive", "side") == (0, 1, 1)  # missed and marked not checked
    assert precision_by(t, "bounce", "side") == (1, 2)  # the extra rep's flag is false
    assert precision_by(t, "torso_help") == (0, 1)
    assert t.clean_n["side"] == 2 and t.clean_any["side"] == 1 and t.clean_fault[("torso_help", "side")] == 1
    assert t.counts == [("c", "side", 5, 5, 4, None)]
    assert len(t.phase_err["eccentric_s"]) == 4 and max(t.phase_err["eccentric_s"]) == 0.0


def test_faults_shown_only_as_look_at_this_rep_are_misses_counted_apart():
    truth = [true_rep(0.0, {"knee_drive": ("blatant", 35)}), true_rep(4.0), true_rep(8.0), true_rep(12.0)]
    detected = [det(0.0), det(4.0), det(8.0), det(12.0, ("torso_help",))]
    detected[0]["uncertain"] = [{"id": "knee_drive"}]  # the true fault, too unsure to call
    detected[1]["uncertain"] = [{"id": "no_top_pause"}]  # a doubt on a clean rep
    clip = Scored("renders", "c", "tune", "side", truth, report(*detected), naive_count=4)
    t = Tally()
    score(clip, t)
    assert recall_by(t, "knee_drive", "side", "blatant") == (0, 1, 0) and t.lk[("knee_drive", "side", "blatant")] == 1
    assert precision_by(t, "no_top_pause") == (0, 0)  # a doubt is not a flag, right or wrong
    assert t.clean_n["side"] == 3 and t.clean_look["side"] == 1 and t.clean_any["side"] == 1


def test_a_bounce_on_a_sets_last_rep_is_counted_apart_not_missed():
    """formcheck does not judge bounce on a last rep (its bottom pause is estimated): injected there it is left out
    of recall (na), unless flagged anyway; on any other rep, or a missed last rep, it is a miss as before."""
    truth = [true_rep(0.0, {"bounce": ("moderate", 2.7)}), true_rep(4.0), true_rep(8.0, {"bounce": ("blatant", 4.5)})]
    last = dict(det(8.0, not_checked=("bounce",)), bottom_pause_estimated=True)
    t = Tally()
    score(Scored("synth", "c", "tune", "side", truth, report(det(0.0), det(4.0), last)), t)
    assert recall_by(t, "bounce", "side", "blatant") == (0, 0, 0) and t.na[("bounce", "side", "blatant")] == 1
    assert recall_by(t, "bounce", "side", "moderate") == (0, 1, 0)  # not last: a miss
    t = Tally()
    score(Scored("synth", "c", "tune", "side", truth, report(det(0.0), det(4.0))), t)  # the last rep missed
    assert recall_by(t, "bounce", "side", "blatant") == (0, 1, 0) and not t.na
    # a mid-set bounce on the last rep formcheck found (the true last one missed) is a miss, not na
    mid = dict(det(0.0, not_checked=("bounce",)), bottom_pause_estimated=True)
    t = Tally()
    score(Scored("synth", "c", "tune", "side", truth, report(mid)), t)
    assert recall_by(t, "bounce", "side", "moderate") == (0, 1, 1) and not t.na


def test_tempo_errors_and_summary():
    truth = [true_rep(0.0, low=2.0), true_rep(4.0, low=2.0)]
    detected = [det(0.1, low=2.7), det(4.0, low=1.8)]
    t = Tally()
    score(Scored("synth", "s", "tune", "front", truth, report(*detected)), t)
    med, mx, over, n = phase_summary(t.phase_err["eccentric_s"])
    assert (med, mx, over, n) == (pytest.approx(0.45), pytest.approx(0.7), 0.5, 2)
    assert t.start_err == [pytest.approx(0.1), 0.0]
    assert not t.motion_err  # the motion shape is not known: no per-shape figures


def test_tempo_errors_per_motion_shape():
    t = Tally()
    score(Scored("synth", "a", "tune", "side", [true_rep(0.0)], report(det(0.0, top=0.8)), motion="min_jerk"), t)
    score(Scored("synth", "b", "tune", "side", [true_rep(0.0)], report(det(0.2, top=0.6)), motion="cosine"), t)
    assert t.motion_err[("top_pause_s", "min_jerk")] == [pytest.approx(0.3)]
    assert t.motion_err[("top_pause_s", "cosine")] == [pytest.approx(0.1)]
    assert t.motion_err[("start", "cosine")] == [pytest.approx(0.2)]
    assert sorted(t.phase_err["top_pause_s"]) == [pytest.approx(0.1), pytest.approx(0.3)]


def test_dont_care_flags_count_neither_way():
    quick = true_rep(0.0, top=0.15, low=0.9)  # a demo rep: short hold, quick lowering
    assert dont_care(quick) == {"no_top_pause", "fast_lowering"}
    assert dont_care(true_rep(0.0, {"fast_lowering": ("moderate", 0.6)}, low=0.6)) == set()
    t = Tally()
    score(Scored("synth", "s", "tune", "side", [quick], report(det(0.0, ("no_top_pause", "fast_lowering")))), t)
    assert precision_by(t, "no_top_pause") == (0, 0) and t.clean_any["side"] == 0 and t.clean_n["side"] == 1


def test_a_quick_drop_without_a_bottom_pause_is_neither_for_bounce():
    """A rep whose true numbers meet bounce's own definition (no bottom pause after a lowering quicker than the
    set's) is not a wrong bounce flag, whatever fault it was made with; a short pause after a lowering as quick as
    the set's others, or a quick drop into a real pause, still is."""
    fast = {"fast_lowering": ("moderate", 0.3)}
    assert dont_care(true_rep(0.0, fast, low=0.3, bottom=0.08, set_lowering=0.7)) == {"bounce"}
    assert dont_care(true_rep(0.0, fast, low=0.6, bottom=0.08, set_lowering=0.7)) == set()  # 1.17x: not quicker
    assert dont_care(true_rep(0.0, fast, low=0.3, bottom=0.25, set_lowering=0.7)) == set()  # it pauses
    assert dont_care(true_rep(0.0, low=1.5, bottom=0.1, set_lowering=1.5)) == set()  # as quick as the others
    assert dont_care(true_rep(0.0, fast, low=0.3, bottom=0.08)) == set()  # the set's lowering unknown
    t = Tally()
    drop = true_rep(0.0, fast, low=0.3, bottom=0.08, set_lowering=0.7)
    score(Scored("synth", "s", "tune", "front", [drop], report(det(0.0, ("bounce",)))), t)
    assert precision_by(t, "bounce", "front") == (0, 0) and recall_by(t, "fast_lowering", "front")[0] == 0


def test_hand_labels_possible_and_unlisted_faults_are_neither():
    rep = true_rep(0.0, {"bounce": ("clear", None)}, dont_care={"knee_drive"}, absent={"torso_help"})
    t = Tally()
    clip = Scored(
        "real", "r", "all", "real", [rep], report(det(0.0, ("bounce", "knee_drive", "torso_help", "short_top")))
    )
    score(clip, t)
    assert precision_by(t, "bounce") == (1, 1)
    assert precision_by(t, "knee_drive") == (0, 0)  # labelled "possible"
    assert precision_by(t, "short_top") == (0, 0)  # not judged by the labeller
    assert precision_by(t, "torso_help") == (0, 1)  # checked absent
    assert t.clean_n.get("real", 0) == 0


def test_a_refused_clip_misses_every_fault():
    truth = [true_rep(0.0, {"hips_not_level": ("blatant", 20.0)})]
    t = Tally()
    score(Scored("renders", "c", "report", "front", truth, None, error="no person"), t)
    assert recall_by(t, "hips_not_level") == (0, 1, 0) and t.counts[0][2] is None


def test_smallest_reliable_grade():
    t = Tally()
    rows = [
        ("subtle", 1.5, [True, False, False]),
        ("moderate", 2.7, [True, True, True, True, False]),
        ("blatant", 4.5, [True, True, True]),
    ]
    for grade, size, hits in rows:
        for hit in hits:
            t.sizes.append(("bounce", "side", grade, size, hit))
            (t.tp if hit else t.fn)[("bounce", "side", grade)] += 1
    assert smallest_reliable(t, "bounce", "side", 1) == "moderate (2.7-2.7)"
    assert smallest_reliable(t, "bounce", "side", 1, level=0.9) == "blatant (4.5-4.5)"
    assert smallest_reliable(t, "bounce", "front", 1) == "-"


def test_bench_scores_a_few_synthetic_series_and_draws_the_curves(tmp_path, capsys):
    """bench/evaluate.py end to end on two landmark-level seeds: tables printed, curves drawn, figures saved."""
    import json

    import evaluate

    out = tmp_path / "figures.json"
    assert (
        evaluate.main(
            [
                "--sources",
                "synth",
                "--synth-seeds",
                "2",
                "--split",
                "report",
                "--plots",
                str(tmp_path),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "landmark-level synthetic series" in text and ": 55 clips" in text and "lowering" in text
    png = tmp_path / "detection_curves_report.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    figures = json.loads(out.read_text())["synth"]
    injected = sum(figures["tp"].values()) + sum(figures["fn"].values()) + sum(figures["na"].values())
    assert injected == 5 * 32  # 5 views x (11 faults x 3 grades - no blatant no_top_pause), one seed


def test_partial_hand_labels_leave_unlisted_reps_unjudged():
    rep = true_rep(0.0, absent={"bounce"})
    clip = Scored("real", "r", "all", "real", [rep], report(det(0.0, ("bounce",)), det(4.0, ("bounce",))), true_count=2)
    t = Tally()
    score(clip, t)
    assert precision_by(t, "bounce") == (0, 1) and t.neither[("bounce", "real")] == 1


@pytest.mark.parametrize("rise_unseen", [False, True])
def test_calibrate_flags_exactly_what_the_report_flags(rise_unseen):
    """bench/calibrate.py sweeps thresholds by re-running each rule on a rep's reported numbers: at the shipped
    settings it must flag what the analysis itself flagged (as a fault or as "look at this rep"), a last rep's
    estimated bottom pause included, and gate by confidence as the report does, also where one phase was seen
    worse than its rep (a torso_help rep's rise: "look at this rep" though the rep reads 0.85 seen)."""
    import calibrate
    from conftest import faults_side_unseen_rise

    from formcheck.core.analyze import analyze_series
    from formcheck.core.config import FaultConfig
    from formcheck.core.faults.rules import RULES
    from formcheck.core.report import analysis_to_dict
    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    if rise_unseen:
        series = faults_side_unseen_rise()
    else:
        series, _ = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=1)
    reps = analysis_to_dict(analyze_series(series))["reps"]
    doubtful = [r for r in reps if any(f["id"] == "torso_help" for f in r["uncertain"])]
    assert len(doubtful) == rise_unseen and all(r["tracking_quality"] >= 0.6 for r in doubtful)
    assert reps[-1]["bottom_pause_estimated"] and any(r["faults"] for r in reps)
    for rep in reps:
        reported = {f["id"] for f in rep["faults"] + rep["uncertain"]}
        assert {fid for fid in RULES if calibrate.flagged(fid, rep, FaultConfig())} == reported
    # given the numbers of the rep's view, only what the report counts as a fault (confidence gate included)
    peers = [calibrate.numbers_of(r) for r in reps]
    gated = [{fid for fid in RULES if calibrate.flagged(fid, rep, FaultConfig(), peers)} for rep in reps]
    assert gated == [{f["id"] for f in rep["faults"]} for rep in reps]


def test_calibrate_counts_false_flags_per_view_over_the_reps_that_check_the_fault():
    """A side-only fault's false flags are a share of the side view's reps, not diluted by the front view's reps
    (which never flag it); the worst view is held to the budget."""
    import calibrate

    from formcheck.core.config import FaultConfig

    def rep(knee, view, checked=True):
        vs = {"rise_vs_best": 1.0, "bottom_above_set": 0.0, "lowering_speed_vs_set": 1.0}
        return {
            "knee_flexion_range_deg": knee,
            "view": view,
            "not_checked": [] if checked else ["knee_drive"],
            "vs_set": vs,
            "tracking_quality": 1.0,
        }

    side = [("side", true_rep(0.0), rep(20.0 if k < 2 else 1.0, "side"), None) for k in range(100)]
    front = [("front", true_rep(0.0), rep(1.0, "front", checked=False), None) for _ in range(100)]
    knob = calibrate.Knob("knee_drive", (("max_knee_range_deg", np.array([10.0, 30.0])),))
    lines = calibrate.sweep(knob, side + front, FaultConfig(), max_false=0.015)
    assert "2/100 side (2.0 %)" in lines[2] and "max_knee_range_deg 30" in lines[-1]
    assert "1.0 %" not in "".join(lines)  # 2 of 200 would be the diluted share


def test_calibrate_keeps_the_shipped_setting_when_another_ties_with_it():
    """Knee bends of 20 deg on faulty reps and 1 deg on clean ones: every threshold from 5 to 15 deg finds and
    flags exactly the same reps, so the sweep keeps the shipped 5.5 instead of the grid's first value."""
    import calibrate

    from formcheck.core.config import FaultConfig

    def rep(knee):
        vs = {"rise_vs_best": 1.0, "bottom_above_set": 0.0, "lowering_speed_vs_set": 1.0}
        return {
            "knee_flexion_range_deg": knee,
            "view": "side",
            "not_checked": [],
            "vs_set": vs,
            "tracking_quality": 1.0,
        }

    faulty = [("side", true_rep(0.0, {"knee_drive": ("moderate", 20.0)}), rep(20.0), None) for _ in range(10)]
    clean = [("side", true_rep(0.0), rep(1.0), None) for _ in range(100)]
    blatant = [("side", true_rep(0.0, {"knee_drive": ("blatant", 20.0)}), rep(20.0), None) for _ in range(10)]
    for faults in (faulty, blatant):  # the moderate target met; no moderate faults, so not met (the other branch)
        for shipped in (5.5, 12.0):
            knob = calibrate.Knob("knee_drive", (("max_knee_range_deg", np.array([5.0, shipped, 15.0])),))
            lines = calibrate.sweep(knob, faults + clean, FaultConfig(max_knee_range_deg=shipped), max_false=0.015)
            assert f"max_knee_range_deg {shipped:.3g} " in lines[-1] and "chosen" in lines[-1]


def test_accuracy_reads_a_real_clip_folder_and_prints_each_clip(tmp_path, monkeypatch):
    """bench/accuracy.py's real-clip rows on a stand-in folder (a MANIFEST and landmarks from the synth): the rep
    count against the hand count, the tempo and faults line; ../shared itself is accepted for its videos/."""
    from types import SimpleNamespace

    import accuracy

    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "MANIFEST.md").write_text(
        "| file | what | view | fps | reps | good |\n|---|---|---|---|---|---|\n"
        "| clean.mp4 | a clean set | side | 30 | 6 | counts 6 |\n"
        "| feet.mp4 | feet only | - | 30 | not analyzable | - |\n"
    )
    (videos / "clean.mp4").write_bytes(b"")
    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=0)
    monkeypatch.setattr(accuracy, "landmarks", lambda video, cache, extract=None: SimpleNamespace(series=series))
    rows = "\n".join(accuracy.shared_rows(None, tmp_path))  # the folder holding videos/
    assert "clean.mp4" in rows and "reps       6 / 6      ok" in rows and "mean tempo con" in rows
    assert "feet.mp4" not in rows  # listed but not there: skipped
    assert "real clips skipped" in accuracy.shared_rows(None, tmp_path / "nothing")[0]


def labelled(t0: float, t_end: float | None, end_kind: str = "next_rep") -> dict:
    return {
        "t_start": t0,
        "t_top_start": t0 + 1,
        "t_top_end": t0 + 1.5,
        "t_bottom": t0 + 3,
        "t_end": t_end,
        "end_kind": end_kind,
    }


def test_two_labellings_pair_by_their_starts_and_a_last_rep_leaves_only_its_pause_unknown():
    from label_agreement import paired_reps

    first = {"clips": {"c.mp4": {"reps": [labelled(1.0, 5.1), labelled(5.1, 9.0, "clip_end")]}}}
    second = {"clips": {"c.mp4": {"reps": [labelled(1.2, 5.0), labelled(5.0, None, "clip_end"), labelled(20.0, None)]}}}
    pairs = paired_reps(first, second)["c.mp4"]
    assert [(a.t_start, b.t_start) for a, b in pairs] == [(1.0, 1.2), (5.1, 5.0)]  # the rep at 20 s: first has none
    last = pairs[1][1]
    assert last.phases["bottom_pause_s"] is None
    assert last.phases["concentric_s"] == pytest.approx(1.0) and last.phases["eccentric_s"] == pytest.approx(1.5)
    assert pairs[0][1].phases["bottom_pause_s"] == pytest.approx(5.0 - 4.2)


def test_the_second_labelling_is_well_formed():
    import json

    from label_agreement import SECOND

    keys = ("t_start", "t_top_start", "t_top_end", "t_bottom")
    for clip in json.loads(SECOND.read_text())["clips"].values():
        reps = clip["reps"]
        for r, nxt in zip(reps, reps[1:] + [None], strict=True):
            times = [r[k] for k in keys] + ([nxt["t_start"]] if nxt else [])
            assert times == sorted(times) and [r["frames"][k] for k in keys] == sorted(r["frames"][k] for k in keys)
            assert r["t_end"] == (nxt["t_start"] if nxt else None)
            assert (r["end_kind"] == "next_rep") if nxt else (r["end_kind"] in ("clip_end", "step_off"))
