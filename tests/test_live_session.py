"""`formcheck live`: the live path on the sample videos against `analyze`, recording that survives a
kill, the window and its keys (under Xvfb), frames dropped instead of lagging, camera errors."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.errors import CameraError
from formcheck.io.landmarks_csv import load_landmarks_csv
from formcheck.io.live_source import LatestFrames
from formcheck.io.recorder import load_events
from formcheck.io.video import Frame
from formcheck.live_session import LiveOptions, run_live
from formcheck.synth import load_truth

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_videos"
PHASES = ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s")


def golden_csv(name: str, folder: Path) -> Path:
    """The pose model's landmarks of a sample video, stored by tools/make_golden_landmarks.py, as a CSV."""
    from conftest import golden_series

    from formcheck.io.landmarks_csv import save_landmarks_csv

    return save_landmarks_csv(golden_series(name), folder / f"{name}.csv")


@pytest.fixture(scope="module", params=["clean_side", "faults_side", "front_faults", "step_on_off"])
def live_run(request, tmp_path_factory):
    """`formcheck live --source VIDEO --no-window` on clean_side (the pose model on every frame, as a camera
    session would run); the other sample videos replay their stored landmarks through the same live path
    (tests/golden: the model's output on them), which saves ~40 s of pose estimation each."""
    name = request.param
    out = tmp_path_factory.mktemp(f"live_{name}")
    source = SAMPLES / f"{name}.mp4" if name == "clean_side" else golden_csv(name, out)
    result = run_live(LiveOptions(source=str(source), window=False, out_dir=str(out / "session")))
    return name, result


