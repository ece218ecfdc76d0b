"""Per-frame overlay states from an analysed synthetic set, against the set's exact truth."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.api import analyze
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset
from formcheck.viz.timeline import BANNER_MIN_S, StateTimeline, fault_banners, key_frames, view_hint


@pytest.fixture(scope="module")
def faults_set():
    series, truth = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    report = analyze(series)
    data = report.to_dict()
    return report, data, truth, StateTimeline.from_report(report, data)


def frame_at(report, t: float) -> int:
    return int(report.series.frame[np.searchsorted(report.series.t, t)])


def test_rep_counter_counts_finished_reps(faults_set):
    report, data, truth, tl = faults_set
    counts = [tl.state_at(i).reps for i in range(len(tl))]
    assert counts[0] == 0 and counts[-1] == data["rep_count"] == truth.n_reps
    assert all(b >= a for a, b in zip(counts, counts[1:]))
    for k, rep in enumerate(truth.reps):  # 0.3 s after each true return to the bottom, k + 1 reps are done
        assert tl.state_at(frame_at(report, rep.t_bottom + 0.3)).reps == k + 1
        assert tl.state_at(frame_at(report, rep.t_top_start)).reps == k


def test_phase_follows_the_true_phases_and_the_timer_the_reported_ones(faults_set):
    report, data, truth, tl = faults_set
    keys = ("t_start", "t_top_start", "t_top_end", "t_bottom")
    for rep, got in zip(truth.reps, data["reps"]):
        for phase, k in zip(("rise", "top", "lower"), range(3)):
            a, b = getattr(rep, keys[k]), getattr(rep, keys[k + 1])
            if b - a < 0.3:
                continue
            i = frame_at(report, (a + b) / 2)
            state = tl.state_at(i)
            assert state.phase == phase, (rep.index, phase, state)
            assert state.phase_s == pytest.approx(report.series.t[i] - got[keys[k]], abs=1e-3)
    assert tl.state_at(0).phase is None and tl.state_at(len(tl) - 1).phase is None  # flat stands before and after


def test_gauge_is_zero_at_the_bottom_and_one_at_the_top(faults_set):
    report, _, truth, tl = faults_set
    clean = [r for r in truth.reps if not r.faults]
    tops = [tl.state_at(frame_at(report, (r.t_top_start + r.t_top_end) / 2)).gauge for r in clean]
    bottoms = [tl.state_at(frame_at(report, (r.t_bottom + r.t_end) / 2)).gauge for r in clean]
    assert min(tops) > 0.8 and max(bottoms) < 0.2
    short = next(r for r in truth.reps if "short_top" in r.faults)  # 40 % of the height
    assert tl.state_at(frame_at(report, (short.t_top_start + short.t_top_end) / 2)).gauge < 0.7


def test_fault_banners_show_on_faulty_reps_and_not_on_clean_ones(faults_set):
    report, data, truth, tl = faults_set
    detected = {r["index"]: {f["id"] for f in r["faults"]} for r in data["reps"]}
    for k, rep in enumerate(truth.reps):
        frames = range(frame_at(report, rep.t_start), frame_at(report, rep.t_end + BANNER_MIN_S))
        texts = {text for i in frames for text, _ in tl.state_at(i).faults}
        if set(rep.faults) & detected[k + 1]:
            assert any(t.startswith(f"Rep {k + 1}:") for t in texts), (k + 1, texts)
        if not rep.faults:  # clean rep: nothing of its own, and no banner during its lowering
            assert not any(t.startswith(f"Rep {k + 1}:") for t in texts)
            assert tl.state_at(frame_at(report, (rep.t_top_end + rep.t_bottom) / 2)).faults == ()


def test_banners_stay_up_long_enough_to_read():
    reps = [
        {"index": 1, "faults": [{"id": "bounce", "severity": "major", "t_start": 5.0, "t_end": 5.2}]},
        {"index": 2, "faults": [{"id": "torso_help", "severity": "minor", "t_start": 7.0, "t_end": 9.0}]},
    ]
    b = fault_banners(reps)
    assert [(x.t_from, x.t_to, x.severity) for x in b] == [(5.0, 5.0 + BANNER_MIN_S, "major"), (7.0, 9.0, "minor")]
    assert b[0].text.startswith("Rep 1: bounce")


def test_tempo_cue_on_the_faulty_phase(faults_set):
    report, data, truth, tl = faults_set
    rep = next(r for r in data["reps"] if any(f["id"] == "fast_lowering" for f in r["faults"]))
    state = tl.state_at(frame_at(report, (rep["t_top_end"] + rep["t_bottom"]) / 2))
    assert state.phase == "lower" and state.tempo_cue == "slower"
    clean = next(r for r in data["reps"] if not r["faults"])
    assert tl.state_at(frame_at(report, (clean["t_top_end"] + clean["t_bottom"]) / 2)).tempo_cue is None


def test_hints_name_what_the_view_cannot_check(faults_set):
    _, _, _, tl = faults_set
    assert tl.state_at(300).hints == ()  # side-on, every checked fault can be seen
    assert view_hint("side") == ""
    assert "depth" in view_hint("front") and "top pause" in view_hint("front") and "hip level" not in view_hint("front")


def test_hints_for_a_missing_pose():
    n = 10
    leg = np.full((n, 5, 2), 5.0)
    leg[3:6] = np.nan
    found = np.ones(n, bool)
    found[3:5] = False
    leg[5, 1] = 5.0  # the knee only
    tl = StateTimeline(np.arange(n), np.arange(n) / 30, leg, found, np.full(n, np.nan), [], [])
    assert tl.state_at(0).hints == () and tl.state_at(0).leg is not None
    assert tl.state_at(3).hints[0].startswith("no person found") and tl.state_at(3).leg is None
    assert tl.state_at(5).hints[0].startswith("working leg not fully visible")
    assert tl.state_at(99).leg == tl.state_at(9).leg  # past the end: the last row


def test_key_frames_pick_the_highest_and_lowest_heel(faults_set):
    report, data, truth, tl = faults_set
    frames = key_frames(report.series.frame, report.analysis.t, report.analysis.h, data["reps"])
    assert sorted(frames) == [r["index"] for r in data["reps"]]
    for rep in data["reps"]:
        top, bottom = frames[rep["index"]]["top"], frames[rep["index"]]["bottom"]
        assert rep["t_top_start"] - 0.05 <= report.series.t[top] <= rep["t_top_end"] + 0.05
        assert rep["t_bottom"] - 0.05 <= report.series.t[bottom] <= rep["t_end"] + 0.05
        assert tl.state_at(top).gauge > tl.state_at(bottom).gauge
