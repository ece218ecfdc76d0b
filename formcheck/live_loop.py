"""The live frame pipeline, timed stage by stage.

    capture thread   read / decode the newest frame (formcheck.io.live_source)
    analysis thread  convert -> pose model (+ person lock) -> refinement -> live tracker and recorder
    calling thread   overlay -> window (OpenCV's window must stay on the main thread)

The pose model never waits for the overlay or the window: while one frame is drawn and shown, the
next is analyzed, so frames are dropped only when the camera outruns the analysis. The overlay is
drawn on the newest analyzed frame, never on an older one (a live source keeps only the newest
analyzed frame for the display; a file played as fast as possible shows every frame, in order).

Per frame, in milliseconds: capture (reading the frame; a camera's includes waiting for its next
frame), wait (captured -> the analysis takes it), convert, model, refinement, analysis, handoff
(analyzed -> the display takes it), overlay, display. A frame's latency (captured -> its overlay
drawn) is the sum of wait to overlay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

STAGES = ("capture", "wait", "convert", "model", "refinement", "analysis", "handoff", "overlay", "display")
_END = object()


@dataclass
class Analyzed:
    """A frame the analysis has finished with: what to draw on it, and its stage times so far (ms)."""

    frame: Any  # formcheck.io.live_source.LiveFrame
    state: Any  # formcheck.viz.overlay.OverlayState
    times: dict[str, float] = field(default_factory=dict)
    done: float = 0.0  # perf_counter when the analysis finished


class Handoff:
    """Analyzed frames from the analysis thread to the display: the newest only (a live source), or
    each in turn, the analysis waiting for the display (lossless: a file played as fast as possible)."""

    def __init__(self, lossless: bool) -> None:
        self._lossless = lossless
        self._cond = threading.Condition()
        self._item: Analyzed | None = None
        self._closed = False

    def put(self, item: Analyzed) -> None:
        with self._cond:
            while self._lossless and self._item is not None and not self._closed:
                self._cond.wait(0.1)
            self._item = item  # a live source: an analyzed frame not yet shown is replaced by a newer one
            self._cond.notify_all()

    def get(self) -> Analyzed | None:
        """The newest analyzed frame; None once the analysis has ended and everything was taken."""
        with self._cond:
            while self._item is None and not self._closed:
                self._cond.wait(0.1)
            item, self._item = self._item, None
            self._cond.notify_all()
            return item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


Analyze = Callable[[Any, dict[str, float]], Any]  # (frame, times) -> overlay state, filling times
Show = Callable[[Analyzed], bool]  # draw and show one analyzed frame; False to stop


@dataclass(frozen=True)
class Control:
    """How the analysis thread is steered from the session: paused() holds it; skipped(n) is told of
    live frames that arrived during a pause (not analyzed, not dropped for slowness); stop_after(frame)
    ends the run after that frame."""

    paused: Callable[[], bool] = lambda: False
    skipped: Callable[[int], None] = lambda n: None
    stop_after: Callable[[Any], bool] = lambda frame: False


def run_pipeline(frames: Any, analyze: Analyze, show: Show, control: Control | None = None) -> None:
    """Analyze `frames` on a thread of its own while `show` draws the results on this one.

    analyze(frame, times) -> state runs every stage up to the tracker; show(analyzed) -> bool draws,
    shows and handles keys (False: quit). An error in the analysis thread is raised here."""
    handoff = Handoff(getattr(frames, "lossless", True))
    stop = threading.Event()
    failed: list[BaseException] = []
    worker = threading.Thread(
        target=_analyze_all,
        args=(frames, analyze, handoff, stop, control or Control(), failed),
        name="formcheck-analysis",
        daemon=True,
    )
    worker.start()
    try:
        while (item := handoff.get()) is not None:
            item.times["handoff"] = 1000.0 * (time.perf_counter() - item.done)
            if not show(item):
                break
    finally:
        stop.set()
        handoff.close()
        frames.close()  # ends a capture thread the analysis may be waiting on
        worker.join()
    if failed:
        raise failed[0]


def _analyze_all(
    frames: Any,
    analyze: Analyze,
    handoff: Handoff,
    stop: threading.Event,
    control: Control,
    failed: list[BaseException],
) -> None:
    lossless = getattr(frames, "lossless", True)
    try:
        for frame in frames:
            if control.paused():
                before = getattr(frames, "dropped", 0)
                while control.paused() and not stop.is_set():
                    time.sleep(0.02)
                if not lossless:  # a live frame taken before the pause is stale now
                    control.skipped(1 + getattr(frames, "dropped", 0) - before)
                    continue
            if stop.is_set():
                return
            taken = time.perf_counter()
            times = {"capture": frame.read_ms, "wait": 1000.0 * (taken - frame.available)}
            state = analyze(frame, times)
            handoff.put(Analyzed(frame, state, times, time.perf_counter()))
            if control.stop_after(frame):
                return
    except BaseException as exc:
        failed.append(exc)
    finally:
        handoff.close()


class StageClock:
    """Times consecutive stages of one frame into a dict: `clock.lap("model")` after the model ran."""

    def __init__(self, times: dict[str, float]) -> None:
        self.times = times
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.times[stage] = self.times.get(stage, 0.0) + 1000.0 * (now - self._last)
        self._last = now


def stage_summary(per_frame: list[dict[str, float]]) -> dict[str, dict[str, float | None]]:
    """p50 / p95 (ms) of every stage over the frames that went through it."""
    out: dict[str, dict[str, float | None]] = {}
    for stage in STAGES:
        values = np.array([t[stage] for t in per_frame if stage in t], float)
        out[stage] = {"p50": percentile(values, 50), "p95": percentile(values, 95)}
    return out


def percentile(values: np.ndarray, q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if values.size else None
