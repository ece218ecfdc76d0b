"""analyze_series(): landmarks -> working side, views, reps with tempo and ranges. Pure."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.core.clean import CleanTracks, clean_tracks
from formcheck.core.config import AnalysisConfig
from formcheck.core.fault_detect import DETECTORS, SetVerdict, detect_faults
from formcheck.core.filters import median_of, nanmedian_of
from formcheck.core.faults import not_checked
from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.metrics import foot_length_px, forward_sign, rep_metrics, tempo
from formcheck.core.parallel import beside
from formcheck.core.rep_signal import accept_cycles, finish_last_pause, stance_signal, time_cycles
from formcheck.core.reps import PhaseTimes, fold_reps
from formcheck.core.side import SideEvidence, detect_side
from formcheck.core.signals import foot_still, stance_segments
from formcheck.core.view import ViewSegment, view_at, view_segments
from formcheck.errors import NothingToAnalyzeError

LEG_POINTS = ("hip", "knee", "ankle", "heel", "foot_index")
FOOT_POINTS = ("ankle", "heel", "foot_index")
MIN_FOUND_FRAC = 0.2
MIN_FOOT_VIS = 0.5  # the better foot's typical visibility: below it MediaPipe is guessing (it invents bodies)
MIN_FRAMED_FRAC = 0.5  # no reps and the legs in view less than this: blame the framing, not the exercise
FILMING_TIP = ("the hips to the feet must be in view: film side-on from 2-4 m with the camera at knee to hip "
               "height, in good light")


@dataclass
class RepResult:
    index: int
    times: PhaseTimes
    view: str
    metrics: dict
    faults: list[dict] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # fault ids this rep could not be judged on (fault_detect.unjudged)


@dataclass
class Analysis:
    side: str
    side_evidence: SideEvidence
    signal_side: str
    views: list[ViewSegment]
    stances: list[tuple[float, float]]
    reps: list[RepResult]
    warnings: list[str]
    faults_not_checked: list[dict]
    t: np.ndarray
    h: np.ndarray  # heel-height signal (shank lengths), NaN outside stances
    tracks: CleanTracks
    verdict: SetVerdict = field(default_factory=SetVerdict)


def check_duration(series: LandmarkSeries, min_s: float) -> None:
    """A set needs the working foot still on the step for min_s: anything shorter cannot hold a rep."""
    n = len(series)
    if n < 2:
        raise NothingToAnalyzeError(f"too short: the input has {n} frame{'' if n == 1 else 's'}; a set needs at "
                                    f"least {min_s:g} s of video: film the whole set")
    duration = float(series.t[-1] - series.t[0] + median_of(np.diff(series.t)))
    if not duration >= min_s:
        raise NothingToAnalyzeError(f"too short: the input lasts {duration:.2f} s and a set needs at least {min_s:g} s; "
                                    "film the whole set, standing still for a second before the first rep")


def legs_in_view(series: LandmarkSeries, min_vis: float) -> np.ndarray:
    """(T,) True where one leg's hip, knee, ankle, heel and toe are all seen and inside the frame."""
    idx = [INDEX[f"{s}_{p}"] for s in ("left", "right") for p in LEG_POINTS]
    xy, vis = np.take(series.xy, idx, axis=1), np.take(series.vis, idx, axis=1)  # (faster than xy[:, idx])
    with np.errstate(invalid="ignore"):
        inside = (xy[..., 0] >= 0) & (xy[..., 0] <= series.width) & (xy[..., 1] >= 0) & (xy[..., 1] <= series.height)
        ok = ((vis >= min_vis) & inside).T  # (points, T)
    n = len(LEG_POINTS)
    return np.logical_and.reduce(ok[:n]) | np.logical_and.reduce(ok[n:])  # (row by row: faster than .all(axis))


def foot_visibility(series: LandmarkSeries, found: np.ndarray | None = None) -> float:
    """The better foot's median visibility over the frames with a pose (0 when there are none)."""
    found = series.found if found is None else found
    best = 0.0
    for side in ("left", "right"):
        vis = np.concatenate([series.vis[:, INDEX[f"{side}_{p}"]][found] for p in FOOT_POINTS])
        if vis.size and np.isfinite(vis).any():
            best = max(best, nanmedian_of(vis))
    return best


def check_body_in_frame(series: LandmarkSeries, min_vis: float, found: np.ndarray | None = None) -> None:
    found = series.found if found is None else found
    if len(series) == 0 or found.mean() < MIN_FOUND_FRAC:
        missing = 1 - (found.mean() if len(series) else 0)
        raise NothingToAnalyzeError(f"no person found in {missing:.0%} of the frames; {FILMING_TIP}")
    seen = legs_in_view(series, min_vis)
    if seen.mean() < MIN_FOUND_FRAC:
        raise NothingToAnalyzeError(
            f"hips, knees and feet are in view together in only {seen.mean():.0%} of the frames; {FILMING_TIP}")
    feet = foot_visibility(series, found)
    if feet < MIN_FOOT_VIS:
        raise NothingToAnalyzeError(
            f"the feet are barely visible to the pose model (visibility {feet:.2f}, it needs {MIN_FOOT_VIS:g}: it is "
            f"probably guessing a body that is not there); {FILMING_TIP}")


