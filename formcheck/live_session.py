"""`formcheck live`: a camera (or a file) -> pose -> the live tracker -> overlay, recorded as it goes.

Each frame goes through the pose model, then the same rep state machine as batch analysis
(formcheck.core.live), then the overlay (formcheck.viz); the overlay and the window run beside
the analysis of the next frame (formcheck.live_loop), every stage timed. Landmarks and live
events are appended to the output folder on every frame (formcheck.io.recorder), so a crash or a
kill loses nothing; on exit the whole session is analyzed like `formcheck analyze` (report.json,
reps.csv, report.html) with the live figures added under "live".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.context.view import is_frontal
from formcheck.core.live.tracker import LiveConfig, LiveEvent, LiveTracker, LiveUpdate
from formcheck.core.signal.clean import FlickerWatch, gate
from formcheck.core.signal.refined import FootFusion, fuse_frame
from formcheck.io.extract import DEFAULT_MAX_FPS, analyzed_fps, check_max_fps
from formcheck.io.live_source import LandmarksReplay, open_frames
from formcheck.io.recorder import SessionRecorder
from formcheck.live_loop import Analyze, Analyzed, Control, Show, StageClock, run_pipeline, stage_summary
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
    people: int = 1  # the pose model looks for this many people on every frame (1: one person, held by the lock)
    foot_track: bool = True  # refine the heels and toes from the picture (formcheck.io.foot_track)
    max_fps: float | None = DEFAULT_MAX_FPS  # the pose model runs on at most this many frames a second, as in analyze
    report: bool = True  # write the full analysis on exit
    quiet_native: bool = True


@dataclass
class LiveStats:
    frames_read: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    latency_ms: list[float] = field(default_factory=list)
    duration_s: float = 0.0
    live_reps: int = 0
    stages: list[dict[str, float]] = field(default_factory=list)  # per shown frame: stage -> ms (live_loop.STAGES)
    pose_rechecks: int = 0  # frames the person lock searched for several people

    def to_dict(self) -> dict[str, Any]:
        lat = np.asarray(self.latency_ms, float)
        pct = lambda q: round(float(np.percentile(lat, q)), 1) if lat.size else None
        fps = self.frames_processed / self.duration_s if self.duration_s > 0 else None
        return {
            "frames_read": self.frames_read,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "duration_s": round(self.duration_s, 3),
            "latency_ms": {"p50": pct(50), "p95": pct(95), "max": pct(100)},
            "live_reps": self.live_reps,
            "analyzed_fps": None if fps is None else round(fps, 2),
            "stages_ms": stage_summary(self.stages),
            "pose_rechecks": self.pose_rechecks,
        }


@dataclass
class LiveResult:
    out_dir: Path
    stats: LiveStats
    reps: list[dict[str, Any]]
    analysis: Any = None  # formcheck.pipeline.AnalyzeResult of the recorded landmarks
    warnings: list[str] = field(default_factory=list)
    side: str | None = None  # the leg most of the reps counted live were measured on (None: no rep)


def live_side(reps: list[dict[str, Any]]) -> str | None:
    """The leg most of the reps counted live were measured on (live decides it at the start of each stance)."""
    sides = [r["side"] for r in reps if r.get("side") in ("left", "right")]
    return max(("left", "right"), key=sides.count) if sides else None


def default_live_dir(opts: LiveOptions) -> Path:
    if opts.source:
        return Path("formcheck-out") / f"{Path(opts.source).stem}-live"
    return Path("formcheck-out") / datetime.now().strftime("live-%Y%m%d-%H%M%S")


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

    def __init__(
        self, opts: LiveOptions, out_dir: Path, width: int, height: int, fps: float, refined: bool = False
    ) -> None:
        """refined: frames come with refined feet (tracked, or replayed from a CSV that has them)."""
        self.opts, self.out_dir = opts, out_dir
        self.width, self.height = width, height
        self.tracker = LiveTracker(LiveConfig(analysis=opts.config), opts.side)
        self.recorder = SessionRecorder(out_dir, width, height, fps, video=opts.record, refined=refined)
        self.fusion = FootFusion()  # the refined feet where tracked, MediaPipe's elsewhere, as analyze does
        self.banners = LiveBanners()
        self.smoother = LegSmoother()  # the drawn skeleton: causal smoothing, the analysis uses its own
        self.flicker = FlickerWatch()  # the working foot's points jumping between the feet: a hint to change the setup
        self.shown: set[tuple[int, str, bool]] = set()  # (rep, fault id, uncertain) shown on a banner
        self.stats = LiveStats()
        self.paused = False
        self.paused_frames = 0  # camera frames that arrived while paused (not analyzed, not "dropped")
        self.last_t = 0.0
        self.first_t: float | None = None
        self.lock = threading.Lock()  # step() runs on the analysis thread, key() on the window's

    def step(self, frame: Any, pose: Any, refined: np.ndarray | None = None) -> tuple[LiveUpdate, Any]:
        """Record and track one frame (its pose found, and the refined feet if tracked); returns the update
        and the overlay state."""
        self.first_t = frame.t if self.first_t is None else self.first_t
        self.last_t = frame.t
        self.recorder.frame(frame.index, frame.t, pose, refined)
        self.recorder.video_frame(frame.image, frame.t)
        xy = self._with_refined_feet(frame.t, pose.xy, refined)
        update = self.tracker.update(frame.t, xy, pose.vis, None if xy is pose.xy else pose.xy)
        for ev in update.events:
            self._on_event(ev)
        self.stats.frames_processed += 1
        min_vis = self.opts.config.cleaning.min_visibility
        self.flicker.add(frame.t, gate(pose.xy, pose.vis, min_vis))  # the pose model's own feet, as analyze reads
        state = live_state(
            update,
            xy,
            pose.vis,
            self.width,
            self.height,
            self.banners,
            min_vis=min_vis,
            smoother=self.smoother,
            feet_flicker=self.flicker.flickers(update.side, self.tracker.shank_px),
        )
        return update, state

    def _with_refined_feet(self, t: float, xy: np.ndarray, refined: np.ndarray | None) -> np.ndarray:
        """MediaPipe's landmarks with the heels and toes fused with the refined ones (not in front or back views,
        as analyze does: there the refined heel follows the front of the foot)."""
        return fuse_frame(self.fusion, t, xy, refined, is_frontal(self.tracker.view))

    def _on_event(self, ev: LiveEvent) -> None:
        """Record an event; show a fault as it is warned, and a timed rep's faults not shown for it yet (once each:
        a set's reps are timed again when it ends, and its last rep's faults are known only then)."""
        self.recorder.event(event_record(ev))
        if ev.kind == "fault" and ev.fault is not None:
            self.banners.add(ev.fault, ev.t)
        elif ev.kind == "rep_timed" and ev.rep is not None:
            warned = {w["id"] for w in ev.rep.warnings}
            for fault, look in [(f, False) for f in ev.rep.faults] + [(f, True) for f in ev.rep.uncertain]:
                key = (ev.rep.index, fault["id"], look)
                if key in self.shown or (not look and fault["id"] in warned):
                    continue
                self.shown.add(key)
                self.banners.add({**fault, "severity": "look"} if look else fault, ev.t, ev.rep.index)

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
            self.banners, self.shown = LiveBanners(), set()
        elif action == "side":
            self._finish_set()
            self.tracker.switch_side()
            self.shown = set()  # the reps are numbered anew
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
    check_max_fps(opts.max_fps)
    source, frames = open_frames(opts.source, opts.camera, opts.realtime, opts.max_fps)
    try:
        with _estimator(opts, frames) as estimator:
            session = LiveSession(
                opts,
                out_dir,
                source.info.width,
                source.info.height,
                analyzed_fps(source.info.fps, opts.max_fps),
                refined=_records_refined(opts, source),
            )
            session.recorder.event(
                {
                    "event": "start",
                    "source": opts.source or f"camera {opts.camera or 0}",
                    "width": source.info.width,
                    "height": source.info.height,
                    "fps": source.info.fps,
                    "max_fps": opts.max_fps,
                    "started": datetime.now().astimezone().isoformat(timespec="seconds"),
                }
            )
            try:
                _run_frames(session, frames, estimator, window, on_frame)
            except KeyboardInterrupt:
                pass  # Ctrl-C ends a live session like q: everything is kept and analyzed
            finally:
                frames.close()
                session.stats.frames_read = frames.read
                session.stats.frames_dropped = frames.dropped - session.paused_frames
                session.stats.pose_rechecks = estimator.lock.rechecks if getattr(estimator, "lock", None) else 0
                reps = session.close()
    finally:
        source.close()
        if window is not None:
            window.close()
    result = LiveResult(out_dir, session.stats, reps, warnings=list(session.recorder.warnings), side=live_side(reps))
    if opts.report and session.recorder.rows:
        result.analysis = analyze_session(result, opts)
    return result


def _records_refined(opts: LiveOptions, source: Any) -> bool:
    """Frames come with refined feet: tracked in the picture, or replayed from a CSV that has them."""
    if isinstance(source, LandmarksReplay):
        return source.series.refined is not None
    return opts.foot_track


def _foot_tracker(opts: LiveOptions, frames: Any, estimator: Any) -> Any:
    from formcheck.io.live_source import ReplayFrames

    if not opts.foot_track or isinstance(frames, ReplayFrames):
        return None
    from formcheck.io.extract import person_segmenter
    from formcheck.io.foot_track import FootTracker

    return FootTracker(segment_person=person_segmenter(estimator))


def _estimator(opts: LiveOptions, frames: Any) -> Any:
    from contextlib import nullcontext

    from formcheck.io.live_source import ReplayFrames
    from formcheck.io.pose import PoseConfig, PoseEstimator

    if isinstance(frames, ReplayFrames):
        return nullcontext(None)
    return PoseEstimator(opts.model, PoseConfig(num_poses=opts.people), quiet=opts.quiet_native, masks=opts.foot_track)


def _run_frames(
    session: LiveSession, frames: Any, estimator: Any, window: Any, on_frame: Callable[[np.ndarray], None] | None
) -> None:
    """The frames through the pipeline: analysis on a thread of its own, overlay and window here."""
    max_s = session.opts.max_seconds
    control = Control(
        paused=lambda: session.paused,
        skipped=lambda n: _add_paused(session, n),
        stop_after=lambda f: max_s is not None and f.t - session.first_t >= max_s,
    )
    run_pipeline(
        frames,
        _analyzer(session, estimator, _foot_tracker(session.opts, frames, estimator)),
        _shower(session, window, on_frame),
        control,
    )


def _add_paused(session: LiveSession, n: int) -> None:
    session.paused_frames += n


def _analyzer(session: LiveSession, estimator: Any, feet: Any) -> Analyze:
    from formcheck.io.pose import model_image

    def analyze(frame: Any, times: dict[str, float]) -> Any:
        clock = StageClock(times)
        pose, refined = frame.pose, frame.refined
        if pose is None:
            image = model_image(frame.image, None)  # BGR -> the model's RGB image
            clock.lap("convert")
            pose = estimator.detect(image, frame.t)
            clock.lap("model")
            if feet is not None:
                refined = feet.update(frame.image, frame.t, pose.xy, pose.vis)
        clock.lap("refinement")
        with session.lock:
            _, state = session.step(frame, pose, refined)
        clock.lap("analysis")
        return state

    return analyze


def _shower(session: LiveSession, window: Any, on_frame: Callable[[np.ndarray], None] | None) -> Show:
    from formcheck.viz.overlay import draw_overlay

    def show(item: Analyzed) -> bool:
        clock = StageClock(item.times)
        image = draw_overlay(item.frame.image, item.state)
        clock.lap("overlay")
        session.stats.latency_ms.append(1000.0 * (time.perf_counter() - item.frame.available))
        if on_frame is not None:
            on_frame(image)
        keep = True
        if window is not None:
            action = window.show(image)
            clock.lap("display")
            with session.lock:
                keep = session.key(action)
        session.stats.stages.append(item.times)
        if keep and session.paused:
            keep = _wait_paused(session, window, image)
        return keep

    return show


def _wait_paused(session: LiveSession, window: Any, image: np.ndarray) -> bool:
    """Hold the last picture until space is pressed again (False: quit). The analysis takes no frames
    meanwhile (camera frames arriving are counted apart from frames dropped for slowness)."""
    from formcheck.viz.overlay import HintAnnotator, OverlayState

    held = HintAnnotator().annotate(image.copy(), OverlayState(hints=("paused - press space to go on",)))
    while session.paused:
        if window is None:
            return False
        action = window.show(held, wait_ms=50)
        with session.lock:
            if not session.key(action):
                return False
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
    live = {
        **result.stats.to_dict(),
        "source": opts.source or f"camera {opts.camera or 0}",
        "realtime": bool(opts.realtime or opts.source is None),
        "people": opts.people,
        "max_fps": opts.max_fps,
        "side": result.side,
        "reps": result.reps,
    }
    data = analysis.data
    data["live"] = live
    if result.side in ("left", "right") and data["side"] in ("left", "right") and data["side"] != result.side:
        data["warnings"].append(
            f"live measured the {result.side} leg, the full analysis of the recording the {data['side']} leg (it "
            "reads the whole set; live decides as each stance starts): the report gives the full analysis; pass "
            f"--side {data['side']} to make live measure it"
        )
    if len(result.reps) != data["rep_count"]:
        data["warnings"].append(
            f"the live count ({len(result.reps)} reps) differs from the full analysis of the "
            f"recording ({data['rep_count']} reps); the report gives the full analysis"
        )
    write_report_files(data, result.out_dir)
    return analysis
