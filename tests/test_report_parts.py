"""The report's building blocks: SVG primitives escape, charts show each rep's phases and faults,
landmark quality counts gaps, heel range text."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pytest

from formcheck.core.context.quality import landmark_quality
from formcheck.core.landmarks import INDEX
from formcheck.synth import make_series, preset
from formcheck.viz.html import heel_range_text, render_report_html, report_context
from formcheck.viz.labels import DOUBT_BELOW, why_doubtful
from formcheck.viz.live_view import LiveBanners
from formcheck.viz.plots import heel_plot, tempo_bars
from formcheck.viz.svg import pct, rect, stretched_polyline, text
from formcheck.viz.timeline import fault_banners


def rep(i: int, t0: float, rise: float, top: float, lower: float, bottom: float, faults=()) -> dict:
    ts = np.cumsum([t0, rise, top, lower, bottom])
    return {
        "index": i,
        "t_start": ts[0],
        "t_top_start": ts[1],
        "t_top_end": ts[2],
        "t_bottom": ts[3],
        "t_end": ts[4],
        "concentric_s": rise,
        "top_pause_s": top,
        "eccentric_s": lower,
        "bottom_pause_s": bottom,
        "bottom_pause_estimated": False,
        "faults": list(faults),
    }


REPS = [
    rep(1, 1.0, 0.8, 0.4, 1.6, 0.5),
    rep(2, 4.3, 0.8, 0.4, 0.4, 0.5, [{"id": "fast_lowering", "severity": "minor", "t_start": 5.5, "t_end": 5.9}]),
    rep(
        3,
        6.4,
        0.8,
        0.0,
        0.3,
        0.0,
        [
            {"id": "bounce", "severity": "major", "t_start": 7.2, "t_end": 7.8},
            {"id": "no_top_pause", "severity": "minor", "t_start": 7.0, "t_end": 7.4},
        ],
    ),
]


def test_svg_text_and_attributes_are_escaped():
    assert str(text(1, 2, "<script>&")) == '<text x="1" y="2">&lt;script&gt;&amp;</text>'
    assert "&#34;" in str(rect(pct(10), 0, pct(5), 3, tip='a "quote"')) and pct(12.5) == "12.5%"


def test_polyline_breaks_at_gaps():
    out = str(stretched_polyline([0, 0.5, 1, np.nan, 0.2, 0.3], [0, 1, 0.5, 1, 0, 0], 10, 100))
    assert out.count("<polyline") == 2 and "0.0,1000.0 500.0,0.0 1000.0,500.0" in out


def test_heel_plot_shades_every_phase_and_marks_every_fault():
    t = np.linspace(0, 9, 271)
    out = str(heel_plot(t, np.sin(t), REPS))
    shaded = re.findall(r'class="ph-(rise|top|lower|bottom)"', out)
    assert len(shaded) == 4 + 4 + 2  # rep 3 has no top pause and no bottom pause
    assert out.count('class="fault major"') == 1 and out.count('class="fault minor"') == 2
    assert out.count('class="rep-line"') == len(REPS) + 1
    assert "rep 3: bounce at the bottom" in out


def test_tempo_bars_mark_the_lowerings_the_fault_list_calls_too_fast_and_no_other():
    """Rep 2 carries fast_lowering (minor, under its 0.75 s limit): drawn fast, with a tick at 0.75 s. Rep 3's
    0.3 s lowering is quicker than its rise but carries no fast_lowering (a bounce here): not marked, as the
    chart must not say what the fault list does not. Rep 4's fast_lowering is uncertain: drawn as "look"."""
    fast = {"id": "fast_lowering", "severity": "minor", "threshold": 0.75, "confidence": 0.9}
    reps = [dict(r) for r in REPS] + [rep(4, 9.0, 0.8, 0.4, 0.7, 0.5)]
    reps[1]["faults"] = [fast]
    reps[3]["uncertain"] = [{**fast, "confidence": 0.5}]
    out = str(tempo_bars(reps))
    assert out.count("bar fast minor") == 1 and out.count("bar fast look") == 1 and out.count("bar fast") == 2
    assert "rep 2 lowering: 0.40 s - too fast" in out and "rep 4 lowering: 0.70 s - too fast?" in out
    ticks = re.findall(r'<line x1="([\d.]+)%"[^>]*class="should"', out)
    bars = re.findall(r'x="([\d.]+)%" y="[\d.]+" width="([\d.]+)%" height="\d+" class="ph-rise bar', out)
    x0, rise_w = float(bars[0][0]), float(bars[0][1])  # rep 1's rise: 0.8 s
    assert [float(x) for x in ticks] == pytest.approx([x0 + rise_w * 0.75 / 0.8] * 2, abs=0.02)
    out = str(tempo_bars(REPS))
    bars = re.findall(r'width="([\d.]+)%" height="\d+" class="ph-(\w+) bar', out)
    widths = {phase: float(w) for w, phase in bars[:4]}  # rep 1
    assert widths["lower"] == pytest.approx(2 * widths["rise"], rel=1e-3)  # rep 1: 1.6 s vs 0.8 s, one scale


