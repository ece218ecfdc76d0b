"""The live frame pipeline (formcheck.live_loop) with made-up stage costs: a slow window never makes the
camera drop frames, a slow analysis does, the overlay is drawn on the newest analyzed frame, a file played
as fast as possible shows every frame in order, and errors, pauses and stops reach the caller."""

from __future__ import annotations

import time

import numpy as np
import pytest

from formcheck.io.live_source import LatestFrames, SyncFrames
from formcheck.io.video import Frame
from formcheck.live_loop import Control, Handoff, StageClock, run_pipeline, stage_summary

FPS = 30.0


def camera(n: int) -> list[Frame]:
    return [Frame(i, i / FPS, np.zeros((4, 4, 3), np.uint8)) for i in range(n)]


class Record:
    """analyze() and show() that take a set time, recording what happened when."""

    def __init__(self, analyze_s: float, show_s: float) -> None:
        self.analyze_s, self.show_s = analyze_s, show_s
        self.analyzed: list[tuple[int, float]] = []  # (frame index, when its analysis finished)
        self.shown: list[tuple[int, float]] = []  # (frame index, when it was taken for the display)

    def analyze(self, frame, times):
        clock = StageClock(times)
        time.sleep(self.analyze_s)
        clock.lap("model")
        self.analyzed.append((frame.index, time.perf_counter()))
        return frame.index

    def show(self, item) -> bool:
        self.shown.append((item.frame.index, time.perf_counter()))
        assert item.state == item.frame.index  # the state drawn is the frame's own
        time.sleep(self.show_s)
        return True


def test_a_paced_file_starts_when_its_first_frame_is_asked_for():
    """`live --source FILE --realtime`: the file plays at its own timestamps from the first frame asked for, so
    the 0.5 s the pose model took to load (here a sleep) drops none of its start (its clock started with the
    reader: 15 frames at 30 fps were gone)."""
    frames = LatestFrames(camera(30), pace=True)
    time.sleep(0.5)
    got = []
    for f in frames:
        got.append(f.index)
    frames.close()
    assert got[0] == 0 and frames.dropped <= 3
    idle = LatestFrames(camera(3), pace=True)
    idle.close()  # never asked for a frame: closes without a thread to join


def test_a_slow_window_never_makes_the_camera_drop_frames():
    """Analysis 5 ms, window 80 ms a frame, camera 30 fps: the camera's frames are analyzed (one after the
    other, 85 ms a frame, would analyze about 24 of the 60); the window shows what it can, always the
    newest analyzed frame. (A few may still drop when a loaded machine hands the frames over in bursts.)"""
    frames = LatestFrames(camera(60), pace=True)
    rec = Record(0.005, 0.08)
    run_pipeline(frames, rec.analyze, rec.show)
    analyzed = [i for i, _ in rec.analyzed]
    assert frames.dropped <= 6 and len(analyzed) == 60 - frames.dropped and analyzed == sorted(analyzed)
    shown = [i for i, _ in rec.shown]
    assert shown == sorted(set(shown)) and len(shown) < 40  # in order; the window skipped the frames it missed
    for k, taken in rec.shown:  # never a frame older than the newest one analyzed when the display took it
        assert not [j for j, done in rec.analyzed if j > k and done < taken - 0.002], k


def test_frames_are_dropped_only_when_the_analysis_is_slower_than_the_camera():
    frames = LatestFrames(camera(60), pace=True)
    rec = Record(0.07, 0.001)  # 70 ms a frame: the camera outruns it
    run_pipeline(frames, rec.analyze, rec.show)
    analyzed = [i for i, _ in rec.analyzed]
    assert frames.dropped == 60 - len(analyzed) and frames.dropped >= 20
    assert analyzed == sorted(analyzed) and analyzed[-1] == 59  # the newest frame each time, never behind


def test_a_file_played_as_fast_as_possible_shows_every_frame_in_order():
    frames = SyncFrames(camera(40))
    rec = Record(0.002, 0.004)  # the window is the slower stage: the analysis waits for it
    run_pipeline(frames, rec.analyze, rec.show)
    assert [i for i, _ in rec.shown] == [i for i, _ in rec.analyzed] == list(range(40))


def test_an_error_in_the_analysis_reaches_the_caller_and_stop_after_ends_the_run():
    def broken(frame, times):
        if frame.index == 5:
            raise ValueError("model exploded")
        return frame.index

    with pytest.raises(ValueError, match="model exploded"):
        run_pipeline(SyncFrames(camera(20)), broken, lambda item: True)
    rec = Record(0.0, 0.0)
    run_pipeline(SyncFrames(camera(20)), rec.analyze, rec.show, Control(stop_after=lambda f: f.index == 7))
    assert [i for i, _ in rec.analyzed] == list(range(8))


def test_while_paused_live_frames_are_skipped_not_dropped_and_quit_stops():
    frames = LatestFrames(camera(45), pace=True)
    paused = {"on": False, "skipped": 0}
    rec = Record(0.002, 0.0)

    def show(item) -> bool:
        rec.show(item)
        if item.frame.index == 5:
            paused["on"] = True  # space pressed: hold for 0.3 s (about 9 camera frames)
            time.sleep(0.3)
            paused["on"] = False
        return item.frame.index < 30  # q at frame 30

    control = Control(
        paused=lambda: paused["on"], skipped=lambda n: paused.__setitem__("skipped", paused["skipped"] + n)
    )
    run_pipeline(frames, rec.analyze, show, control)
    assert paused["skipped"] >= 5  # the frames that came during the pause, the stale one taken before it included
    assert frames.dropped <= paused["skipped"]  # nothing was dropped for slowness (only during the pause)
    assert max(i for i, _ in rec.shown) == 30 and max(i for i, _ in rec.analyzed) <= 32


def test_the_handoff_keeps_only_the_newest_for_a_live_source():
    live, lossless = Handoff(lossless=False), Handoff(lossless=True)
    for k in range(3):
        live.put(k)
    assert live.get() == 2
    lossless.put(0)
    live.close()
    assert live.get() is None
    lossless.close()  # a put waiting for the display is released by close
    lossless.put(1)
    assert lossless.get() == 1


def test_stage_summary_gives_p50_and_p95_of_each_stage():
    per_frame = [{"model": float(ms), "overlay": 1.0} for ms in range(1, 101)]
    s = stage_summary(per_frame)
    assert s["model"] == {"p50": 50.5, "p95": 95.05} and s["overlay"]["p50"] == 1.0
    assert s["display"] == {"p50": None, "p95": None}  # no window: never timed