def test_the_live_path_counts_like_analyze_on_every_sample_video(live_run):
    """Live reps (counted frame by frame, timed by the live tracker) against the batch analysis of the
    same landmarks, which is `formcheck analyze` of the video (see the next test), and the truth."""
    name, result = live_run
    truth = load_truth(SAMPLES / f"{name}.truth.json")
    report = json.loads((result.out_dir / "report.json").read_text())
    assert len(result.reps) == report["rep_count"] == truth.n_reps
    for live, rep in zip(result.reps, report["reps"]):
        for key in PHASES:
            assert live[key] == pytest.approx(rep[key], abs=0.15), (name, live["index"], key)
    assert report["live"]["live_reps"] == truth.n_reps and report["live"]["frames_dropped"] == 0
    assert report["live"]["frames_processed"] == report["input"]["frames"] == len(truth.t)
    lat = report["live"]["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["max"]
    for rec in load_events(result.out_dir / "live.jsonl"):  # the reps as they were counted during the set
        if rec["event"] == "rep_counted":
            rep = truth.reps[rec["rep"]["index"] - 1]
            assert rep.t_top_end - 0.1 <= rec["t"] <= rep.t_end, (name, rec)


def test_live_records_the_landmarks_analyze_extracts(live_run, clean_side_report):
    name, result = live_run
    if name != "clean_side":
        pytest.skip("compared on clean_side, which the end-to-end analyze test extracts anyway")
    live = load_landmarks_csv(result.out_dir / "landmarks.csv")
    batch = load_landmarks_csv(clean_side_report["out"] / "landmarks.csv")
    np.testing.assert_array_equal(live.t, batch.t)
    np.testing.assert_allclose(live.xy, batch.xy, atol=1e-3, equal_nan=True)
    assert live.refined is not None and np.isfinite(live.refined).mean() > 0.9  # the feet refined, frame by frame
    np.testing.assert_allclose(live.refined, batch.refined, atol=0.05, equal_nan=True)
    stats = json.loads((result.out_dir / "report.json").read_text())["live"]
    refinement = stats["stages_ms"]["refinement"]
    assert 0 < refinement["p50"] <= refinement["p95"] < stats["latency_ms"]["p95"]


def test_a_killed_session_keeps_what_it_recorded(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "formcheck",
            "live",
            "--source",
            str(SAMPLES / "clean_side.mp4"),
            "--no-window",
            "--record",
            "-o",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and _rows(out / "landmarks.csv") < 320 and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    series = load_landmarks_csv(out / "landmarks.csv")  # whole rows only: it loads
    assert len(series) >= 320 and series.found.mean() > 0.95
    events = load_events(out / "live.jsonl")
    counted = [e for e in events if e["event"] == "rep_counted"]
    truth = load_truth(SAMPLES / "clean_side.truth.json")
    assert 1 <= len(counted) and all(e["t"] <= series.t[-1] for e in counted)
    assert len(counted) == sum(1 for r in truth.reps if r.t_bottom <= series.t[-1] - 0.3) or len(counted) == sum(
        1 for r in truth.reps if r.t_bottom <= series.t[-1] + 0.3
    )
    assert not (out / "report.json").exists()  # the kill came before the end
    assert main(["analyze", str(out / "landmarks.csv"), "-o", str(tmp_path / "after"), "--quiet"]) == 0
    report = json.loads((tmp_path / "after" / "report.json").read_text())
    assert len(counted) <= report["rep_count"] <= len(counted) + 1
    raw = out / "raw.mkv"
    time.sleep(1.0)  # ffmpeg, a process of its own, finishes the file once our end of its pipe closes
    assert _frames(raw) >= 0.8 * len(series)


def _rows(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            return max(sum(1 for _ in fh) - 1, 0)
    except FileNotFoundError:
        return 0


def _frames(path: Path) -> int:
    import cv2

    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


class _SlowSource:
    """Frames at 30 fps; the consumer takes 70 ms per frame, so about half must be dropped."""

    def __iter__(self):
        for i in range(45):
            yield Frame(i, i / 30, np.zeros((8, 8, 3), np.uint8))


def test_frames_are_dropped_not_queued_when_processing_is_slow():
    frames = LatestFrames(_SlowSource(), pace=True)
    taken, lags = [], []
    for f in frames:
        lags.append(time.perf_counter() - f.available)
        taken.append(f.index)
        time.sleep(0.07)
    frames.close()
    assert frames.read == 45 and frames.dropped == 45 - len(taken) and frames.dropped >= 15
    assert taken == sorted(taken) and taken[-1] == 44  # always the newest, never behind
    assert max(lags) < 0.05  # a frame handed out waited at most one frame interval


def test_live_runs_the_pose_model_at_the_frame_rate_analyze_does(tmp_path):
    """A 60 fps clip: live keeps every 2nd frame by its timestamp (the frames analyze keeps) and records raw.mkv
    at 30 fps; --max-fps 0 keeps every frame. Frames skipped by the cap are neither read nor dropped."""
    import cv2
    from conftest import write_clip

    clip = write_clip(tmp_path / "c60.mp4", 12, 60.0)
    capped = run_live(LiveOptions(source=str(clip), window=False, record=True, out_dir=str(tmp_path / "capped")))
    assert (capped.stats.frames_read, capped.stats.frames_processed, capped.stats.frames_dropped) == (6, 6, 0)
    assert load_landmarks_csv(capped.out_dir / "landmarks.csv").frame.tolist() == [0, 2, 4, 6, 8, 10]
    raw = cv2.VideoCapture(str(capped.out_dir / "raw.mkv"))
    assert raw.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
    raw.release()
    every = run_live(LiveOptions(source=str(clip), window=False, max_fps=None, out_dir=str(tmp_path / "every")))
    assert every.stats.frames_processed == 12
    start = next(e for e in load_events(every.out_dir / "live.jsonl") if e["event"] == "start")
    assert start["fps"] == pytest.approx(60.0) and start["max_fps"] is None


def test_raw_video_keeps_the_sessions_pace_when_frames_are_dropped(tmp_path):
    """raw.mkv runs at a fixed rate: a gap left by dropped frames is filled with the last picture, a frame early
    for its slot is left out, so frame k of the video is the session at k / fps seconds."""
    import cv2
    from conftest import numbered_frame

    from formcheck.io.recorder import SessionRecorder

    rec = SessionRecorder(tmp_path, 160, 120, 30.0, video=True)
    for i, slot in ((0, 0), (1, 1), (4, 4), (5, 4.4), (6, 6)):  # slots 2, 3 and 5 dropped; frame 5 came early
        rec.video_frame(numbered_frame(i, 160, 120), slot / 30.0)
    rec.close()
    cap = cv2.VideoCapture(str(tmp_path / "raw.mkv"))
    shown = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        shown.append(int(round(float(image[:, 100:].mean()) / 8)))  # numbered_frame's brightness: 8 per index
    cap.release()
    assert shown == [0, 1, 1, 1, 4, 4, 6]


@pytest.mark.parametrize(
    "fps, cap, analyzed",
    [
        (60, 30, 30),
        (50, 30, 25),
        (30, 30, 30),
        (33, 30, 33),
        (240, 30, 30),
        (25, 30, 25),
        (60, None, 60),
        (100, 30, 100 / 3),
        (35, 30, 17.5),
    ],
)
def test_the_analyzed_frame_rate_is_the_one_keep_at_most_keeps(fps, cap, analyzed):
    from formcheck.io.extract import analyzed_fps, keep_at_most

    assert analyzed_fps(fps, cap) == pytest.approx(analyzed)
    keep = keep_at_most(cap) or (lambda t: True)
    kept = sum(keep(i / fps) for i in range(int(fps) * 4))
    assert kept / 4 == pytest.approx(analyzed, abs=0.5)


def test_a_missing_camera_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(CameraError, match="camera #9 was not found"):
        run_live(LiveOptions(camera=9, window=False, out_dir=str(tmp_path)))
    assert main(["live", "--camera", "9", "--no-window", "-o", str(tmp_path)]) == 5
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "camera #9" in err[0]


@pytest.fixture(scope="module")
def replay_csv(tmp_path_factory) -> Path:
    """A recorded clean_side session as a landmarks CSV (synthetic, exact): replays without the model."""
    from formcheck.io.landmarks_csv import save_landmarks_csv
    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    series, _ = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=21)
    return save_landmarks_csv(series, tmp_path_factory.mktemp("replay") / "set.csv")


def test_a_landmarks_csv_replays_through_the_live_path(replay_csv, tmp_path):
    result = run_live(LiveOptions(source=str(replay_csv), window=False, out_dir=str(tmp_path)))
    assert len(result.reps) == result.analysis.data["rep_count"] == 6


def test_the_live_section_says_which_leg_live_measured_and_warns_when_the_report_read_the_other(replay_csv, tmp_path):
    """report.json's live section names the leg live measured; when the full analysis of the recording reads the
    other leg (live decides in the first second of the first stance), the report warns and says how to fix it."""
    from formcheck.live_session import analyze_session

    opts = LiveOptions(source=str(replay_csv), window=False, out_dir=str(tmp_path))
    result = run_live(opts)
    data = result.analysis.data
    assert data["live"]["side"] == data["side"] == "right"
    assert {r["side"] for r in data["live"]["reps"]} == {"right"}
    assert not [w for w in data["warnings"] if "live measured" in w]
    other = dataclasses.replace(result, side="left", analysis=None)
    again = analyze_session(other, opts).data
    assert again["live"]["side"] == "left"
    assert [w for w in again["warnings"] if "live measured the left leg" in w and "--side right" in w]
    assert json.loads((tmp_path / "report.json").read_text())["live"]["side"] == "left"


@pytest.fixture
def xvfb(monkeypatch):
    """A virtual screen for the window tests (Debian's xvfb; .ci/run installs it)."""
    exe = shutil.which("Xvfb")
    if exe is None:
        if os.environ.get("FORMCHECK_REQUIRE_DISPLAY") == "1":
            pytest.fail("FORMCHECK_REQUIRE_DISPLAY=1 but Xvfb is missing: apt-get install -y xvfb xdotool")
        pytest.skip("no Xvfb: apt-get install -y xvfb xdotool")
    display = f":{90 + os.getpid() % 50}"
    proc = subprocess.Popen(
        [exe, display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    monkeypatch.setenv("DISPLAY", display)
    yield display
    proc.terminate()
    proc.wait(timeout=10)


def test_window_keys_pause_switch_side_reset_and_quit(xvfb, replay_csv, tmp_path, monkeypatch):
    """The real window (OpenCV HighGUI on the virtual screen); the keys come from a script."""
    import cv2

    from formcheck.io.display import Window

    script = {200: ord(" "), 201: -1, 202: ord(" "), 260: ord("s"), 330: ord("r"), 420: ord("q")}
    calls = {"n": 0}
    real = cv2.waitKey

    def scripted(ms: int) -> int:
        real(1)
        calls["n"] += 1
        return script.get(calls["n"], -1)

    monkeypatch.setattr(cv2, "waitKey", scripted)
    result = run_live(LiveOptions(source=str(replay_csv), out_dir=str(tmp_path)), window=Window())
    keys = [e["action"] for e in load_events(tmp_path / "live.jsonl") if e["event"] == "key"]
    assert keys == ["pause", "pause", "side", "reset", "quit"]
    assert len(result.stats.latency_ms) == 420 - 2  # frames shown: two calls were the pause, showing none
    # the analysis runs beside the window: it may have finished the next frame or two when q came
    assert 420 - 2 <= result.stats.frames_processed <= 420
    sides = [e["text"] for e in load_events(tmp_path / "live.jsonl") if e["event"] == "side"]
    assert len(sides) >= 2 and sides[1] != sides[0]  # s switched the working leg


def test_q_in_the_real_window_ends_the_session(xvfb, replay_csv, tmp_path):
    """A key typed into the window (xdotool) of a session running in its own process."""
    if shutil.which("xdotool") is None:
        if os.environ.get("FORMCHECK_REQUIRE_DISPLAY") == "1":
            pytest.fail("FORMCHECK_REQUIRE_DISPLAY=1 but xdotool is missing: apt-get install -y xdotool")
        pytest.skip("no xdotool: apt-get install -y xdotool")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "live", "--source", str(replay_csv), "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while _rows(out / "landmarks.csv") < 120 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        found = subprocess.run(["xdotool", "search", "--name", "formcheck live"], capture_output=True, text=True)
        assert proc.poll() is None and found.stdout.strip(), "the live window did not appear"
        subprocess.run(["xdotool", "windowfocus", "--sync", found.stdout.split()[0], "key", "q"], check=True)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err.decode()[-2000:]
    keys = [e.get("action") for e in load_events(out / "live.jsonl") if e["event"] == "key"]
    assert keys == ["quit"]
    rows = _rows(out / "landmarks.csv")
    assert 120 <= rows < 700  # the replay has 738 frames: q ended it early
    assert json.loads((out / "report.json").read_text())["live"]["frames_processed"] == rows


@pytest.mark.parametrize(
    "args, message",
    [
        (["--realtime"], "--realtime paces a file"),
        (["--source", "x.csv", "--people", "7"], "--people must be 1 to 4"),
        (["--source", "x.csv", "--max-seconds", "0"], "--max-seconds must be a positive"),
        (["--source", "nowhere.mp4", "--no-window"], "not found"),
    ],
)
def test_bad_live_options_are_one_line_errors(args, message, tmp_path, capsys):
    assert main(["live", *args, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_no_screen_for_the_window_is_a_clear_error(tmp_path, replay_csv, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["live", "--source", str(replay_csv), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--no-window" in err and "Traceback" not in err


def test_live_save_stores_the_session_in_the_history(replay_csv, tmp_path, capsys):
    from formcheck.history import load_sets

    db = tmp_path / "h.sqlite"
    assert (
        main(
            [
                "live",
                "--source",
                str(replay_csv),
                "--no-window",
                "-o",
                str(tmp_path / "s"),
                "--save",
                "--athlete",
                "ana",
                "--history",
                str(db),
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    [saved] = load_sets(db)
    assert (saved.athlete, saved.rep_count) == ("ana", report["rep_count"]) and report["rep_count"] == 6
    assert report["live"]["live_reps"] == 6


def test_a_sets_last_rep_puts_its_faults_on_a_banner_when_the_set_ends(tmp_path, monkeypatch):
    """The set ends with its no_top_pause rep (faults_side cut 1 s after it): that fault is judged only when the
    set ends (no next rise), and it is put on a banner then, once, with its rep's number; the reps timed again at
    the end get nothing twice. (Banners of a set's final timing were all left out, the last rep's with them.
    Here the set ends as the session closes, so no later frame draws it; a set that ends by stepping off is
    stamped at the stance's end, about 0.5 s before the frame that finds it, and the banner holds 1.5 s.)"""
    import formcheck.live_session as live_session
    from formcheck.io.landmarks_csv import save_landmarks_csv
    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    series, truth = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    last = truth.reps[6]
    assert last.faults == ("no_top_pause",)
    csv = save_landmarks_csv(series.slice(0, int(np.searchsorted(series.t, last.t_end + 1.0))), tmp_path / "set.csv")
    shown = []
    real = live_session.LiveBanners.add

    def spy(self, fault, now, rep=None):
        shown.append((rep, fault["id"], fault.get("severity")))
        return real(self, fault, now, rep)

    monkeypatch.setattr(live_session.LiveBanners, "add", spy)
    result = run_live(LiveOptions(source=str(csv), window=False, out_dir=str(tmp_path / "session")))
    assert len(result.reps) == 7 and [f["id"] for f in result.reps[-1]["faults"]] == ["no_top_pause"]
    assert shown.count((7, "no_top_pause", "minor")) + shown.count((7, "no_top_pause", "major")) == 1
    numbered = [s for s in shown if s[0] is not None]
    assert len(numbered) == len(set(numbered))  # nothing shown twice for a rep
    for rep in result.reps:  # every fault of every rep was on screen: warned as it happened, or when timed
        for f in rep["faults"]:
            early = f["id"] in {w["id"] for w in rep["live_warnings"]}
            assert early or any(s[:2] == (rep["index"], f["id"]) for s in shown), (rep["index"], f["id"])


def test_the_leg_live_measured_is_the_one_most_of_its_reps_were_counted_on():
    """Live decides the leg as each stance starts and forgets it when the foot steps away: the live section names
    the leg of most reps counted (a session ending after a step off the step has no leg decided at its end)."""
    from formcheck.live_session import live_side

    assert live_side([]) is None
    assert live_side([{"side": "left"}, {"side": "right"}, {"side": "left"}]) == "left"
    assert live_side([{"side": None}, {"side": "right"}]) == "right"


def test_a_session_ending_after_a_step_off_still_names_the_leg(tmp_path):
    """step_on_off cut just after the person steps off the step: the tracker has no leg any more, the reps do."""
    from formcheck.io.landmarks_csv import save_landmarks_csv
    from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

    series, truth = make_series(preset("step_on_off"), view="side", corruption=MEDIAPIPE_LIKE, seed=4)
    cut = series.slice(0, int(np.searchsorted(series.t, truth.step_off[1] + 0.15)))
    result = run_live(
        LiveOptions(
            source=str(save_landmarks_csv(cut, tmp_path / "set.csv")), window=False, out_dir=str(tmp_path / "s")
        )
    )
    assert len(result.reps) == truth.n_reps and result.side == truth.side
    assert result.analysis.data["live"]["side"] == truth.side
