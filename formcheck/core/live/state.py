"""The live tracker's state and outputs: its settings, a counted rep, events, per-frame updates, and one
stance's causal heel signal with its rep machine."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.reps.machine import Cycle, RepState
from formcheck.core.reps.stance import StanceSignal, heel_span, rep_threshold
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import (
    ANKLE_MEDIAN_S,
    ankle_excess,
    centred_median,
    composition_blocks,
    frontal_slack,
    less_drift,
    view_drift,
)
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import WINDOW_EPS_S, nanmedian

# how often the heel-height components' levels and the ground's drift are refreshed (and at each view switch, each
# re-labelling of past frames, and until a first level is found)
CENTRE_EVERY_S = 0.25


@dataclass(frozen=True)
class LiveConfig:
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    keep_s: float = 60.0  # landmarks kept for re-reading the stance (longer stances: the last keep_s)
    view_window_s: float = 1.0  # the view is read from the last this long (batch: a 1 s running median)
    side_decide_s: float = 1.0  # the working side is decided after a foot stood still this long
    gauge_hz: float = 5.0  # smoothing of the drawn heel gauge


@dataclass(frozen=True)
class LiveRep:
    """A counted rep. `times`, `tempo` and `faults` are filled once it is finished (next rep or set end)."""

    index: int
    t_counted: float
    cycle: Cycle  # absolute frame indices: bottom before, top, bottom after (provisional until timed)
    view: str = ""
    times: PhaseTimes | None = None
    tempo: dict | None = None
    faults: tuple[dict, ...] = ()
    uncertain: tuple[dict, ...] = ()  # faults judged with too little confidence ("look at this rep")
    warnings: tuple[dict, ...] = ()  # faults warned as they happened (the same rules on the rep so far)
    side: str | None = None  # the leg it was measured on

    def to_dict(self) -> dict:
        p = self.times
        times = (
            {}
            if p is None
            else {
                "t_start": p.t_start,
                "t_top_start": p.t_top_start,
                "t_top_end": p.t_top_end,
                "t_bottom": p.t_bottom,
                "t_end": p.t_end,
                "bottom_pause_estimated": p.end_estimated,
            }
        )
        return {
            "index": self.index,
            "t_counted": round(self.t_counted, 3),
            "side": self.side,
            "view": self.view,
            **{k: round(v, 3) if isinstance(v, float) else v for k, v in times.items()},
            **(self.tempo or {}),
            "faults": list(self.faults),
            "uncertain": list(self.uncertain),
            "live_warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class LiveEvent:
    kind: str  # stance_start | stance_end | rep_counted | rep_timed | rep_withdrawn | fault | side | view
    t: float
    rep: LiveRep | None = None
    text: str = ""
    fault: dict | None = None


@dataclass(frozen=True)
class LiveUpdate:
    t: float
    index: int  # absolute frame index
    found: bool
    side: str | None  # the working leg (None until decided)
    view: str
    in_stance: bool
    gauge: float | None  # 0 = the set's bottom, 1 = its top (smoothed for drawing)
    phase: str | None  # bottom | rise | top | lower
    phase_s: float  # seconds in the current phase
    count: int
    tempo_cue: str | None = None
    events: tuple[LiveEvent, ...] = ()


@dataclass(frozen=True)
class Window:
    """The stance so far as batch analysis reads it: cleaned tracks, its signal, its first frame."""

    tracks: CleanTracks
    sig: StanceSignal
    base: int  # absolute index of the window's first frame


class StanceSet:
    """One stance: the causal heel height, the rep machine and the reps counted in it."""

    def __init__(self, start_i: int, since_t: float, cfg: AnalysisConfig) -> None:
        self.start_i = start_i
        self.since_t = since_t  # when the foot became still
        self.cfg = cfg
        self.t: list[float] = []
        self.h: list[float] = []
        self.labelled_frontal: list[bool] = []  # each frame's view as known so far (see relabel): front or back
        self.parts: dict[bool, list[np.ndarray]] = {True: [], False: []}  # both views' heel components, each frame
        self.witnesses: list[np.ndarray] = []  # signal/body.ground_witnesses
        self.ground = 0.0  # the ground's drift at the last refresh (signal/body.ground_drift)
        self.centres = np.full(1, np.nan)  # the levels of the view's components at the last refresh (none yet)
        self.slack = np.nan  # ... and in front and back views the ankle's slack (signal/body.frontal_slack)
        self.centre_t = -math.inf
        self.centred_frontal: bool | None = None  # the view they are of
        self.window_start = 0  # the first frame of the last centre_s
        self.block_start = 0  # the first frame of the block the levels are of
        self.ankle_start = 0  # the first frame of the last ANKLE_MEDIAN_S
        self.state = RepState()
        self.lo_ref, self.hi_ref = math.nan, math.nan
        self.span = 0.0
        self.counted: list[tuple[Cycle, bool, tuple[dict, ...]]] = []  # reps counted in this stance (as pending)
        self.rep_ids: list[int] = []  # their indices in the session
        self.recheck = False  # candidates came while the stance was young: judge them again when it is a set
        # (cycle, doubtful, the faults of its rise found when the machine counted it) waiting: young stance, foot
        # moving, doubt; the faults are warned when (if) it is counted
        self.pending: list[tuple[Cycle, bool, tuple[dict, ...]]] = []

    def add(
        self,
        t: float,
        parts: dict[bool, np.ndarray],
        witnesses: np.ndarray,
        frontal: bool,
        shank: float,
        centre_s: float,
    ) -> float:
        """Append a frame; its heel height is batch's (signal/body.heel_height) on the stance so far: the view's
        components (parts: frontal or not -> signal/body.heel_components) less the ground's drift, each centred
        on its median over the frames batch centres it on (the last block, signal/body.composition_blocks, of the
        frames' views as labelled so far; in front and back views with the ankle's slack over them and its excess
        over the last ANKLE_MEDIAN_S of the block), both within the last centre_s and refreshed every
        CENTRE_EVERY_S (the levels drift slowly). Between refreshes the drift is held (not interpolated) at its
        last value."""
        self.t.append(t)
        self.labelled_frontal.append(frontal)
        self.witnesses.append(witnesses)
        for k, v in parts.items():
            self.parts[k].append(np.array(v, dtype=float))
        unset = not np.isfinite(self.centres).any()  # no level yet (the stance's first frames had no pose)
        if t - self.centre_t >= CENTRE_EVERY_S or frontal != self.centred_frontal or unset:
            self.centre(t, frontal, centre_s)
        h = float(centred_median(less_drift(self.parts[frontal][-1], self.ground, frontal), self.centres))
        if frontal and np.isfinite(self.slack):  # signal/body.frontal_rise at its newest frame
            while self.t[self.ankle_start] < t - ANKLE_MEDIAN_S - WINDOW_EPS_S:  # times only grow
                self.ankle_start += 1
            recent = np.asarray(self.parts[True][max(self.ankle_start, self.block_start) :])
            h += float(np.fmax(nanmedian(ankle_excess(recent, self.centres, self.slack)), 0.0))  # no drift in it
        self.h.append(h / shank)
        return h / shank

    def centre(self, t: float, frontal: bool, centre_s: float) -> None:
        """Refresh the levels of the view's components and the ground's drift (see add): the cost stays flat
        with the stance's length (the last centre_s only)."""
        while self.t[self.window_start] < t - centre_s:  # times only grow: the window's start only moves on
            self.window_start += 1
        w = self.window_start
        labelled = np.asarray(self.labelled_frontal[w:], bool)
        start = w + composition_blocks(np.asarray(self.t[w:]), labelled)[-1][0]
        tilt = [p[0] for p in self.parts[False][start:]]  # the side view's first component: the heel above the toe
        drift = view_drift(np.asarray(self.t[start:]), np.asarray(self.witnesses[start:]), tilt, labelled[start - w :])
        self.ground = float(drift[-1])
        comps = less_drift(np.asarray(self.parts[frontal][start:]), drift, frontal)
        self.centres = nanmedian(comps, axis=0)
        self.slack = frontal_slack(comps, self.centres) if frontal else np.nan
        self.centre_t, self.centred_frontal, self.block_start = t, frontal, start

    def relabel(self, start_t: float, frontal: bool) -> None:
        """The view changed at start_t (found later): the frames since then belong to the new composition."""
        for k in range(len(self.t) - 1, -1, -1):
            if self.t[k] < start_t:
                break
            self.labelled_frontal[k] = frontal
        self.centre_t = -math.inf  # the blocks changed: refresh the levels at the next frame

    def threshold(self) -> float:
        """The batch hysteresis (reps/stance.rep_threshold) of the stance so far (NaN under 5 samples seen)."""
        h = np.asarray(self.h)
        if np.isfinite(h).sum() < 5:
            return math.nan
        self.lo_ref, self.hi_ref = np.percentile(h[np.isfinite(h)], [3, 97])
        self.span = heel_span(h)
        return rep_threshold(h, self.cfg.reps)


def lowered(sig: StanceSignal, c: Cycle) -> bool:
    """On the batch signal the heel falls from the rep's peak by the batch hysteresis before the live machine's
    bottom (c.bottom1): the live fall was a lowering, not a wobble or a glitch inside the top hold that batch would
    not see. (The rise after it is not asked for: near the end of the stance so far, the zero-phase batch signal
    shows a rise later than the live machine confirms it.)"""
    h = sig.h[c.top : c.bottom1 + 1]
    if not np.isfinite(h).any():
        return False
    k = int(np.nanargmax(h))
    return bool(h[k] - np.nanmin(h[k:]) >= sig.threshold)


def clears(sig: StanceSignal, c: Cycle) -> bool:
    """On the batch signal the rep rises to its peak by the batch hysteresis (its fall, just confirmed on the live
    signal, is still under way)."""
    h = sig.h[c.bottom0 : c.bottom1 + 1]
    if not np.isfinite(h).any():
        return False
    k = int(np.nanargmax(h))
    return bool(h[k] - np.nanmin(h[: k + 1]) >= sig.threshold)
