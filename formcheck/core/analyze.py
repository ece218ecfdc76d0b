"""analyze_series(): landmarks -> working side, views, reps with tempo, ranges and faults, the set's verdict.

The pipeline, one stage a package: signal/ (cleaning, the heel and other body signals) -> context/ (framing,
stance, side, view) -> reps/ (the rep machine, acceptance, phase times, metrics) -> faults/ (measures, one rule
per fault, the verdict). Pure: no files, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.context.framing import check_body_in_frame, check_duration, no_reps_reason
from formcheck.core.context.side import SideEvidence, better_seen, detect_side
from formcheck.core.context.stance import foot_still, stance_segments
from formcheck.core.context.view import ViewSegment, is_frontal, view_at, view_segments
from formcheck.core.faults.catalogue import not_checked
from formcheck.core.faults.detect import FaultReport, detect_faults, judged_on_no_rep
from formcheck.core.faults.reference import VsSet
from formcheck.core.faults.rules import RULES
from formcheck.core.faults.verdict import summarize
from formcheck.core.landmarks import LandmarkSeries
from formcheck.core.reps.machine import fold_reps
from formcheck.core.reps.metrics import RepNumbers, SegmentedRep, measure_reps
from formcheck.core.reps.stance import accept_cycles, stance_signal, time_cycles
from formcheck.core.reps.timing import PhaseTimes, finish_last_pause, typical_bottom_pause
from formcheck.core.signal.body import foot_length_px, forward_sign, free_foot_hang
from formcheck.core.signal.clean import CleanTracks, clean_tracks, flicker_warnings, gate
from formcheck.core.signal.refined import fuse_series, track_label


@dataclass(frozen=True)
class RepResult:
    index: int
    times: PhaseTimes
    view: str
    numbers: RepNumbers  # every number reported for the rep (reps/metrics.py)
    vs_set: VsSet  # its numbers against its view's reps (faults/reference.py)
    quality: float  # share of its frames where the working leg was really seen
    faults: list[dict] = field(default_factory=list)
    uncertain: list[dict] = field(default_factory=list)  # faults judged with too little confidence
    not_checked: list[str] = field(default_factory=list)  # the fault ids this rep could not be judged on
    track: tuple[str, float] = ("mediapipe", 0.0)  # heel and toe measured on: refined | mediapipe | mixed, share
    phase_quality: dict[str, float] = field(default_factory=dict)  # the same share in each phase (reps/metrics)

    @property
    def metrics(self) -> dict:
        return self.numbers.to_dict()


@dataclass(frozen=True)
class Analysis:
    side: str
    side_evidence: SideEvidence
    signal_side: str  # the leg the signals come from (the working one, or the better seen for both)
    views: list[ViewSegment]
    stances: list[tuple[float, float]]
    reps: list[RepResult]
    warnings: list[str]
    faults_not_checked: list[dict]
    t: np.ndarray
    h: np.ndarray  # heel-height signal (shank lengths), NaN outside stances
    tracks: CleanTracks
    stop_set: dict | None
    summary: dict


def analyze_series(series: LandmarkSeries, config: AnalysisConfig | None = None) -> Analysis:
    cfg = config or AnalysisConfig()
    check_duration(series, cfg.stance.min_stance_s)
    check_body_in_frame(series, cfg.cleaning.min_visibility)
    tracks = clean_tracks(series, cfg.cleaning)
    views = view_segments(tracks, cfg.view)  # from the hips and shoulders: the same with the refined feet
    mediapipe_xy = series.xy
    series, foot_weights = fuse_series(series, frontal_mask(views, len(series)))
    if foot_weights.any():
        tracks = clean_tracks(series, cfg.cleaning, mediapipe_xy)
    still = {s: foot_still(tracks, s, cfg.stance) for s in ("left", "right")}
    evidence = detect_side(tracks, still)
    side = evidence.side if cfg.side == "auto" else cfg.side
    signal_side = side if side in ("left", "right") else better_seen(tracks.vis)
    stances = stance_segments(tracks.t, still[signal_side], cfg.stance.min_stance_s)
    found, h = find_reps(tracks, cfg, signal_side, views, stances)
    warnings = list(tracks.warnings)
    # the warning is about the pose model's feet: read on its own points (the refined heel and toe do not flicker)
    model_feet = gate(mediapipe_xy, series.vis, cfg.cleaning.min_visibility)
    warnings += flicker_warnings(model_feet, signal_side, tracks.shank_px)
    if not found:
        warnings.append(no_reps_reason(series, cfg.cleaning.min_visibility, stances, cfg.stance.min_stance_s))
    measured = measure_reps(tracks, signal_side, h, found, cfg.scale)
    if cfg.faults.enabled:
        verdict = detect_faults(measured, free_foot_hang(tracks, signal_side), cfg.faults)
    else:
        verdict = FaultReport(*([[] for _ in found] for _ in range(3)), [VsSet(None, None, None)] * len(found))
    reps = [
        RepResult(
            k + 1,
            j.times,
            j.view,
            j.numbers,
            verdict.vs_set[k],
            j.quality,
            verdict.faults[k],
            verdict.uncertain[k],
            verdict.not_checked[k],
            track_label(foot_weights, tracks.t, signal_side, j.times.t_start, j.times.t_end),
            j.phase_quality,
        )
        for k, j in enumerate(measured)
    ]
    unviewed = not_checked({v.view for v in views}, set(RULES))
    rise = np.array([np.nan if vs.rise_vs_best is None else vs.rise_vs_best for vs in verdict.vs_set], dtype=float)
    return Analysis(
        side=side,
        side_evidence=evidence,
        signal_side=signal_side,
        views=views,
        stances=[(float(tracks.t[a]), float(tracks.t[b - 1])) for a, b in stances],
        reps=reps,
        warnings=warnings + verdict.warnings,
        faults_not_checked=unviewed + judged_on_no_rep(measured, verdict, cfg.faults, {f["id"] for f in unviewed}),
        t=tracks.t,
        h=h,
        tracks=tracks,
        stop_set=verdict.stop_set,
        summary=summarize([r.metrics for r in reps], verdict.faults, rise),
    )


def frontal_mask(views: list[ViewSegment], n: int) -> np.ndarray:
    """(n,) True in the frames seen from the front or the back."""
    frontal = np.zeros(n, bool)
    for seg in views:
        frontal[seg.start : seg.stop] = is_frontal(seg.view)
    return frontal


def find_reps(
    tracks: CleanTracks, cfg: AnalysisConfig, side: str, views: list[ViewSegment], stances: list[tuple[int, int]]
) -> tuple[list[SegmentedRep], np.ndarray]:
    """The reps of every stance, and the heel-height signal (shank lengths, NaN outside the stances)."""
    frontal = frontal_mask(views, len(tracks.t))
    h = np.full(len(tracks.t), np.nan)
    found: list[SegmentedRep] = []
    for start, stop in stances:
        found += segment_reps(tracks, cfg, side, views, frontal, start, stop, h)
    return finish_last_pauses(found, [float(tracks.t[b - 1]) for _, b in stances]), h


def segment_reps(
    tracks: CleanTracks,
    cfg: AnalysisConfig,
    side: str,
    views: list[ViewSegment],
    frontal: np.ndarray,
    start: int,
    stop: int,
    h_out: np.ndarray,
) -> list[SegmentedRep]:
    """The reps of one stance [start, stop); writes its heel signal into h_out."""
    sig = stance_signal(tracks, side, start, stop, frontal, cfg.reps)
    if sig is None:
        return []
    h_out[start:stop] = sig.h
    if sig.span < cfg.reps.min_range:
        return []
    cycles, _ = fold_reps(sig.t, sig.h, sig.threshold, cfg.reps.min_rep_s)
    local = accept_cycles(sig, cycles, cfg.reps)
    times = time_cycles(sig, local, cfg.reps)
    stance_xy = tracks.smooth[start:stop]
    foot_px, forward = foot_length_px(stance_xy, side), forward_sign(stance_xy, side)
    out = []
    for cycle, tm in zip(local, times):
        seg = view_at(views, cycle.top + start) or view_at(views, (start + stop) // 2)
        out.append(SegmentedRep(tm, seg.view if seg else "unknown", foot_px, forward))
    return out


def finish_last_pauses(found: list[SegmentedRep], stance_ends: list[float]) -> list[SegmentedRep]:
    """The last rep of each stance has no next rise: it gets the set's typical bottom pause, cut at the stance's
    end (reps/timing.finish_last_pause)."""
    typical = typical_bottom_pause([r.times for r in found])
    out = []
    for r in found:
        if r.times.end_estimated:
            end = min([e for e in stance_ends if e >= r.times.t_bottom] or [r.times.t_bottom])
            r = SegmentedRep(finish_last_pause(r.times, typical, end), r.view, r.foot_px, r.forward)
        out.append(r)
    return out
