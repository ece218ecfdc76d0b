"""Live feedback: the phase being performed, the tempo cue, and faults as they happen. Pure.

Three faults are warned about the moment they can be seen (thresholds from FaultConfig, the same
as batch): a fast lowering when the heel reaches the bottom, a bounce when it turns straight back
up, and the torso helping as soon as the lean or hip shift crosses its threshold during the rise.
Every other fault is judged when the rep is finished, by the batch detectors run over the stance
so far (`window_faults`).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from formcheck.core.config import AnalysisConfig
from formcheck.core.fault_rules import DWELL_BAND, TAIL_PER_RAMP
from formcheck.core.fault_rules import _ramp_time as ramp_time  # the batch definition of a ramp's time
from formcheck.core.faults import SPECS
from formcheck.core.landmarks import INDEX
from formcheck.core.live_signal import LowPass

if TYPE_CHECKING:  # pragma: no cover
    from formcheck.core.clean import CleanTracks
    from formcheck.core.live import LiveRep, LiveTracker
    from formcheck.core.rep_signal import StanceSignal

BOTTOM_BAND = (0.2, 0.3)  # the gauge enters the bottom below the first level and leaves it above the second
TOP_BAND = (0.8, 0.7)  # ... the top likewise (hysteresis: noise at an edge does not flicker the phase)
SAGITTAL = ("side", "oblique")
TURN_RISE = 0.1  # the heel is rising again once this far (of the set's travel) above its lowest point
TURN_FRAMES = 1  # ... on this many frames in a row, each higher than the one before
TURN_TAIL = 0.3  # share of a smooth rise's 10-90 % time spent getting TURN_RISE off the bottom


def _fault(fid: str, value: float, threshold: float, t0: float, t1: float, major: bool) -> dict:
    return {"id": fid, "severity": "major" if major else "minor", "t_start": round(t0, 3), "t_end": round(t1, 3),
            "value": round(float(value), 3), "threshold": float(threshold), "cue": SPECS[fid].cue}


class FaultWatch:
    """Follows the heel gauge (0 = the set's bottom, 1 = its top) frame by frame.

    Phases come from bands of the gauge with hysteresis, and from the rep machine (a confirmed rise
    or fall switches the phase even when a short top or shallow bottom never reaches a band). Ramp
    times (10-90 % of the travel) and the bottom hold use the batch definitions on the recent trace.
    """

    def __init__(self, cfg: AnalysisConfig) -> None:
        self.cfg = cfg.faults
        self.phase: str | None = None
        self.phase_t = math.nan
        self._trace: list[tuple[float, float]] = []  # (t, gauge) of the last few seconds
        self.rise_s = math.nan  # 10-90 % of the last rise
        self.lower_s = math.nan  # 90-10 % of the last lowering
        self._lowering: dict | None = None  # the lowering under way: its start, whether judged, bounce armed
        self._rise_start = -math.inf
        self._rise_t = self._fall_t = -math.inf
        self._torso = _TorsoWatch(cfg)

    def update(self, t: float, gauge: float | None, mode: str, view: str, xy: np.ndarray, side: str | None,
               leg_px: float) -> tuple[str | None, float, str | None, list[dict]]:
        """(phase, seconds in it, tempo cue, faults fired on this frame); mode: the rep machine's."""
        if gauge is None:
            self._trace, self.phase, self._lowering = [], None, None
            return None, 0.0, None, []
        self._trace.append((t, gauge))
        while self._trace[0][0] < t - 8.0:
            self._trace.pop(0)
        fired: list[dict] = []
        phase = self._next_phase(gauge, mode)
        if phase != self.phase:
            fired += self._on_change(self.phase, phase, t, xy, side)
            self.phase, self.phase_t = phase, t
        low = self._lowering
        if low is not None and not low["judged"] and gauge <= 0.1:  # down at the set's usual bottom
            fired += self._judge_lowering(t, bottom=0.0)
        if low is not None and low.get("armed"):
            fired += self._check_bounce(t)
        if self.phase in ("rise", "top") and side is not None and view in SAGITTAL:
            fired += self._torso.check(t, xy, side, leg_px)
        return self.phase, t - self.phase_t, self._tempo_cue(t, gauge), fired

    def _next_phase(self, g: float, mode: str) -> str:
        p = self.phase
        if g < BOTTOM_BAND[0] or (p == "bottom" and g < BOTTOM_BAND[1]):
            return "bottom"
        if g > TOP_BAND[0] or (p == "top" and g > TOP_BAND[1]):
            return "top"
        if p in ("top", "lower") or (p == "rise" and mode == "bottom" and self._rise_t < self._fall_t):
            return "lower"
        return "rise"

    def note_machine(self, kind: str, t: float) -> None:
        """The rep machine confirmed a rise or a fall (a short top never reaches the top band)."""
        if kind == "rise":
            self._rise_t = t
        else:
            self._fall_t = t

    def _on_change(self, old: str | None, new: str, t: float, xy: np.ndarray, side: str | None) -> list[dict]:
        fired: list[dict] = []
        if new == "rise" and self._lowering is not None and not self._lowering["judged"]:
            fired += self._judge_lowering(t, bottom=None)  # a shallow bottom: it ended above the usual one
        if new == "lower":
            self._lowering = {"t0": t, "judged": False}
        if new == "rise":
            self._rise_start = t
            if side is not None:
                self._torso.start(t, xy, side)
        return fired

    def _window(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray]:
        tr = np.asarray(self._trace)
        idx = np.flatnonzero((tr[:, 0] >= t0) & (tr[:, 0] <= t1))
        return tr, idx

    def _judge_lowering(self, t: float, bottom: float | None) -> list[dict]:
        """The lowering just ended: its 10-90 % time (from this rep's top to `bottom`, or to its own
        lowest point) against this rep's rise, by the batch rule (core/fault_detect.rule_fast_lowering)."""
        cfg, low = self.cfg, self._lowering
        low["judged"] = True
        tr, idx = self._window(min(self._rise_start, low["t0"] - 1.0) - 0.5, t)
        if idx.size < 4:
            return []
        g = tr[idx, 1]
        k = int(np.argmax(g))  # this rep's top
        end = float(np.min(g[k:])) if bottom is None else bottom
        self.lower_s = lower = ramp_time(tr[:, 0], tr[:, 1], idx[k:], float(g[k]), end)
        self.rise_s = rise = ramp_time(tr[:, 0], tr[:, 1], idx[:k + 1], float(np.min(g[:k + 1])), float(g[k]))
        low["armed"] = lower < cfg.bounce_max_lower_s
        low["t_top"] = float(tr[idx[k], 0])
        if not math.isfinite(lower):
            return []
        ratio = lower / rise if rise > 0 else math.nan
        if math.isfinite(ratio) and ratio < cfg.min_lower_rise_ratio and lower < cfg.ratio_applies_below_s:
            excess = (cfg.min_lower_rise_ratio - ratio) / cfg.min_lower_rise_ratio
            return [_fault("fast_lowering", ratio, cfg.min_lower_rise_ratio, low["t0"], t, excess >= cfg.major_excess)]
        if lower < cfg.min_lower_s:
            excess = (cfg.min_lower_s - lower) / cfg.min_lower_s
            return [_fault("fast_lowering", lower, cfg.min_lower_s, low["t0"], t, excess >= cfg.major_excess)]
        return []

    def _check_bounce(self, t: float) -> list[dict]:
        """After a fast drop, as soon as the heel is clearly rising again (TURN_RISE above its lowest
        point): the hold at the bottom is the time since it came within DWELL_BAND of that point, minus
        the lowering's tail and the part of the rise seen so far (the batch estimate of
        core/fault_rules.holds, cut at the turn; the rise taken as long as this rep's)."""
        cfg, low = self.cfg, self._lowering
        tr, idx = self._window(low["t_top"], t)
        g = tr[idx, 1]
        k = int(np.argmin(g))
        if k > len(g) - TURN_FRAMES or not np.all(g[-TURN_FRAMES:] > g[k] + TURN_RISE) \
                or not np.all(np.diff(g[-TURN_FRAMES:]) > 0):
            return []  # not yet clearly and steadily rising (noise in a hold is not a turn)
        low["armed"] = False
        inside = np.flatnonzero(g[:k + 1] > g[k] + DWELL_BAND)
        entered = float(tr[idx[inside[-1] + 1], 0]) if inside.size else float(tr[idx[0], 0])
        rise = self.rise_s if math.isfinite(self.rise_s) else self.lower_s
        hold = (t - entered) - TAIL_PER_RAMP * self.lower_s - TURN_TAIL * rise
        if hold >= cfg.bounce_max_hold_s:
            return []
        return [_fault("bounce", max(hold, 0.0), cfg.bounce_max_hold_s, entered, t, True)]

    def _tempo_cue(self, t: float, g: float) -> str | None:
        """'slower' while the lowering is on course to be quicker than the last rise."""
        if self.phase != "lower" or not self.rise_s > 0 or len(self._trace) < 4:
            return None
        (t0, g0), (t1, g1) = self._trace[-4], self._trace[-1]
        v = (g1 - g0) / (t1 - t0) if t1 > t0 else 0.0
        if v >= 0:
            return None
        projected = (t - self.phase_t) + max(g - 0.1, 0.0) / -v
        return "slower" if projected < 0.8 * self.rise_s / 0.8 else None


class _TorsoWatch:
    """Trunk lean and hip travel since the rise began (forward positive), smoothed."""

    def __init__(self, cfg: AnalysisConfig) -> None:
        self.cfg = cfg.faults
        self._lean = LowPass(4.0)
        self._hip = LowPass(4.0)
        self._ref: tuple[float, float, float, float] | None = None  # t0, lean0, hip0, forward
        self._fired = False

    def start(self, t: float, xy: np.ndarray, side: str) -> None:
        lean, hip = self._read(t, xy, side)
        toe, heel = xy[INDEX[f"{side}_foot_index"], 0], xy[INDEX[f"{side}_heel"], 0]
        forward = 1.0 if not np.isfinite(toe - heel) or toe >= heel else -1.0
        self._ref = (t, lean, hip, forward)
        self._fired = False

    def _read(self, t: float, xy: np.ndarray, side: str) -> tuple[float, float]:
        sh = (xy[INDEX["left_shoulder"]] + xy[INDEX["right_shoulder"]]) / 2
        hp = (xy[INDEX["left_hip"]] + xy[INDEX["right_hip"]]) / 2
        d = sh - hp
        lean = self._lean(t, np.array(math.degrees(math.atan2(d[0], -d[1])))) if np.isfinite(d).all() else None
        hip = self._hip(t, np.array(xy[INDEX[f"{side}_hip"], 0]))
        return (float(lean) if lean is not None else math.nan), (float(hip) if hip is not None else math.nan)

    def check(self, t: float, xy: np.ndarray, side: str, leg_px: float) -> list[dict]:
        lean, hip = self._read(t, xy, side)
        if self._ref is None or self._fired:
            return []
        t0, lean0, hip0, fwd = self._ref
        cfg = self.cfg
        lean_change = (lean - lean0) * fwd
        travel = (hip - hip0) * fwd / leg_px if leg_px > 0 else math.nan
        for value, threshold in ((lean_change, cfg.max_lean_change_deg), (travel, cfg.max_hip_travel)):
            if math.isfinite(value) and value > threshold:
                self._fired = True
                major = (value - threshold) / threshold >= cfg.major_excess
                return [_fault("torso_help", value, threshold, t0, t, major)]
        return []


def window_faults(tracker: "LiveTracker", rep: "LiveRep", tracks: "CleanTracks", sig: "StanceSignal",
                  base: int) -> tuple[dict, ...]:
    """The batch fault detectors (core/fault_detect) over the stance so far; the faults of `rep`."""
    from formcheck.core.analyze import Analysis, RepResult
    from formcheck.core.fault_detect import detect_faults

    reps = [RepResult(r.index, r.times, r.view or tracker.view, {}) for r in tracker.reps
            if r.times is not None and r.cycle.bottom0 >= base and r.index != rep.index]
    mine = RepResult(rep.index, rep.times, rep.view or tracker.view, {})
    reps = sorted(reps + [mine], key=lambda r: r.times.t_start)
    analysis = Analysis(side=tracker.side, side_evidence=None, signal_side=tracker.side, views=[], stances=[],
                        reps=reps, warnings=[], faults_not_checked=[], t=tracks.t, h=sig.h, tracks=tracks)
    detect_faults(analysis, tracker.config.analysis.faults)
    return tuple(mine.faults)