def analyze_series(series: LandmarkSeries, config: AnalysisConfig | None = None) -> Analysis:
    cfg = config or AnalysisConfig()
    check_duration(series, cfg.stance.min_stance_s)
    found = series.found
    body = beside(check_body_in_frame, series, cfg.cleaning.min_visibility, found)
    try:
        tracks = clean_tracks(series, cfg.cleaning, found)
    finally:
        body.result()  # its error comes first (it says what is wrong with the framing)
    left = beside(foot_still, tracks, "left", cfg.stance)
    views = view_segments(tracks, cfg.view)
    right = foot_still(tracks, "right", cfg.stance)
    still = {"left": left.result(), "right": right}
    evidence = detect_side(tracks, still)
    side = evidence.side if cfg.side == "auto" else cfg.side
    signal_side = side if side in ("left", "right") else _better_seen(tracks)
    stances = stance_segments(tracks.t, still[signal_side], cfg.stance)
    warnings = list(tracks.warnings)
    h = np.full(len(tracks.t), np.nan)
    frontal = np.zeros(len(tracks.t), bool)
    for seg in views:
        frontal[seg.start:seg.stop] = seg.view in ("front", "back")
    found_reps: list[tuple[PhaseTimes, str, float, float]] = []
    for start, stop in stances:
        found_reps += _segment_reps(tracks, cfg, signal_side, views, frontal, start, stop, h)
    reps = _measured(tracks, cfg, signal_side, h, found_reps)
    _finish_last_pauses(reps, [float(tracks.t[b - 1]) for _, b in stances])
    for k, rep in enumerate(reps, start=1):
        rep.index = k
        rep.metrics.update(tempo(rep.times))
    if not reps:
        framed = float(legs_in_view(series, cfg.cleaning.min_visibility).mean())
        if framed < MIN_FRAMED_FRAC:
            raise NothingToAnalyzeError(f"no calf raise found, and the hips to the feet are in view in only "
                                        f"{framed:.0%} of the frames; {FILMING_TIP}")
        warnings.append("no calf raise found: " + ("the working foot never stood still for "
                        f"{cfg.stance.min_stance_s:g} s (walking or stepping?)" if not stances else
                        "the heel never rose and fell clearly enough to count a rep"))
    seen = {v.view for v in views}
    analysis = Analysis(side=side, side_evidence=evidence, signal_side=signal_side, views=views,
                        stances=[(float(tracks.t[a]), float(tracks.t[b - 1])) for a, b in stances], reps=reps,
                        warnings=warnings, faults_not_checked=not_checked(seen, set(DETECTORS)), t=tracks.t, h=h,
                        tracks=tracks)
    if cfg.faults.enabled:
        analysis.verdict = detect_faults(analysis, cfg.faults)
    return analysis


def _better_seen(tracks: CleanTracks) -> str:
    score = {s: nanmedian_of(np.take(tracks.vis, [INDEX[f"{s}_{p}"] for p in LEG_POINTS], axis=1).ravel())
             for s in ("left", "right")}
    return "left" if score["left"] >= score["right"] else "right"


def _segment_reps(tracks: CleanTracks, cfg: AnalysisConfig, side: str, views: list[ViewSegment], frontal: np.ndarray,
                  start: int, stop: int, h_out: np.ndarray) -> list[tuple[PhaseTimes, str, float, float]]:
    """The reps of one stance: (phase times, view, the stance's foot length px and forward sign) each."""
    sig = stance_signal(tracks, side, start, stop, frontal, cfg.reps)
    if sig is None:
        return []
    h_out[start:stop] = sig.h
    if sig.span < cfg.reps.min_range:
        return []
    cycles, _ = fold_reps(sig.t, sig.h, sig.threshold, cfg.reps.min_rep_s)
    local = accept_cycles(sig, cycles, cfg.reps)
    times = time_cycles(sig, local, cfg.reps)
    if not times:
        return []
    foot_px, forward = foot_length_px(tracks, side, start, stop), forward_sign(tracks, side, start, stop)
    rep_views = []
    for cyc in local:
        seg = view_at(views, cyc.top + start) or view_at(views, (start + stop) // 2)
        rep_views.append(seg.view if seg else "unknown")
    return [(tm, view, foot_px, forward) for tm, view in zip(times, rep_views)]


def _measured(tracks: CleanTracks, cfg: AnalysisConfig, side: str, h: np.ndarray,
              found: list[tuple[PhaseTimes, str, float, float]]) -> list[RepResult]:
    """The reps of every stance with their metrics, all measured at once."""
    if not found:
        return []
    times, views, foot_px, forward = (list(x) for x in zip(*found))
    metrics = rep_metrics(tracks, side, views, h, np.array(foot_px), np.array(forward), cfg.scale, times)
    return [RepResult(0, tm, view, m) for tm, view, m in zip(times, views, metrics)]


def _finish_last_pauses(reps: list[RepResult], stance_ends: list[float]) -> None:
    """The last rep of each stance has no next rise: see rep_signal.finish_last_pause."""
    pauses = [r.times.t_end - r.times.t_bottom for r in reps if not r.times.end_estimated]
    typical = float(np.median(pauses)) if pauses else 0.0
    for r in reps:
        if r.times.end_estimated:
            end = min([e for e in stance_ends if e >= r.times.t_bottom] or [r.times.t_bottom])
            r.times = finish_last_pause(r.times, typical, end)
