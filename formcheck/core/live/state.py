"""The live tracker's state and outputs: its settings, a counted rep, events, per-frame updates, and one
stance's causal heel signal with its rep machine."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.reps.machine import Cycle, RepState
from formcheck.core.reps.stance import StanceSignal, heel_span, rep_threshold
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import OWN_LEVEL_S, centred_median, ground_drift
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import nanmedian

CENTRE_EVERY_S = 0.25  # how often the heel-height components' centres are refreshed


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
        self.frontal: list[bool] = []  # the composition each frame's causal heel height was made with
        self.labelled_frontal: list[bool] = []  # the view each frame turned out to have (see relabel)
        self.parts: dict[bool, list[np.ndarray]] = {True: [], False: []}  # both views' heel components, each frame
        self.witnesses: list[np.ndarray] = []  # signal/body.ground_witnesses
        self.ground = 0.0  # the ground's drift held since the last flat-foot run (signal/body.ground_drift)
        self.run_start = 0  # where the current run of one composition (side or frontal components) began
        self.block_start = 0  # where the current block of short runs began (signal/body.composition_blocks)
        self.centres = np.full(4, np.nan)
        self.centre_t = -math.inf
        self.state = RepState()
        self.lo_ref, self.hi_ref = math.nan, math.nan
        self.span = 0.0
        self.counted: list[tuple[Cycle, bool]] = []  # reps counted in this stance
        self.rep_ids: list[int] = []  # their indices in the session
        self.recheck = False  # candidates came while the stance was young: judge them again when it is a set
        self.pending: list[tuple[Cycle, bool]] = []  # (cycle, doubtful) waiting: young stance, foot moving, doubt

    def add(
        self,
        t: float,
        parts: dict[bool, np.ndarray],
        witnesses: np.ndarray,
        frontal: bool,
        shank: float,
        centre_s: float,
    ) -> float:
        """Append a frame; its heel height is the batch composition (signal/body.heel_height): the view's
        components (parts: frontal or not -> signal/body.heel_components), the side ones less the ground's drift
        (signal/body.ground_drift on the side view's frames, causally: the value held since the last flat-foot run,
        not interpolated), each centred on its median over the frames of the last centre_s (refreshed every
        CENTRE_EVERY_S: the levels drift slowly) that batch centres it on: the view's run once it is OWN_LEVEL_S
        long, before that its block so far (the short runs since the last long run, signal/body.composition_blocks).
        """
        if self.frontal and frontal != self.frontal[-1]:  # a new run of one view
            if self.t[-1] - self.t[self.run_start] >= OWN_LEVEL_S:
                self.block_start = len(self.t)  # after a long run: a new block
            self.run_start, self.centre_t = len(self.t), -math.inf
        self.t.append(t)
        self.frontal.append(frontal)
        self.labelled_frontal.append(frontal)
        self.witnesses.append(witnesses)
        parts = {k: np.array(v, dtype=float) for k, v in parts.items()}
        for k, v in parts.items():
            self.parts[k].append(v)  # stored as used: the side ones (not the tilt) less the ground's drift
        refresh = t - self.centre_t >= CENTRE_EVERY_S or not np.isfinite(self.centres).any()
        if refresh:  # the cost stays flat with the stance's length (the last centre_s only)
            own = t - self.t[self.run_start] >= OWN_LEVEL_S
            start = max(self.run_start if own else self.block_start, bisect_left(self.t, t - centre_s))
            side_view = ~np.asarray(self.frontal[start:])  # the tilt (first component) finds the flat-foot runs
            tilt = np.where(side_view, [p[0] for p in self.parts[False][start:]], np.nan)
            self.ground = float(ground_drift(np.asarray(self.t[start:]), np.asarray(self.witnesses[start:]), tilt)[-1])
        parts[False][1:] -= self.ground
        if refresh:
            self.centres = nanmedian(np.asarray(self.parts[frontal][start:]), axis=0)
            self.centre_t = t
        h = float(centred_median(parts[frontal], self.centres)) / shank
        self.h.append(h)
        return h

    def relabel(self, start_t: float, frontal: bool) -> None:
        """The view changed at start_t (found later): the frames since then belong to the new composition."""
        for k in range(len(self.t) - 1, -1, -1):
            if self.t[k] < start_t:
                break
            self.labelled_frontal[k] = frontal

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
