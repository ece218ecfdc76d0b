"""`formcheck live`: a camera (or a file) -> pose -> the live tracker -> overlay, recorded as it goes.

Frames flow one at a time: the pose model, then the same rep state machine as batch analysis
(formcheck.core.live), then the overlay (formcheck.viz). Landmarks and live events are appended to
the output folder on every frame (formcheck.io.recorder), so a crash or a kill loses nothing; on exit
the whole session is analyzed like `formcheck analyze` (report.json, reps.csv, report.html) with the
live figures added under "live".
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.landmarks import INDEX, REFINED_POINTS
from formcheck.core.live.tracker import LiveConfig, LiveEvent, LiveTracker, LiveUpdate
from formcheck.core.signal.refined import FootFusion
from formcheck.io.recorder import SessionRecorder
from formcheck.viz.live_view import LegSmoother, LiveBanners, live_state


@dataclass(frozen=True)
class LiveOptions:
    camera: int | None = None  # a camera index, or
    source: str | None = None  # a video file played through the live path
    window: bool = True
    realtime: bool = False  # play a file at its own pace (dropping frames when slower), not as fast as possible
    record: bool = False  # also keep the raw camera video (raw.mkv)
    out_dir: str | None = None
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    side: str | None = None  # left | right | both, else automatic
    model: str | None = None
    max_seconds: float | None = None  # stop after this much input time
    people: int = 2  # the pose model looks for up to this many people (1: faster, it may follow someone else)
    foot_track: bool = True  # refine the heels and toes from the picture (formcheck.io.foot_track)
    report: bool = True  # write the full analysis on exit
    quiet_native: bool = True


@dataclass
class LiveStats:
    frames_read: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    latency_ms: list[float] = field(default_factory=list)
    foot_track_ms: list[float] = field(default_factory=list)  # of the latency: refining the feet from the picture
    duration_s: float = 0.0
    live_reps: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = {"frames_read": self.frames_read, "frames_processed": self.frames_processed,
               "frames_dropped": self.frames_dropped, "duration_s": round(self.duration_s, 3),
               "latency_ms": _percentiles(self.latency_ms), "live_reps": self.live_reps}
        if self.foot_track_ms:
            out["foot_track_ms"] = _percentiles(self.foot_track_ms, 2)
        return out


def _percentiles(values: list[float], digits: int = 1) -> dict[str, float | None]:
    arr = np.asarray(values, float)
    pct = (lambda q: round(float(np.percentile(arr, q)), digits) if arr.size else None)  # noqa: E731
    return {"p50": pct(50), "p95": pct(95), "max": pct(100)}


@dataclass
class LiveResult:
    out_dir: Path
    stats: LiveStats
    reps: list[dict[str, Any]]
    analysis: Any = None  # formcheck.pipeline.AnalyzeResult of the recorded landmarks
    warnings: list[str] = field(default_factory=list)


def default_live_dir(opts: LiveOptions) -> Path:
    if opts.source:
        return Path("formcheck-out") / f"{Path(opts.source).stem}-live"
    return Path("formcheck-out") / datetime.now().strftime("live-%Y%m%d-%H%M%S")


class _Replay:
    """A landmarks CSV as a live source (it has no camera image)."""

    def __init__(self, path: str) -> None:
        from formcheck.io.landmarks_csv import load_landmarks_csv
        from formcheck.io.video import VideoInfo

        self.series = load_landmarks_csv(path)
        s = self.series
        fps = float(1 / np.median(np.diff(s.t))) if len(s.t) > 1 else 30.0
        self.info = VideoInfo(str(path), "landmarks", fps, len(s.t), s.width, s.height, 0, 0.0, "none")

    def close(self) -> None:
        pass


def open_frames(opts: LiveOptions) -> tuple[Any, Any]:
    """(source, frames): a camera read on a background thread (newest frame only), a video file, or a
    landmarks CSV replayed without the pose model."""
    from formcheck.io.live_source import LatestFrames, ReplayFrames, SyncFrames
    from formcheck.io.video import CameraSource, VideoFileSource
    from formcheck.inputs import is_landmarks_csv

    if opts.source is not None and is_landmarks_csv(opts.source):
        replay = _Replay(opts.source)
        return replay, ReplayFrames(replay.series)
    if opts.source is not None:
        source = VideoFileSource(opts.source)
        return source, (LatestFrames(source, pace=True) if opts.realtime else SyncFrames(source))
    source = CameraSource(opts.camera or 0)
    return source, LatestFrames(source)


def event_record(ev: LiveEvent) -> dict[str, Any]:
    rec: dict[str, Any] = {"event": ev.kind, "t": round(ev.t, 3)}
    if ev.text:
        rec["text"] = ev.text
    if ev.rep is not None:
        rec["rep"] = ev.rep.to_dict()
    if ev.fault is not None:
        rec["fault"] = ev.fault
    return rec


class LiveSession:
    """One live session: feed frames with step(); stop with finish()."""

    def __init__(self, opts: LiveOptions, out_dir: Path, width: int, height: int, fps: float,
                 refined: bool = False) -> None:
        """refined: frames come with refined feet (tracked, or replayed from a CSV that has them)."""
        self.opts, self.out_dir = opts, out_dir
        self.width, self.height = width, height
        self.tracker = LiveTracker(LiveConfig(analysis=opts.config), opts.side)
        self.recorder = SessionRecorder(out_dir, width, height, fps, video=opts.record, refined=refined)
        self.fusion = FootFusion()  # the refined feet where tracked, MediaPipe's elsewhere, as analyze does
        self.banners = LiveBanners()
        self.smoother = LegSmoother()  # the drawn skeleton: causal smoothing, the analysis uses its own
        self.stats = LiveStats()
        self.paused = False
        self.paused_frames = 0  # camera frames that arrived while paused (not analyzed, not "dropped")
        self.last_t = 0.0
        self.first_t: float | None = None

    def step(self, frame: Any, pose: Any, refined: np.ndarray | None = None) -> tuple[LiveUpdate, Any]:
        """Record and track one frame (its pose found, and the refined feet if tracked); returns the update
        and the overlay state."""
        self.first_t = frame.t if self.first_t is None else self.first_t
        self.last_t = frame.t
        self.recorder.frame(frame.index, frame.t, pose, refined)
        self.recorder.video_frame(frame.image)
        xy = self._with_refined_feet(frame.t, pose.xy, refined)
        update = self.tracker.update(frame.t, xy, pose.vis)
        for ev in update.events:
            self._on_event(ev)
        self.stats.frames_processed += 1
        state = live_state(update, xy, pose.vis, self.width, self.height, self.banners,
                           min_vis=self.opts.config.cleaning.min_visibility, smoother=self.smoother)
        return update, state

    def _with_refined_feet(self, t: float, xy: np.ndarray, refined: np.ndarray | None) -> np.ndarray:
        """MediaPipe's landmarks with the heels and toes fused with the refined ones (not in front or back views,
        as analyze does: there the refined heel follows the front of the foot)."""
        if refined is None:
            return xy
        if self.tracker.view in ("front", "back"):
            refined = np.full_like(refined, np.nan)
        idx = [INDEX[name] for name in REFINED_POINTS]
        out = np.array(xy, float)
        out[idx], _ = self.fusion.update(t, out[idx], refined)
        return out

    def _on_event(self, ev: LiveEvent) -> None:
        self.recorder.event(event_record(ev))
        if ev.kind == "fault" and ev.fault is not None:
            self.banners.add(ev.fault, ev.t)
        elif ev.kind == "rep_timed" and ev.rep is not None and ev.text != "final":
            for fault in ev.rep.faults:
                if fault["id"] not in {w["id"] for w in ev.rep.warnings}:
                    self.banners.add(fault, ev.t, ev.rep.index)

    def key(self, action: str | None) -> bool:
        """Apply a key's action; False to quit."""
        if action is None:
            return True
        self.recorder.event({"event": "key", "t": round(self.last_t, 3), "action": action})
        if action == "quit":
            return False
        if action == "pause":
            self.paused = not self.paused
        elif action == "reset":
            self._finish_set()
            self.tracker.reset()
            self.banners = LiveBanners()
        elif action == "side":
            self._finish_set()
            self.tracker.switch_side()
            self.recorder.event({"event": "side", "t": round(self.last_t, 3), "text": self.tracker.side})
        return True

    def _finish_set(self) -> None:
        for ev in self.tracker.finish(self.last_t):
            self._on_event(ev)

    def close(self) -> list[dict[str, Any]]:
        """Finish the last set, write the session's end record, close the files; the live reps."""
        self._finish_set()
        self.stats.live_reps = len(self.tracker.reps)
        self.stats.duration_s = (self.last_t - self.first_t) if self.first_t is not None else 0.0
        reps = [r.to_dict() for r in self.tracker.reps]
        self.recorder.event({"event": "end", "stats": self.stats.to_dict(), "reps": reps})
        self.recorder.close()
        return reps