def test_landmark_quality_counts_gaps_of_the_working_leg():
    series, _ = make_series(preset("clean_side"), view="side", seed=2)
    dt = float(np.median(np.diff(series.t)))
    vis = series.vis.copy()
    vis[100:130, INDEX["right_knee"]] = 0.05  # unseen for 30 frames
    xy = series.xy.copy()
    xy[200:202] = np.nan  # no pose for 2 frames: shorter than 0.1 s at 30 fps, not a gap
    q = landmark_quality(dataclasses.replace(series, vis=vis, xy=xy), "right")
    assert q["gaps"] == 1 and q["longest_gap_s"] == pytest.approx(30 * dt, abs=1e-6)
    assert q["detection_rate"] == pytest.approx(1 - 2 / len(series), abs=1e-4)
    assert q["leg_seen_frac"] == pytest.approx(1 - 32 / len(series), abs=1e-4)
    assert landmark_quality(series, "left")["gaps"] == 0
    with pytest.raises(ValueError, match="side must be"):
        landmark_quality(series, "both")


def test_heel_range_text_prefers_the_foot_angle():
    reps = [{"heel_range": {"foot_angle_deg": a, "shank_frac": 0.2}} for a in (20.0, 24.0, 30.0)]
    assert heel_range_text(reps) == "median 24 deg (20-30) foot angle"
    assert (
        heel_range_text([{"heel_range": {"shank_frac": s}} for s in (0.1, 0.3)])
        == "median 0.20 shank lengths (0.10-0.30)"
    )
    assert heel_range_text([]) is None


def test_reps_judged_on_fewer_faults_are_marked_in_the_table_and_the_page():
    """A clip cut from the front to the side: reps 1-2 (front) were not judged on the side-only faults."""
    from rich.console import Console

    from formcheck.core.report import partly_checked
    from formcheck.io.terminal import print_report
    from formcheck.viz.html import render_report_html, report_context

    side_only = ["shallow_bottom", "no_top_pause", "torso_help", "knee_drive"]
    reps = [
        dict(r, view=v, not_checked=nc)
        for r, v, nc in zip(REPS, ("front", "front", "side"), (side_only, side_only, []))
    ]
    data = {
        "input": {
            "path": "cut.mp4",
            "kind": "video",
            "sha256": "0" * 64,
            "rotation": 0,
            "codec": "h264",
            "duration_s": 9.0,
            "fps": 30.0,
            "frames": 270,
            "width": 540,
            "height": 960,
        },
        "rep_count": 3,
        "reps": reps,
        "side": "right",
        "views": [{"view": "front", "t_start": 0.0, "t_end": 6.0}, {"view": "side", "t_start": 6.0, "t_end": 9.0}],
        "faults_not_checked": [],
        "summary": {},
        "warnings": [],
        "versions": {"formcheck": "0", "mediapipe": "0", "model_sha256": "0"},
    }
    assert partly_checked(data) == {1: ("front", side_only), 2: ("front", side_only)}  # the side rep: all judged
    console = Console(width=300, record=True, color_system=None)
    print_report(data, console=console)
    text = console.export_text()
    row1 = next(line for line in text.splitlines() if line.startswith("│   1 "))
    assert "ok*" in row1
    assert "* reps 1, 2 (front view): shallow_bottom, no_top_pause, torso_help, knee_drive not checked" in text
    assert "rep 3 (side view)" not in text
    page = render_report_html(report_context(data, np.linspace(0, 9, 50), np.zeros(50)))
    notes = re.findall(r'<span class="unchecked">([^<]*)</span>', page)
    assert len(notes) == 2 and notes[0].startswith("* Not checked on this rep (front view): ")
    assert "clean*" in page and "knee" in notes[1]
    # a clip seen from one view only: nothing marked
    plain = {**data, "reps": [dict(r, not_checked=side_only) for r in reps]}
    assert (
        partly_checked(plain) == {}
        and "unchecked"
        not in render_report_html(report_context(plain, np.linspace(0, 9, 50), np.zeros(50)))
        .split("<h2>Reps</h2>")[1]
        .split("</table>")[0]
    )


