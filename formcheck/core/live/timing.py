"""The live tracker's timing half: phase times and faults of finished reps by the batch rules on the stance so
far, early warnings, and the end of a set. Mixed into LiveTracker (core/live/tracker.py), whose state it uses."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from formcheck.core.faults.detect import FaultReport, detect_faults
from formcheck.core.live.state import LiveEvent, LiveRep, Window, lowered
from formcheck.core.reps.machine import Cycle, fold_reps
from formcheck.core.reps.metrics import SegmentedRep, measure_reps, tempo
from formcheck.core.reps.stance import accept_cycles, time_cycles
from formcheck.core.reps.timing import PhaseTimes, finish_last_pause, typical_bottom_pause
from formcheck.core.signal.body import foot_length_px, forward_sign, free_foot_hang

BOTTOM_FAULTS = ("bounce", "fast_lowering", "shallow_bottom")  # judged once the next rise starts


class SetTiming:
    """Methods of LiveTracker that time and judge the reps of the set under way."""

    def _on_rise(self, bottom_i: int, t: float, events: list[LiveEvent]) -> None:
        """The next rise started: the last rep's lowering and bottom are over; warn of their faults."""
        last = self.reps[-1] if self.reps else None
        if last is None or last.times is not None or self.set is None or last.index not in self.set.rep_ids:
            return
        win = self._signal()
        if win is None or last.cycle.bottom0 < win.base or bottom_i <= last.cycle.top:
            return
        cycle = self._local(replace(last.cycle, bottom1=bottom_i), win.base)
        if not lowered(win.sig, cycle):  # a dip inside the top hold: the lowering is still to come
            return
        rising = len(win.sig.t) - 1  # the next rise so far: from the bottom to now
        next_rise = Cycle(cycle.bottom1, rising, rising) if rising > cycle.bottom1 else None
        self._fire(self._so_far(win, [cycle], BOTTOM_FAULTS, next_rise=next_rise), t, events)

    def _so_far(
        self, win: Window, cycles: list[Cycle], only: tuple[str, ...], next_rise: Cycle | None = None
    ) -> tuple[dict, ...]:
        """The faults (only those in `only`) of the rep of `cycles[-1]` so far, by the batch detector on the stance
        so far, against the reps already timed in it. next_rise: the rise under way after it; timed with it by the
        batch rules, the rep ends where that rise's fitted start is, as in the report (without it the rep's bottom
        pause is not known yet)."""
        done = [r for r in self.reps if r.times is not None and r.cycle.bottom0 >= win.base and r.view]
        if next_rise is None:
            now = time_cycles(win.sig, cycles, self.config.analysis.reps)[-1:]
        else:
            now = time_cycles(win.sig, [*cycles, next_rise], self.config.analysis.reps)[-2:-1]
        report = self._detect(win, [r.times for r in done] + now, [r.view for r in done] + [self.view], only)
        return tuple(report.faults[-1]) if now else ()

    def _fire(self, faults: tuple[dict, ...], t: float, events: list[LiveEvent]) -> None:
        """Warn of faults of the rep in progress (the last counted) as they happen."""
        for fault in faults:
            events.append(LiveEvent("fault", t, text=fault["id"], fault=fault))
            self._attach_warning(fault)

    def _detect(
        self, win: Window, times: list[PhaseTimes], views: list[str], only: tuple[str, ...] | None = None
    ) -> FaultReport:
        """The batch measures and detector (reps/metrics, faults/detect) over reps of the stance so far."""
        tracks, n = win.tracks, len(win.sig.h)
        h = np.pad(win.sig.h, (0, len(tracks.t) - n), constant_values=np.nan)
        foot_px, forward = foot_length_px(tracks.smooth, self.side), forward_sign(tracks.smooth, self.side)
        reps = [SegmentedRep(p, view, foot_px, forward) for p, view in zip(times, views)]
        measured = measure_reps(tracks, self.side, h, reps, self.config.analysis.scale)
        if measured:
            self.last_rise_s = measured[-1].numbers.concentric_s or math.nan  # for the tempo cue
        return detect_faults(measured, free_foot_hang(tracks, self.side), self.config.analysis.faults, only)

    def _time(
        self,
        reps: list[LiveRep],
        t: float,
        events: list[LiveEvent],
        win: Window | None,
        set_end: float | None = None,
        final: bool = False,
    ) -> None:
        """Place the phase times of finished reps by the batch rules on the stance so far, and judge them.

        Each rep ends where the next one rises from; the last one given is timed only at the set's end (set_end:
        it then ends at its lowest point, with the set's typical bottom pause).
        """
        win = win if win is not None else self._signal()
        reps = [r for r in reps if win is not None and r.cycle.bottom0 >= win.base]
        if not reps:
            return
        sig, base = win.sig, win.base
        cycles = [self._local(replace(r.cycle, bottom1=n.cycle.bottom0), base) for r, n in zip(reps, reps[1:])]
        cycles.append(
            self._last_cycle(reps[-1], base, len(sig.t)) if set_end is not None else self._local(reps[-1].cycle, base)
        )
        accepted = accept_cycles(sig, cycles, replace(self.config.analysis.reps, min_rise_above_flat=0.0))
        if len(accepted) != len(cycles):
            accepted = cycles
        times = time_cycles(sig, accepted, self.config.analysis.reps)
        if set_end is not None:
            times[-1] = finish_last_pause(times[-1], self._typical_bottom_pause(times[:-1]), set_end)
        else:
            reps, times = reps[:-1], times[:-1]
        for rep, p, c in zip(reps, times, accepted):
            self.reps[rep.index - 1] = replace(rep, times=p, tempo=tempo(p), view=self.view_at(float(sig.t[c.top])))
        self._judge([self.reps[r.index - 1] for r in reps], win, t, events, final)

    def _time_final(self, reps: list[LiveRep], t: float, events: list[LiveEvent], win: Window, set_end: float) -> None:
        """The set is over: read its whole stance as batch analysis does (the machine over the batch signal, the
        batch rules) and give each rep the times of the batch rep around its top; a rep batch would not find keeps
        its live timing."""
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
            view = self.view_at(float(sig.t[batch[k].top]))
            self.reps[rep.index - 1] = replace(rep, times=times[k], tempo=tempo(times[k]), view=view)
        self._judge(
            [self.reps[x.index - 1] for x in reps if self.reps[x.index - 1].times is not None],
            win,
            t,
            events,
            final=True,
        )

    def _judge(self, reps: list[LiveRep], win: Window, t: float, events: list[LiveEvent], final: bool) -> None:
        """The batch fault detector over the timed reps of the stance so far; the faults of `reps`."""
        if not reps:
            return
        timed = sorted(
            (r for r in self.reps if r.times is not None and r.cycle.bottom0 >= win.base), key=lambda r: r.times.t_start
        )
        report = self._detect(win, [r.times for r in timed], [r.view or self.view for r in timed])
        faults = {r.index: (tuple(f), tuple(u)) for r, f, u in zip(timed, report.faults, report.uncertain)}
        for rep in reps:
            found, doubtful = faults.get(rep.index, ((), ()))
            self.reps[rep.index - 1] = replace(self.reps[rep.index - 1], faults=found, uncertain=doubtful)
            events.append(LiveEvent("rep_timed", t, self.reps[rep.index - 1], text="final" if final else ""))

    def _last_cycle(self, rep: LiveRep, base: int, n: int) -> Cycle:
        """The set's last rep ends at the lowest point since its top (as batch: the machine's last low), within the
        window's n frames (the machine's state can already hold a frame the window does not)."""
        st = self.set.state
        if st.mode == "bottom" and st.lo_i > rep.cycle.top:
            b1 = st.lo_i
        elif st.mode == "top" and st.bottom_i > rep.cycle.top:  # it rose again (back to flat) since
            b1 = st.bottom_i
        else:
            b1 = rep.cycle.bottom1
        return self._local(Cycle(rep.cycle.bottom0, rep.cycle.top, min(b1, base + n - 1)), base)

    def _typical_bottom_pause(self, times: list[PhaseTimes]) -> float:
        if not times:  # no other rep in this window: the session's timed reps
            times = [r.times for r in self.reps if r.times is not None]
        return typical_bottom_pause(times)

    def _end_set(self, t_end: float, events: list[LiveEvent]) -> None:
        """The stance ended at t_end: settle the waiting reps as batch would, time the last one."""
        st = self.set
        if st is None:
            return
        win = self._signal(t_end)
        if win is not None and st.pending and t_end - st.since_t >= self.config.analysis.stance.min_stance_s:
            base = win.base
            n = len(win.sig.t)
            known = [
                self._local(p[0], base)
                for p in st.counted + st.pending
                if p[0].bottom0 >= base and p[0].bottom1 < base + n
            ]
            tops = {c.top + base for c in accept_cycles(win.sig, known, self.config.analysis.reps)}
            for cycle, _, faults in st.pending:  # (one whose foot never tilted back down after its top: stepping off)
                if cycle.top in tops and cycle.top < cycle.bottom1 < base + len(win.sig.t):
                    st.rep_ids.append(len(self.reps) + 1)
                    rep = LiveRep(len(self.reps) + 1, t_end, cycle, view=self.view)
                    self._count(rep, t_end, events, win, faults)
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
        """A fault warned as it happened belongs to the rep in progress (the last counted, not yet timed)."""
        if self.reps and self.reps[-1].times is None and fault["t_start"] <= self.reps[-1].t_counted + 1.0:
            self.reps[-1] = replace(self.reps[-1], warnings=self.reps[-1].warnings + (fault,))
        else:
            self.unassigned.append(fault)