def run_live(opts: LiveOptions, window: Any = None, on_frame: Callable[[np.ndarray], None] | None = None) -> LiveResult:
    """Run a live session until the source ends, q is pressed, Ctrl-C, or max_seconds of input.

    window: an object with show(image) -> action and close() (formcheck.io.display.Window), or None.
    """
    out_dir = Path(opts.out_dir) if opts.out_dir else default_live_dir(opts)
    source, frames = open_frames(opts)
    try:
        with _estimator(opts, frames) as estimator:
            session = LiveSession(opts, out_dir, source.info.width, source.info.height, source.info.fps,
                                  refined=_records_refined(opts, source))
            session.recorder.event({"event": "start", "source": opts.source or f"camera {opts.camera or 0}",
                                    "width": source.info.width, "height": source.info.height, "fps": source.info.fps,
                                    "started": datetime.now().astimezone().isoformat(timespec="seconds")})
            try:
                _loop(session, frames, estimator, window, on_frame)
            except KeyboardInterrupt:
                pass  # Ctrl-C ends a live session like q: everything is kept and analyzed
            finally:
                frames.close()
                session.stats.frames_read = frames.read
                session.stats.frames_dropped = frames.dropped - session.paused_frames
                reps = session.close()
    finally:
        source.close()
        if window is not None:
            window.close()
    result = LiveResult(out_dir, session.stats, reps, warnings=list(session.recorder.warnings))
    if opts.report and session.recorder.rows:
        result.analysis = analyze_session(result, opts)
    return result


