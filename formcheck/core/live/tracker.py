"""Live analysis: landmarks in, one frame at a time; rep count, phase and warnings out. Pure (no clock).

Every signal, threshold and rule is the batch one, fed causally:
- each frame's heel height is the batch one (signal/body.heel_height) read causally on the stance so far
  (live/state.StanceSet.add: levels refreshed every few frames, the ground's drift held, not interpolated); the
  rep machine (reps/machine.step) runs on it with the batch hysteresis (reps/stance.rep_threshold) of the stance
  so far;
- the body scale is signal/clean.body_scale of the last seconds, the view context/view.classify_view of the
  last second, the working side context/side.detect_side;
- when the machine counts a rep (its lowering is confirmed), the stance so far is cleaned and read as batch
  analysis reads a stance (reps/stance: the foot-tilt and flat-foot checks) and the rep is counted only if
  batch analysis would accept it; its phase times are placed by the batch rule once the next rep starts or the
  set ends, and its faults judged by the batch detector (faults/detect.detect_faults) on the stance so far.
Early warnings use the same detector on the rep so far: the rise's faults when the rep is counted (its lowering
confirmed and the stance a set: a rep that is never counted warns of nothing), the lowering's and bottom's when
the next rise is.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from formcheck.core.context.side import better_seen, detect_side
from formcheck.core.context.stance import foot_point
from formcheck.core.context.view import classify_view, facing_dx, is_frontal, width_ratio
from formcheck.core.landmarks import INDEX, LandmarkSeries
from formcheck.core.live.causal import History, JumpGate, LowPass, StanceTracker
from formcheck.core.live.phase import PhaseDisplay
from formcheck.core.live.state import LiveConfig, LiveEvent, LiveRep, LiveUpdate, StanceSet, Window, clears
from formcheck.core.live.timing import SetTiming
from formcheck.core.reps.machine import Cycle, Sample, step
from formcheck.core.reps.stance import StanceSignal, accept_cycles, flat_level, stance_signal
from formcheck.core.signal.body import ground_witnesses, heel_components
from formcheck.core.signal.clean import CleanTracks, body_scale, clean_tracks, gate
from formcheck.errors import FormcheckError

SIDES = ("left", "right")
BOTH_AFTER_S = 3.0  # both feet planted this long without a cue to the working side: a two-leg raise
SCALE_EVERY_S, SCALE_WINDOW_S = 0.5, 10.0  # the body scale: refreshed this often, over this long
RISE_FAULTS = ("torso_help", "knee_drive", "free_leg_assist")  # judged once the top is passed


class LiveTracker(SetTiming):
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
        self.view_segments: list[tuple[float, str]] = []  # (start time, view), starts placed as batch places them
        self.shank_px = math.nan
        self._shank_t = -math.inf
        self.set: StanceSet | None = None
        self._set_end_i = 0  # a new set starts after the frames of the last one
        self._side_open = False  # the side is the better-seen leg of two planted feet: look again
        self._side_checked = -math.inf
        self.reps: list[LiveRep] = []
        self._gauge = LowPass(self.config.gauge_hz)
        self.display = PhaseDisplay()
        self.last_rise_s = math.nan  # the last judged rep's rise (10-90 %), for the tempo cue
        self.unassigned: list[dict] = []  # live warnings outside any counted rep

    # ------------------------------------------------------------------ per frame
    def update(self, t: float, xy: np.ndarray, vis: np.ndarray, mediapipe_xy: np.ndarray | None = None) -> LiveUpdate:
        """One frame's landmarks (its heels and toes fused with the refined ones: then mediapipe_xy, MediaPipe's own,
        whose swaps of the feet count as batch counts them: signal/clean.clean_tracks)."""
        raw_xy = np.array(xy, dtype=float).reshape(-1, 2)
        raw_vis = np.array(vis, dtype=float).reshape(-1)
        xy = gate(raw_xy, raw_vis, self.config.analysis.cleaning.min_visibility)
        xy = self.gate(t, xy, self.shank_px, standing=all(self.stance[s].state.still for s in SIDES))
        vis = np.where(np.isnan(xy[:, 0]), np.nan, raw_vis)  # a refused glitch counts as unseen
        mediapipe = None if mediapipe_xy is None else np.array(mediapipe_xy, dtype=float).reshape(-1, 2)
        i = self.history.append(t, xy, vis, mediapipe)
        shank = self.shank_px = self._update_shank(t)
        events: list[LiveEvent] = []
        self._update_view(t, xy, events)
        for s in SIDES:
            if (
                self.stance[s].update(t, i, foot_point(xy, s), xy[INDEX[f"{s}_foot_index"]], shank) == "end"
                and s == self.side
            ):
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
        phase, phase_s, cue = None, 0.0, None
        if self.set is not None:
            st = self.set
            phase, phase_s, cue = self.display.update(t, st.t, st.h, st.state, st.start_i, self.last_rise_s)
        return LiveUpdate(
            t,
            i,
            bool(np.isfinite(xy).any()),
            self.side,
            self.view,
            self.set is not None,
            gauge,
            phase,
            phase_s,
            len(self.reps),
            cue,
            tuple(events),
        )

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
    def _update_shank(self, t: float) -> float:
        """The body scale of the last SCALE_WINDOW_S (signal/clean.body_scale), refreshed every SCALE_EVERY_S."""
        if t - self._shank_t < SCALE_EVERY_S and math.isfinite(self.shank_px):
            return self.shank_px
        xy, vis = self.history.recent(SCALE_WINDOW_S)
        shank, _ = body_scale(xy, vis, self.config.analysis.cleaning.min_visibility)
        self._shank_t = t if math.isfinite(shank) else -math.inf
        return shank

    def _update_view(self, t: float, xy: np.ndarray, events: list[LiveEvent]) -> None:
        """The batch view rule (context/view) on the last view_window_s; a change is taken once it has held for
        min_segment_s (batch merges shorter views into their neighbours)."""
        ratio = float(width_ratio(xy))
        if math.isfinite(ratio):
            self._views.append((t, ratio, bool(facing_dx(xy) > 0)))
        while self._views and self._views[0][0] < t - self.config.view_window_s:
            self._views.pop(0)
        if not self._views:
            return
        r = float(np.median([v[1] for v in self._views]))
        facing = 2 * sum(v[2] for v in self._views) > len(self._views)
        label = str(classify_view(r, facing, self.config.analysis.view))
        if not self.view:
            self.view = label
            self.view_segments.append((t, label))
        elif label == self.view:
            self._view_pending = None
        elif self._view_pending is None or self._view_pending[0] != label:
            self._view_pending = (label, t)
        elif t - self._view_pending[1] >= self.config.analysis.view.min_segment_s:
            # the view changed where the window's median did, half a window before it showed (batch's median is
            # centred): the frames since then are re-labelled, so the stance is re-read as batch reads it
            start = max(self._view_pending[1] - self.config.view_window_s / 2, self.view_segments[-1][0])
            self.view, self._view_pending = label, None
            self.view_segments.append((start, label))
            if self.set is not None:
                self.set.relabel(start, is_frontal(label))
            events.append(LiveEvent("view", t, text=label))

    def view_at(self, t: float) -> str:
        """The view at time t (as batch: a rep's view is the view at its top)."""
        starts = [s for s, _ in self.view_segments]
        k = int(np.searchsorted(starts, t, "right")) - 1
        return self.view_segments[max(k, 0)][1] if self.view_segments else self.view

    def _decide_side(self, t: float, events: list[LiveEvent]) -> None:
        """Once a foot has stood still for side_decide_s: the batch vote (context/side.detect_side).

        A cue (the free knee bent, the free foot held up) decides. With none, both feet are planted: after
        BOTH_AFTER_S it is a two-leg raise read from the better-seen leg, and the cues are looked at again every
        second in case a foot is lifted (someone standing before stepping onto the step).
        """
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
            side, self._side_open = better_seen(tracks.vis), not self.want_both
        elif side == "both":
            return
        else:
            self._side_open = False
        if side != self.side:
            self._end_set(t, events)
            self.side = side
            events.append(LiveEvent("side", t, text=side))

    def _tracks(self, start: int, end_t: float = math.inf) -> CleanTracks | None:
        """The batch cleaning of the kept frames from absolute index `start`, before end_t (None if the legs are
        not seen)."""
        t, xy, vis = self.history.since(start)
        # MediaPipe's own points are gated with the frames' visibility, which is NaN where live's jump gate refused
        # the fused point: batch gates with the raw visibility (the same small difference as for xy itself)
        mediapipe = self.history.mediapipe_since(start)
        keep = t < end_t
        t, xy, vis = t[keep], xy[keep], vis[keep]
        if len(t) < 5:
            return None
        series = LandmarkSeries(t=t, xy=xy, z=np.full(vis.shape, np.nan), vis=vis, width=1, height=1)
        try:
            return clean_tracks(series, self.config.analysis.cleaning, None if mediapipe is None else mediapipe[keep])
        except FormcheckError:
            return None

    # ------------------------------------------------------------------ the set
    def _start_set(self, t: float, events: list[LiveEvent]) -> None:
        start = max(self.stance[self.side].state.start_i, self.history.offset, self._set_end_i)
        self.set = StanceSet(start, self.stance[self.side].state.since_t, self.config.analysis)
        ts, xys, _ = self.history.since(start)
        for k in range(len(ts) - 1):  # the frames since the foot became still, each in the view it had
            frontal = is_frontal(self.view_at(float(ts[k])))
            self._feed(float(ts[k]), start + k, xys[k], self.shank_px, [], frontal)
        events.append(LiveEvent("stance_start", t))

    def _feed(
        self, t: float, i: int, xy: np.ndarray, shank: float, events: list[LiveEvent], frontal: bool | None = None
    ) -> None:
        """One frame into the set (frontal: its view is front or back; default: the view now)."""
        st = self.set
        if st is None:
            return
        if frontal is None:
            frontal = is_frontal(self.view)
        parts = {k: heel_components(xy, self.side, k) for k in (True, False)}
        h = st.add(t, parts, ground_witnesses(xy, self.side), frontal, shank, self.config.keep_s)
        thr = st.threshold()
        if not math.isfinite(thr):
            return
        r = self.config.analysis.reps
        st.state, evs = step(st.state, Sample(i, t, h, thr), r.min_rep_s)
        for ev in evs:
            if ev.kind == "rep" and st.span >= r.min_range:
                self._on_rep(Cycle(ev.bottom_i, ev.top_i, i), t, events)
            elif ev.kind == "rise":
                self._on_rise(ev.bottom_i, t, events)

    def _signal(self, end_t: float = math.inf) -> Window | None:
        """The stance so far (its last keep_s, up to end_t), read as batch analysis reads a stance."""
        st = self.set
        base = max(st.start_i, self.history.offset)
        tracks = self._tracks(base, end_t)
        if tracks is None:
            return None
        n = len(tracks.t)
        frontal = np.asarray(st.labelled_frontal[base - st.start_i : base - st.start_i + n], bool)
        sig = stance_signal(tracks, self.side, 0, n, frontal, self.config.analysis.reps)
        return None if sig is None else Window(tracks, sig, base)

    def _local(self, c: Cycle, base: int) -> Cycle:
        return Cycle(c.bottom0 - base, c.top - base, c.bottom1 - base)

    def _on_rep(self, cand: Cycle, t: float, events: list[LiveEvent]) -> None:
        """The machine counted a rep: keep it if batch analysis of the stance so far would, and judge its rise; it
        and its rise's faults wait (pending) until the stance is a set, then are counted and warned (_release)."""
        st, win = self.set, self._signal()
        if win is None:
            return
        sig, base = win.sig, win.base
        now = self._local(cand, base)
        if now.bottom0 < 0 or not clears(sig, now):
            return
        known = [self._local(p[0], base) for p in st.counted + st.pending if p[0].bottom0 >= base]
        accepted = accept_cycles(sig, known + [now], self.config.analysis.reps, ended=False)
        tops = {c.top for c in accepted}
        st.pending = [p for p in st.pending if p[0].bottom0 < base or p[0].top - base in tops]
        mine = [c for c in accepted if c.top == now.top]
        if mine:
            c = mine[0]
            young = t - self.stance[self.side].state.since_t < self.config.analysis.stance.min_stance_s
            st.recheck = st.recheck or young
            cycle = Cycle(c.bottom0 + base, c.top + base, c.bottom1 + base)
            st.pending.append((cycle, self._doubtful(sig, c, accepted), self._so_far(win, [c], RISE_FAULTS)))
        self._release(t, events, win)

    def _doubtful(self, sig: StanceSignal, c: Cycle, cycles: list[Cycle]) -> bool:
        """A rep that barely clears the flat-foot level may be the rise back to a flat foot (before stepping off,
        or the step up): batch analysis judges it against the set's typical top, so it waits for a second rep."""
        flat = flat_level(sig, cycles, self.config.analysis.reps, ended=False)
        return flat is not None and sig.h[c.top] - flat < flat - sig.h[c.bottom0]

    def _release(self, t: float, events: list[LiveEvent], win: Window | None = None) -> None:
        """Count the waiting reps once the stance is a set (old enough, the foot not moving away)."""
        st, stance = self.set, self.stance[self.side]
        if t - stance.state.since_t < self.config.analysis.stance.min_stance_s or stance.tentative:
            return
        if st.recheck:  # they waited for the stance to be a set: judge them again now that its range has grown
            st.recheck = False
            win = self._signal()
            if win is None:
                return
            st.pending = [
                p for p in st.pending if p[0].bottom0 < win.base or clears(win.sig, self._local(p[0], win.base))
            ]
        while st.pending:
            cycle, doubtful, faults = st.pending[0]
            if doubtful and len(st.counted) + len(st.pending) < 2:
                return
            st.counted.append(st.pending.pop(0))
            st.rep_ids.append(len(self.reps) + 1)
            self._count(LiveRep(len(self.reps) + 1, t, cycle, view=self.view), t, events, win, faults)

    def _count(
        self, rep: LiveRep, t: float, events: list[LiveEvent], win: Window | None, faults: tuple[dict, ...] = ()
    ) -> None:
        """Count a rep, warn of the faults of its rise found when the machine counted it, and time the one before
        it (whose bottom pause this rep's rise ends)."""
        prev = self.reps[-1] if self.reps else None
        rep = replace(rep, side=self.side)
        self.reps.append(rep)
        events.append(LiveEvent("rep_counted", t, rep))
        self._fire(faults, t, events)
        if prev is not None and prev.times is None and prev.index in self.set.rep_ids:
            self._time([prev, rep], t, events, win)

    # ------------------------------------------------------------------ display
    def _gauge_value(self, t: float) -> float | None:
        st = self.set
        if st is None or not st.h or not np.isfinite(st.h[-1]) or not st.hi_ref > st.lo_ref:
            return None
        g = self._gauge(t, np.array((st.h[-1] - st.lo_ref) / (st.hi_ref - st.lo_ref)))
        return None if g is None else float(np.clip(g, -0.1, 1.1))