def test_report_json_text_is_json_text_even_for_exponent_floats():
    """orjson writes 1e16 / 1e-5 where json writes 1e+16 / 1e-05 (found by the core fuzzer)."""
    import json

    from formcheck.io.report_files import report_json_text

    for report in ({"a": 1.020919297e18, "b": [1e16, 1e-5, 0.25], "c": "né"}, {"a": 1.5, "b": None}):
        assert report_json_text(report) == json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def test_the_terminal_table_shows_every_fault_id_whole_in_80_columns():
    """Four ids on one rep (the longest, free_leg_assist, twice: a fault and a doubtful one) are printed whole, one
    per line, in an 80-column terminal (they were cut to 'fast_low…' when joined on one line)."""
    from rich.console import Console

    from formcheck.io.terminal import rep_table

    ids = ["fast_lowering", "knee_drive", "free_leg_assist"]
    rep = {
        "index": 12,
        "t_start": 11.0,
        "concentric_s": 0.5,
        "top_pause_s": 0.1,
        "eccentric_s": 0.4,
        "bottom_pause_s": 0.1,
        "bottom_pause_estimated": True,
        "faults": [{"id": i, "severity": "minor"} for i in ids],
        "uncertain": [{"id": "free_leg_assist", "confidence": 0.5}],
        "heel_range": {"foot_angle_deg": 22.0},
        "view": "side",
        "not_checked": [],
    }
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(rep_table({"rep_count": 1, "reps": [rep], "views": [], "faults_not_checked": []}))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert all(f" {i} " in text for i in ids) and " free_leg_assist? " in text


def test_the_terminal_names_what_was_not_checked_in_one_line_and_explains_the_marks():
    """The reasons a fault was not checked are paragraphs (in report.html and report.json); the terminal names the
    faults in one line, so the result is not buried. The '?' mark is explained when a rep carries one."""
    from rich.console import Console

    from formcheck.io.terminal import print_report

    long = "MediaPipe shows the ankle rolling inward at only about 20 % of its real size, inside the noise"
    data = {
        "rep_count": 2,
        "reps": [dict(REPS[0], uncertain=[{"id": "no_top_pause", "confidence": 0.55}]), REPS[1]],
        "side": "right",
        "views": [{"view": "side", "t_start": 0.0, "t_end": 9.0}],
        "faults_not_checked": [{"id": "arch_collapse", "reason": long}, {"id": "roll_out", "reason": long + "."}],
        "warnings": [],
    }
    console = Console(width=200, record=True, color_system=None)
    print_report(data, console=console)
    text = console.export_text()
    assert [line for line in text.splitlines() if "not checked" in line] == [
        "not checked: arch_collapse, roll_out (why: report.html, or faults_not_checked in report.json)"
    ]
    assert "20 %" not in text
    assert "fault? = too unsure to call (close to its threshold, or the leg not clearly seen)" in text
    assert "look at this rep: no_top_pause is too unsure to call: it was measured close to its threshold" in text
    console = Console(width=200, record=True, color_system=None)
    print_report({**data, "reps": [REPS[0]]}, console=console)
    assert "fault? =" not in console.export_text()