def _records_refined(opts: LiveOptions, source: Any) -> bool:
    """Frames come with refined feet: tracked in the picture, or replayed from a CSV that has them."""
    if isinstance(source, _Replay):
        return source.series.refined is not None
    return opts.foot_track


def _foot_tracker(opts: LiveOptions, frames: Any) -> Any:
    from formcheck.io.live_source import ReplayFrames

    if not opts.foot_track or isinstance(frames, ReplayFrames):
        return None
    from formcheck.io.foot_track import FootTracker

    return FootTracker()


def _estimator(opts: LiveOptions, frames: Any) -> Any:
    from contextlib import nullcontext

    from formcheck.io.live_source import ReplayFrames
    from formcheck.io.pose import PoseConfig, PoseEstimator

    if isinstance(frames, ReplayFrames):
        return nullcontext(None)
    return PoseEstimator(opts.model, PoseConfig(num_poses=opts.people), quiet=opts.quiet_native)


def _loop(session: LiveSession, frames: Any, estimator: Any, window: Any,
          on_frame: Callable[[np.ndarray], None] | None) -> None:
    import cv2

    from formcheck.viz.overlay import draw_overlay

    opts = session.opts
    feet = _foot_tracker(opts, frames)
    for frame in frames:
        refined = frame.refined
        if frame.pose is not None:
            pose = frame.pose
        else:
            pose = estimator.detect(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), frame.t)
            if feet is not None:
                began = time.perf_counter()
                refined = feet.update(frame.image, frame.t, pose.xy, pose.vis)
                session.stats.foot_track_ms.append(1000.0 * (time.perf_counter() - began))
        _, state = session.step(frame, pose, refined)
        image = draw_overlay(frame.image, state)
        session.stats.latency_ms.append(1000.0 * (time.perf_counter() - frame.available))
        if on_frame is not None:
            on_frame(image)
        if window is not None and not session.key(window.show(image)):
            return
        if session.paused and not _wait_paused(session, frames, window, image):
            return
        if opts.max_seconds is not None and frame.t - session.first_t >= opts.max_seconds:
            return


def _wait_paused(session: LiveSession, frames: Any, window: Any, image: np.ndarray) -> bool:
    """Hold the last picture until space is pressed again (False: quit). Camera frames arriving
    meanwhile are not analyzed (counted apart from frames dropped for slowness)."""
    from formcheck.viz.overlay import HintAnnotator, OverlayState

    held = HintAnnotator().annotate(image.copy(), OverlayState(hints=("paused - press space to go on",)))
    before = frames.dropped
    while session.paused:
        if window is None or not session.key(window.show(held, wait_ms=50)):
            return False
    session.paused_frames += frames.dropped - before
    return True


def analyze_session(result: LiveResult, opts: LiveOptions) -> Any:
    """The recorded landmarks analyzed like `formcheck analyze` (report.json gains a "live" section)."""
    from formcheck.errors import NothingToAnalyzeError
    from formcheck.pipeline import analyze_to_folder, write_report_files

    try:
        analysis = analyze_to_folder(result.out_dir / "landmarks.csv", result.out_dir, opts.config, video=False)
    except NothingToAnalyzeError as exc:
        result.warnings.append(f"the recorded session could not be analyzed: {exc}")
        return None
    live = {**result.stats.to_dict(), "source": opts.source or f"camera {opts.camera or 0}",
            "realtime": bool(opts.realtime or opts.source is None), "reps": result.reps}
    data = analysis.data
    data["live"] = live
    if len(result.reps) != data["rep_count"]:
        data["warnings"].append(f"the live count ({len(result.reps)} reps) differs from the full analysis of the "
                                f"recording ({data['rep_count']} reps); the report gives the full analysis")
    write_report_files(data, result.out_dir)
    return analysis
