"""Live analysis: landmarks in, one frame at a time; rep count, phase and warnings out. Pure (no clock).

Each frame's heel height is computed from the past only (core/live_signal) and fed to the same
rep state machine as batch analysis (core/reps.step). When the machine counts a rep (its lowering
is confirmed), the stance so far is re-read with the batch definitions (core/rep_signal: the
cleaned signal, the foot-tilt and flat-foot checks) and the rep is counted only if batch analysis
would accept it. Its phase times are placed by the batch rule once the next rep is counted or the
set ends, so live tempo and the offline report agree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.live_faults import FaultWatch, window_faults
from formcheck.core.live_signal import (History, JumpGate, LowPass, StanceTracker, centred_median, classify_view,
                                        foot_point, heel_components, width_ratio_frame)
from formcheck.core.metrics import tempo
from formcheck.core.rep_signal import (StanceSignal, accept_cycles, finish_last_pause, flat_level, stance_signal,
                                       time_cycles)
from formcheck.core.reps import Cycle, PhaseTimes, RepState, Sample, fold_reps, step
from formcheck.core.signals import noise_level

SIDES = ("left", "right")
BOTH_AFTER_S = 3.0  # both feet planted this long without a cue to the working side: a two-leg raise
CENTRE_EVERY_S = 0.25
MATCH_TOP_S = 0.5  # a live rep and a batch rep whose tops are this close are the same rep  # how often the heel-height components' centres are refreshed


@dataclass(frozen=True)
class LiveConfig:
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    keep_s: float = 60.0  # landmarks kept for re-reading the stance (longer stances: the last keep_s)
    view_window_s: float = 1.0  # running median of the body's width for the view
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
    warnings: tuple[dict, ...] = ()  # faults seen as they happened (bounce, fast lowering, torso help)

    def to_dict(self) -> dict:
        p = self.times
        times = {} if p is None else {"t_start": p.t_start, "t_top_start": p.t_top_start, "t_top_end": p.t_top_end,
                                      "t_bottom": p.t_bottom, "t_end": p.t_end,
                                      "bottom_pause_estimated": p.end_estimated}
        return {"index": self.index, "t_counted": round(self.t_counted, 3), "view": self.view,
                **{k: round(v, 3) if isinstance(v, float) else v for k, v in times.items()},
                **(self.tempo or {}), "faults": list(self.faults), "live_warnings": list(self.warnings)}


@dataclass(frozen=True)
class LiveEvent:
    kind: str  # stance_start | stance_end | rep_counted | rep_timed | fault | side | view
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
class _Window:
    """The stance so far as batch analysis reads it: cleaned tracks, its signal, its first frame."""

    tracks: object  # CleanTracks
    sig: StanceSignal
    base: int  # absolute index of the window's first frame


class _Set:
    """One stance: the causal heel height, the rep machine and the reps counted in it."""

    def __init__(self, start_i: int, since_t: float, cfg: AnalysisConfig) -> None:
        self.start_i = start_i
        self.since_t = since_t  # when the foot became still
        self.cfg = cfg
        self.t: list[float] = []
        self.h: list[float] = []
        self.frontal: list[bool] = []
        self.comps: list[np.ndarray] = []
        self.comp_start = 0  # where the current composition (side or frontal components) began
        self.centres = np.full(5, np.nan)
        self.centre_t = -math.inf
        self.state = RepState()
        self.lo_ref, self.hi_ref = math.nan, math.nan
        self.span = 0.0
        self.counted: list[tuple[Cycle, bool]] = []  # reps counted in this stance
        self.rep_ids: list[int] = []  # their indices in the session
        self.recheck = False  # candidates came while the stance was young: judge them again when it is a set
        self.pending: list[tuple[Cycle, bool]] = []  # (cycle, doubtful) waiting: young stance, foot moving, doubt

    def add(self, t: float, comps: np.ndarray, frontal: bool, shank: float, centre_s: float) -> float:
        """Append a frame; its heel height is the median of the components, each centred on its median
        over this composition's frames so far (refreshed every CENTRE_EVERY_S: they drift slowly)."""
        if self.frontal and frontal != self.frontal[-1]:
            self.comp_start, self.centre_t = len(self.comps), -math.inf  # a new composition: centred on its own
        self.comps.append(comps)
        self.t.append(t)
        self.frontal.append(frontal)
        if t - self.centre_t >= CENTRE_EVERY_S or not np.isfinite(self.centres).any():
            tb = np.asarray(self.t[self.comp_start:])
            block = np.asarray(self.comps[self.comp_start:])[tb >= t - centre_s]
            seen = np.isfinite(block)
            self.centres = np.array([np.median(block[seen[:, k], k]) if seen[:, k].any() else np.nan
                                     for k in range(block.shape[1])])
            self.centre_t = t
        h = centred_median(comps, self.centres) / shank
        self.h.append(h)
        return h

    def threshold(self) -> float:
        """The batch hysteresis (share of the stance's range, at least a multiple of its noise), so far."""
        h = np.asarray(self.h)
        h = h[np.isfinite(h)]
        if h.size < 5:
            return math.nan
        lo, hi = np.percentile(h, [3, 97])
        self.lo_ref, self.hi_ref, self.span = float(lo), float(hi), float(hi - lo)
        r = self.cfg.reps
        return max(r.hysteresis_frac * max(self.span, r.min_range), r.noise_factor * noise_level(h[-300:]))