def test_a_clip_without_reps_says_so_and_not_zero_clean_reps_of_zero():
    from rich.console import Console

    from formcheck.io.terminal import print_report

    why = "no calf raise found: the working foot never stood still for 2 s (walking or stepping?)"
    data = {"rep_count": 0, "reps": [], "side": "right", "views": [], "summary": {"clean_reps": 0, "reps": 0}}
    for warnings, said in (([why], "no reps found: the warnings below say why"), ([], "no reps found")):
        console = Console(width=200, record=True, color_system=None)
        print_report({**data, "warnings": warnings}, console=console)
        lines = console.export_text().splitlines()
        assert said in lines and "clean reps" not in " ".join(lines)
        assert (f"warning: {why}" in lines) == bool(warnings)
    console = Console(width=200, record=True, color_system=None)
    print_report({**data, "rep_count": 1, "reps": [REPS[0]], "summary": {"clean_reps": 1, "reps": 1}}, console=console)
    assert "clean reps: 1 of 1" in console.export_text().splitlines()


def test_the_tempo_charts_tick_stays_inside_it_when_every_bar_is_shorter_than_the_limit():
    """A rushed set: every rep shorter than the 0.75 s a lowering should take; the ticks stay inside the chart."""
    fast = {"id": "fast_lowering", "severity": "major", "threshold": 0.75, "confidence": 0.9}
    reps = [dict(rep(i, 1.0 + i, 0.3, 0.05, 0.25, 0.05), faults=[fast]) for i in (1, 2)]
    out = str(tempo_bars(reps))
    ticks = [float(x) for x in re.findall(r'<line x1="([\d.]+)%"[^>]*class="should"', out)]
    assert len(ticks) == 2 and all(0 < x <= 100 for x in ticks)


@pytest.mark.parametrize(
    "confidence, seen, why",
    [
        (0.55, 1.0, ["close to its threshold"]),  # the margin alone
        (0.38, 0.38, ["seen in only 38%"]),  # the tracking alone: a margin beyond doubt
        (0.30, 0.50, ["seen in only 50%", "close to its threshold"]),  # both under the square root of the gate
        (0.55, 0.70, ["seen in only 70%"]),  # its margin's probability 0.79: not the reason
        (0.55, None, ["close to its threshold"]),  # a report from before `seen`
        (0.0, 0.0, ["seen in only 0%"]),  # never seen: nothing is known of its margin
    ],
)
def test_a_doubtful_fault_says_why(confidence, seen, why):
    fault = {"id": "knee_drive", "confidence": confidence} | ({} if seen is None else {"seen": seen})
    text = why_doubtful(fault)
    assert all(w in text for w in why)
    assert text.count(" and ") == len(why) - 1  # nothing else named
    assert DOUBT_BELOW**2 == pytest.approx(0.6)


def test_the_page_says_why_a_rep_is_to_look_at():
    doubtful = {"id": "knee_drive", "confidence": 0.38, "seen": 0.38}
    clip = {
        "path": "set.mp4",
        "sha256": "0",
        "duration_s": 9.0,
        "fps": 30.0,
        "frames": 270,
        "width": 540,
        "height": 960,
    }
    data = {
        "input": clip,
        "versions": {"formcheck": "0", "mediapipe": "0"},
        "rep_count": 2,
        "reps": [dict(REPS[0], uncertain=[doubtful]), REPS[1]],
    }
    page = render_report_html(report_context(data, np.zeros(0), np.zeros(0)))
    note = re.search(r'<span class="look-note">(.*?)</span>', page).group(1)
    assert "knee driving the rise, too unsure to call" in note
    assert 'title="knee_drive: too unsure to call: the working leg was clearly seen in only 38%' in page
    assert "clearly seen in only 38% of the frames it was measured on" in note
    assert "close to its threshold" not in note


def test_the_video_and_live_banners_of_a_doubtful_fault_say_when_the_leg_was_unclear():
    unclear = {"id": "knee_drive", "confidence": 0.38, "seen": 0.38, "t_start": 1.0, "t_end": 1.8}
    close = dict(unclear, confidence=0.55, seen=1.0)
    banners = fault_banners([dict(REPS[0], uncertain=[unclear]), dict(REPS[1], uncertain=[close])])
    texts = [b.text for b in banners if b.severity == "look"]
    assert texts == ["Rep 1: look - knee driving the rise? (leg unclear)", "Rep 2: look - knee driving the rise?"]
    live = LiveBanners()
    live.add({**unclear, "severity": "look"}, 1.0, rep=3)
    assert live.active(1.1) == (("Rep 3: look - knee driving the rise? (leg unclear)", "look"),)