class LiveTracker:
    """Feed `update(t, xy, vis)` once per frame, in time order; read the count, phase and events.

    xy: (33, 2) pixels (NaN where no pose), vis: (33,) visibility.
    """

    def __init__(self, config: LiveConfig | None = None, side: str | None = None) -> None:
        self.config = config or LiveConfig()
        cfg = self.config.analysis
        wanted = side or cfg.side
        self.fixed_side = wanted if wanted in SIDES else None
        self.want_both = wanted == "both"
        self.history = History(self.config.keep_s)
        self.gate = JumpGate()
        self.stance = {s: StanceTracker(cfg) for s in SIDES}
        self.side: str | None = self.fixed_side
        self.view = ""
        self._views: list[tuple[float, float, bool]] = []
        self._view_pending: tuple[str, float] | None = None
        self._shank: list[tuple[float, ...]] = []
        self.shank_px = math.nan
        self._shank_t = -math.inf
        self.set: _Set | None = None
        self._set_end_i = 0  # a new set starts after the frames of the last one
        self._side_open = False  # the side is the better-seen leg of two planted feet: look again
        self._side_checked = -math.inf
        self.reps: list[LiveRep] = []
        self._gauge = LowPass(self.config.gauge_hz)
        self.watch = FaultWatch(cfg)
        self.unassigned: list[dict] = []  # live warnings outside any counted rep

    # ------------------------------------------------------------------ per frame
    def update(self, t: float, xy: np.ndarray, vis: np.ndarray) -> LiveUpdate:
        xy = np.array(xy, dtype=float).reshape(-1, 2)
        vis = np.array(vis, dtype=float).reshape(-1)
        xy[~(vis >= self.config.analysis.cleaning.min_visibility)] = np.nan
        shank = self.shank_px = self._update_shank(t, xy, vis)
        xy = self.gate(t, xy, shank, standing=all(self.stance[s].state.still for s in SIDES))
        vis = np.where(np.isnan(xy[:, 0]), np.nan, vis)  # a refused glitch counts as unseen
        i = self.history.append(t, xy, vis)
        events: list[LiveEvent] = []
        self._update_view(t, xy, events)
        for s in SIDES:
            if self.stance[s].update(t, i, foot_point(xy, s), xy[INDEX[f"{s}_foot_index"]], shank) == "end" \
                    and s == self.side:
                self._end_set(self.stance[s].left_t, events)
                self.side = self.fixed_side  # stepping: decide the working side afresh at the next stance
                self._side_checked = -math.inf
        if self.side is None or self._side_open:
            self._decide_side(t, events)
        if self.side is not None and self.stance[self.side].state.still:
            if self.set is None:
                self._start_set(t, events)
            self._feed(t, i, xy, shank, events)
            self._release(t, events)
        gauge = self._gauge_value(t)
        mode = self.set.state.mode if self.set is not None else "init"
        phase, phase_s, cue, fired = self.watch.update(t, gauge, mode, self.view, xy, self.side, self._leg_px())
        for fault in fired:
            events.append(LiveEvent("fault", t, text=fault["id"], fault=fault))
            self._attach_warning(fault)
        return LiveUpdate(t, i, bool(np.isfinite(xy).any()), self.side, self.view, self.set is not None, gauge,
                          phase, phase_s, len(self.reps), cue, tuple(events))

    def finish(self, t: float) -> list[LiveEvent]:
        """End of the session: time the last rep (its bottom pause estimated) and close the set."""
        events: list[LiveEvent] = []
        self._end_set(t, events)
        return events

    def reset(self) -> None:
        """Start a new set (the r key): forget reps and the stance, keep a side the user chose."""
        self.__init__(self.config, self.fixed_side or ("both" if self.want_both else None))

    def switch_side(self) -> None:
        """The s key: the other leg works (and a new set starts)."""
        other = "right" if self.side == "left" else "left"
        self.__init__(self.config, other)

    # ------------------------------------------------------------------ scale, view, side
    def _update_shank(self, t: float, xy: np.ndarray, vis: np.ndarray) -> float:
        """Knee-to-ankle length of the better-seen leg over the last 10 s (core/clean.body_scale's rule),
        refreshed twice a second."""
        row = [t]
        for s in SIDES:
            knee, ankle = INDEX[f"{s}_knee"], INDEX[f"{s}_ankle"]
            row += [float(np.hypot(*(xy[knee] - xy[ankle]))), float(min(vis[knee], vis[ankle]))]
        self._shank.append(tuple(row))
        if t - self._shank_t < 0.5 and math.isfinite(self.shank_px):
            return self.shank_px
        while self._shank[0][0] < t - 10.0:
            self._shank.pop(0)
        arr = np.asarray(self._shank)
        best, score = math.nan, -1.0
        for col in (1, 3):
            seen = np.isfinite(arr[:, col])
            if seen.sum() >= 3 and float(np.median(arr[seen, col + 1])) > score:
                best, score = float(np.median(arr[seen, col])), float(np.median(arr[seen, col + 1]))
        self._shank_t = t if math.isfinite(best) else -math.inf
        return best

    def _leg_px(self) -> float:
        _, xy = self.history.latest()
        s = self.side or "left"
        d = [np.hypot(*(xy[INDEX[f"{s}_{a}"]] - xy[INDEX[f"{s}_{b}"]])) for a, b in (("hip", "knee"), ("knee", "ankle"))]
        return float(sum(d))

    def _update_view(self, t: float, xy: np.ndarray, events: list[LiveEvent]) -> None:
        ratio = width_ratio_frame(xy)
        dx = (xy[INDEX["left_shoulder"], 0] - xy[INDEX["right_shoulder"], 0]
              + xy[INDEX["left_hip"], 0] - xy[INDEX["right_hip"], 0])
        if math.isfinite(ratio):
            self._views.append((t, ratio, bool(dx > 0)))
        while self._views and self._views[0][0] < t - self.config.view_window_s:
            self._views.pop(0)
        if not self._views:
            return
        r = float(np.median([v[1] for v in self._views]))
        facing = 2 * sum(v[2] for v in self._views) > len(self._views)
        label = classify_view(r, facing, self.config.analysis)
        if not self.view:
            self.view = label
        elif label == self.view:
            self._view_pending = None
        elif self._view_pending is None or self._view_pending[0] != label:
            self._view_pending = (label, t)
        elif t - self._view_pending[1] >= self.config.analysis.view.min_segment_s:
            self.view, self._view_pending = label, None
            events.append(LiveEvent("view", t, text=label))

    def _decide_side(self, t: float, events: list[LiveEvent]) -> None:
        """Once a foot has stood still for side_decide_s: the batch vote (core/side.detect_side).

        A cue (the free knee bent, the free foot held up) decides. With none, both feet are planted:
        after BOTH_AFTER_S it is a two-leg raise read from the better-seen leg, and the cues are looked
        at again every second in case a foot is lifted (someone standing before stepping onto the step).
        """
        from formcheck.core.analyze import _better_seen
        from formcheck.core.side import detect_side

        still = [s for s in SIDES if self.stance[s].state.still]
        if not still or t - self._side_checked < 1.0 and self.side is not None:
            return
        since = min(self.stance[s].state.since_t for s in still)
        if t - since < self.config.side_decide_s:
            return
        self._side_checked = t
        tracks = self._tracks(max(min(self.stance[s].state.start_i for s in still), self._set_end_i))
        if tracks is None:
            return
        side = detect_side(tracks, {s: np.ones(len(tracks.t), bool) for s in SIDES}).side
        if self.want_both or (side == "both" and t - since >= BOTH_AFTER_S):
            side, self._side_open = _better_seen(tracks), not self.want_both
        elif side == "both":
            return
        else:
            self._side_open = False
        if side != self.side:
            self._end_set(t, events)
            self.side = side
            events.append(LiveEvent("side", t, text=side))

    def _tracks(self, start: int, end_t: float = math.inf):  # noqa: ANN202 - CleanTracks or None
        """The batch cleaning of the kept frames from absolute index `start`, before end_t (None if the
        legs are not seen)."""
        from formcheck.core.clean import clean_tracks
        from formcheck.errors import FormcheckError

        t, xy, vis = self.history.since(start)
        keep = t < end_t
        t, xy, vis = t[keep], xy[keep], vis[keep]
        if len(t) < 5:
            return None
        series = LandmarkSeries(t=t, xy=xy, z=np.full(vis.shape, np.nan), vis=vis, width=1, height=1)
        try:
            return clean_tracks(series, self.config.analysis.cleaning)
        except FormcheckError:
            return None

    # ------------------------------------------------------------------ the set
    def _start_set(self, t: float, events: list[LiveEvent]) -> None:
        start = max(self.stance[self.side].state.start_i, self.history.offset, self._set_end_i)
        self.set = _Set(start, self.stance[self.side].state.since_t, self.config.analysis)
        ts, xys, _ = self.history.since(start)
        shank = self.shank_px
        for k in range(len(ts) - 1):  # the frames since the foot became still
            self._feed(float(ts[k]), start + k, xys[k], shank, [])
        events.append(LiveEvent("stance_start", t))

    def _feed(self, t: float, i: int, xy: np.ndarray, shank: float, events: list[LiveEvent]) -> None:
        st = self.set
        if st is None:
            return
        frontal = self.view in ("front", "back")
        h = st.add(t, heel_components(xy, self.side, frontal), frontal, shank, self.config.keep_s)
        thr = st.threshold()
        if not math.isfinite(thr):
            return
        r = self.config.analysis.reps
        st.state, evs = step(st.state, Sample(i, t, h, thr), r.min_rep_s)
        for ev in evs:
            self.watch.note_machine(ev.kind, t)
            if ev.kind == "rep" and st.span >= r.min_range:
                self._on_rep(Cycle(ev.bottom_i, ev.top_i, i), t, events)

    def _signal(self, end_t: float = math.inf) -> _Window | None:
        """The stance so far (its last keep_s, up to end_t), read as batch analysis reads a stance."""
        st = self.set
        base = max(st.start_i, self.history.offset)
        tracks = self._tracks(base, end_t)
        if tracks is None:
            return None
        n = len(tracks.t)
        frontal = np.asarray(st.frontal[base - st.start_i:base - st.start_i + n], bool)
        sig = stance_signal(tracks, self.side, 0, n, frontal, self.config.analysis.reps)
        return None if sig is None else _Window(tracks, sig, base)

    def _local(self, c: Cycle, base: int) -> Cycle:
        return Cycle(c.bottom0 - base, c.top - base, c.bottom1 - base)

    def _on_rep(self, cand: Cycle, t: float, events: list[LiveEvent]) -> None:
        """The machine counted a rep: keep it if batch analysis of the stance so far would."""
        st, win = self.set, self._signal()
        if win is None:
            return
        sig, base = win.sig, win.base
        now = self._local(cand, base)
        if now.bottom0 < 0 or not _clears(sig, now):
            return
        known = [self._local(c, base) for c, _ in st.counted + st.pending if c.bottom0 >= base]
        accepted = accept_cycles(sig, known + [now], self.config.analysis.reps, ended=False)
        tops = {c.top for c in accepted}
        st.pending = [(c, d) for c, d in st.pending if c.bottom0 < base or c.top - base in tops]
        mine = [c for c in accepted if c.top == now.top]
        if mine:
            c = mine[0]
            young = t - self.stance[self.side].state.since_t < self.config.analysis.stance.min_stance_s
            st.recheck = st.recheck or young
            st.pending.append((Cycle(c.bottom0 + base, c.top + base, c.bottom1 + base), self._doubtful(sig, c, accepted)))
        self._release(t, events, win)

    def _doubtful(self, sig: StanceSignal, c: Cycle, cycles: list[Cycle]) -> bool:
        """A rep that barely clears the flat-foot level may be the rise back to a flat foot (before
        stepping off, or the step up): batch analysis judges it against the set's typical top, so
        it waits for a second rep."""
        flat = flat_level(sig, cycles, self.config.analysis.reps, ended=False)
        return flat is not None and sig.h[c.top] - flat < flat - sig.h[c.bottom0]

    def _release(self, t: float, events: list[LiveEvent], win: _Window | None = None) -> None:
        """Count the waiting reps once the stance is a set (old enough, the foot not moving away)."""
        st, stance = self.set, self.stance[self.side]
        if t - stance.state.since_t < self.config.analysis.stance.min_stance_s or stance.tentative:
            return
        if st.recheck:  # they waited for the stance to be a set: judge them again now that its range has grown
            st.recheck = False
            win = self._signal()
            if win is None:
                return
            st.pending = [(c, d) for c, d in st.pending
                          if c.bottom0 < win.base or _clears(win.sig, self._local(c, win.base))]
        while st.pending:
            cycle, doubtful = st.pending[0]
            if doubtful and len(st.counted) + len(st.pending) < 2:
                return
            st.counted.append(st.pending.pop(0))
            st.rep_ids.append(len(self.reps) + 1)
            self._count(LiveRep(len(self.reps) + 1, t, cycle, view=self.view), t, events, win)

    def _count(self, rep: LiveRep, t: float, events: list[LiveEvent], win: _Window | None) -> None:
        prev = self.reps[-1] if self.reps else None
        self.reps.append(rep)
        events.append(LiveEvent("rep_counted", t, rep))
        if prev is not None and prev.times is None and prev.index in self.set.rep_ids:
            self._time([prev, rep], t, events, win)

    # ------------------------------------------------------------------ timing
    def _time(self, reps: list[LiveRep], t: float, events: list[LiveEvent], win: _Window | None,
              set_end: float | None = None, final: bool = False) -> None:
        """Place the phase times of finished reps by the batch rules on the stance so far, and judge them.

        Each rep ends where the next one rises from; the last one given is timed only at the set's
        end (set_end: it then ends at its lowest point, with the set's typical bottom pause).
        """
        win = win if win is not None else self._signal()
        reps = [r for r in reps if win is not None and r.cycle.bottom0 >= win.base]
        if not reps:
            return
        sig, base = win.sig, win.base
        cycles = [self._local(replace(r.cycle, bottom1=n.cycle.bottom0), base) for r, n in zip(reps, reps[1:])]
        cycles.append(self._last_cycle(reps[-1], base) if set_end is not None else self._local(reps[-1].cycle, base))
        accepted = accept_cycles(sig, cycles, replace(self.config.analysis.reps, min_rise_above_flat=0.0))
        if len(accepted) != len(cycles):
            accepted = cycles
        times = time_cycles(sig, accepted, self.config.analysis.reps)
        if set_end is not None:
            times[-1] = finish_last_pause(times[-1], self._typical_bottom_pause(times[:-1]), set_end)
        else:
            reps, times = reps[:-1], times[:-1]
        timed = [replace(r, times=p, tempo=tempo(p)) for r, p in zip(reps, times)]
        for rep in timed:
            self.reps[rep.index - 1] = replace(rep, faults=window_faults(self, rep, win.tracks, sig, base))
            events.append(LiveEvent("rep_timed", t, self.reps[rep.index - 1], text="final" if final else ""))

    def _time_final(self, reps: list[LiveRep], t: float, events: list[LiveEvent], win: _Window,
                    set_end: float) -> None:
        """The set is over: read its whole stance as batch analysis does (the machine over the batch
        signal, the batch rules) and give each rep the times of the batch rep around its top; a rep
        batch would not find keeps its live timing."""
        sig, base, r = win.sig, win.base, self.config.analysis.reps
        reps = [x for x in reps if x.cycle.bottom0 >= base]
        batch = accept_cycles(sig, fold_reps(sig.t, sig.h, sig.threshold, r.min_rep_s)[0], r)
        times = time_cycles(sig, batch, r)
        if times:
            times[-1] = finish_last_pause(times[-1], self._typical_bottom_pause(times[:-1]), set_end)
        for rep in reps:
            top = rep.cycle.top - base
            k = next((j for j, c in enumerate(batch) if c.bottom0 <= top <= c.bottom1), -1)
            if k < 0:  # batch would not see this rep: keep its live timing (the set's last: time it alone)
                if rep.times is None:
                    self._time([rep], t, events, win, set_end=set_end, final=True)
                continue
            timed = replace(rep, times=times[k], tempo=tempo(times[k]))
            self.reps[rep.index - 1] = replace(timed, faults=window_faults(self, timed, win.tracks, sig, base))
            events.append(LiveEvent("rep_timed", t, self.reps[rep.index - 1], text="final"))

    def _last_cycle(self, rep: LiveRep, base: int) -> Cycle:
        """The set's last rep ends at the lowest point since its top (as batch: the machine's last low)."""
        st = self.set.state
        if st.mode == "bottom" and st.lo_i > rep.cycle.top:
            b1 = st.lo_i
        elif st.mode == "top" and st.bottom_i > rep.cycle.top:  # it rose again (back to flat) since
            b1 = st.bottom_i
        else:
            b1 = rep.cycle.bottom1
        return self._local(Cycle(rep.cycle.bottom0, rep.cycle.top, b1), base)

    def _typical_bottom_pause(self, times: list[PhaseTimes]) -> float:
        pauses = [p.t_end - p.t_bottom for p in times if not p.end_estimated]
        pauses += [r.times.t_end - r.times.t_bottom for r in self.reps
                   if not times and r.times is not None and not r.times.end_estimated]
        return float(np.median(pauses)) if pauses else 0.0

    def _end_set(self, t_end: float, events: list[LiveEvent]) -> None:
        """The stance ended at t_end: settle the waiting reps as batch would, time the last one."""
        st = self.set
        if st is None:
            return
        win = self._signal(t_end)
        if win is not None and st.pending and t_end - st.since_t >= self.config.analysis.stance.min_stance_s:
            base = win.base
            n = len(win.sig.t)
            known = [self._local(c, base) for c, _ in st.counted + st.pending if c.bottom0 >= base and c.bottom1 < base + n]
            tops = {c.top + base for c in accept_cycles(win.sig, known, self.config.analysis.reps)}
            for cycle, _ in st.pending:  # (one whose foot never tilted back down after its top: stepping off)
                if cycle.top in tops and cycle.top < cycle.bottom1 < base + len(win.sig.t):
                    st.rep_ids.append(len(self.reps) + 1)
                    self._count(LiveRep(len(self.reps) + 1, t_end, cycle, view=self.view), t_end, events, win)
        end = win.base + len(win.sig.t) if win is not None else self.history.end
        late = [r for r in self.reps if r.index in st.rep_ids and r.cycle.bottom1 >= end]
        for rep in late:  # its lowering was confirmed after the foot began to step away: not a rep of this set
            self.reps.remove(rep)
            events.append(LiveEvent("rep_withdrawn", t_end, rep, text="the foot was stepping away"))
        mine = [r for r in self.reps if r.index in st.rep_ids]
        if mine and win is not None:  # now that the whole set is seen, time all its reps once more
            self._time_final(mine, t_end, events, win, t_end)
        self.set = None
        self._set_end_i = self.history.end
        events.append(LiveEvent("stance_end", t_end))

    def _attach_warning(self, fault: dict) -> None:
        """A fault seen as it happened belongs to the rep in progress (the next to be counted) or the last."""
        if self.reps and self.reps[-1].times is None and fault["t_start"] <= self.reps[-1].t_counted + 1.0:
            self.reps[-1] = replace(self.reps[-1], warnings=self.reps[-1].warnings + (fault,))
        else:
            self.unassigned.append(fault)

    # ------------------------------------------------------------------ display
    def _gauge_value(self, t: float) -> float | None:
        st = self.set
        if st is None or not st.h or not np.isfinite(st.h[-1]) or not st.hi_ref > st.lo_ref:
            return None
        g = self._gauge(t, np.array((st.h[-1] - st.lo_ref) / (st.hi_ref - st.lo_ref)))
        return None if g is None else float(np.clip(g, -0.1, 1.1))


def _clears(sig: StanceSignal, c: Cycle) -> bool:
    """On the batch signal the rep rises to its peak by the batch hysteresis (its fall, just confirmed
    on the live signal, is still under way)."""
    h = sig.h[c.bottom0:c.bottom1 + 1]
    if not np.isfinite(h).any():
        return False
    k = int(np.nanargmax(h))
    return bool(h[k] - np.nanmin(h[:k + 1]) >= sig.threshold)
