"""Every number reported for a rep, measured once and rounded as it is reported.

The table shows these numbers, the fault rules judge these very numbers (faults/rules.py) and the live tracker
shows them: a rep can never show a 0.6 s top pause and carry "no top pause".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from formcheck.core.config import ScaleConfig
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import BodySignals, body_signals
from formcheck.core.signal.clean import CleanTracks, tracking_quality
from formcheck.core.signal.filters import gradient, lowpass, time_window

SHANK_PER_HEIGHT = 0.246  # knee-to-ankle length / body height (Drillis & Contini anthropometry)
SAGITTAL_VIEWS = ("side", "oblique")
NEAR_S = 0.05  # a value "at" a moment: the median over this much either side
BEFORE_RISE_S = 0.3  # the bottom a rise leaves from: the lowest point this long before its start
# The rep's four phases, each a span of its phase times (the faults are each reported over one: faults/rules), and
# the margin either side of a phase, within the rep, its tracking quality is read over (the top's level is read
# within 2 x NEAR_S of it; some numbers reach further: the foot angle BEFORE_RISE_S before the rise).
PHASE_SPANS = {
    "rise": ("t_start", "t_top_start"),
    "top": ("t_top_start", "t_top_end"),
    "lowering": ("t_top_end", "t_bottom"),
    "bottom": ("t_bottom", "t_end"),
}
PHASE_PAD_S = 2 * NEAR_S
LEVELS_HZ = 2.5  # the heel signal is low-passed this much more before its levels are read (no glitch sets them)
SPEED_HZ = 4.0  # ... and this much before its peak lowering speed is read


@dataclass(frozen=True, eq=False)
class RepSignals:
    """What a rep is measured on: the body's signals, the heel-height signal h (shank lengths, up positive; the
    pelvis in front and back views; NaN outside stances), its low-passed copy for levels and the heel's speed
    (shank lengths/s, low-passed at SPEED_HZ: enough to keep a quick drop's peak, which 2 Hz halves)."""

    body: BodySignals
    h: np.ndarray
    h_smooth: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class RepNumbers:
    """One rep's numbers, rounded as reported (None where they cannot be measured)."""

    concentric_s: float | None  # the rise
    top_pause_s: float | None
    eccentric_s: float | None  # the lowering
    bottom_pause_s: float | None  # until the next rise (estimated for the last rep of a stance)
    bottom_pause_estimated: bool  # True for a last rep: no next rise ended its pause, the set's typical one is given
    time_under_tension_s: float | None
    eccentric_concentric_ratio: float | None
    start_level: float | None  # heel signal just before the rise (shank lengths)
    top_level: float | None
    bottom_level: float | None  # where the lowering ends
    lowering_speed: float | None  # the lowering's peak speed, shank lengths/s
    heel_range: dict  # the rise: shank lengths, foot angle and foot lengths (side views), cm when scaled
    knee_flexion_bottom_deg: float | None
    knee_flexion_top_deg: float | None
    knee_flexion_range_deg: float | None  # the knee's bend range from just before the rise to the top
    hip_forward_travel_leg_frac: float | None  # from the rise's start to the top, forward positive
    shoulder_forward_travel_leg_frac: float | None
    trunk_lean_bottom_deg: float | None  # forward positive
    trunk_lean_top_deg: float | None
    trunk_lean_change_deg: float | None  # top minus bottom
    hip_drop_change_shank: float | None  # how much more the free-side hip hangs at the top than at the start
    free_foot_min_gap_shank: float | None  # the free foot's lowest height above the working toe during the rise

    def to_dict(self) -> dict:
        return asdict(self)

    def reading(self, measure: str) -> float | None:
        """The number `measure` as measured: None where it was not (missing, or a bottom pause that is only the
        set's typical one, a last rep's: no next rise ended it)."""
        if measure == "bottom_pause_s" and self.bottom_pause_estimated:
            return None
        return getattr(self, measure)


@dataclass(frozen=True)
class SegmentedRep:
    """A rep as segmented: its phase times, view, and its stance's foot length (pixels) and facing (+1: the toes
    point to image +x)."""

    times: PhaseTimes
    view: str
    foot_px: float
    forward: float


@dataclass(frozen=True)
class MeasuredRep:
    """A rep with its numbers and tracking quality (the share of its frames where the working leg was seen), over
    the rep and in each phase (phase_quality: PHASE_SPANS' names -> quality)."""

    times: PhaseTimes
    view: str
    numbers: RepNumbers
    quality: float
    phase_quality: dict[str, float] = field(default_factory=dict)

    def quality_in(self, phase: str) -> float:
        return seen_in_phase(self.quality, self.phase_quality, phase)


def seen_in_phase(quality: float, phase_quality: dict[str, float], phase: str) -> float:
    """The tracking quality a number read in a phase rests on: the rep's (its phase times rest on all of it), or
    the phase's where that is lower (a swap of the feet during the rise spoils the rise's numbers, not the top's);
    the rep's for a phase not measured."""
    return min(quality, phase_quality.get(phase, quality))


def measure_reps(
    tracks: CleanTracks, side: str, h: np.ndarray, reps: list[SegmentedRep], scale: ScaleConfig
) -> list[MeasuredRep]:
    """Every rep's numbers, on the heel signal h (NaN outside stances) and the body's signals."""
    speed = gradient(tracks.t, lowpass(tracks.t, h, SPEED_HZ))
    sig = RepSignals(body_signals(tracks, side), h, lowpass(tracks.t, h, LEVELS_HZ), speed)
    return [
        MeasuredRep(
            r.times,
            r.view,
            measure_rep(sig, r.times, r.view, r.foot_px, r.forward, scale),
            tracking_quality(tracks, side, r.times.t_start, r.times.t_end),
            phase_quality(tracks, side, r.times),
        )
        for r in reps
    ]


def phase_quality(tracks: CleanTracks, side: str, p: PhaseTimes) -> dict[str, float]:
    """The tracking quality in each of the rep's phases (PHASE_SPANS) and PHASE_PAD_S either side, within the rep
    (the live tracker reads a set's first rep from its stance's start: so does this); left out for a phase with an
    unknown time or not filmed yet (the live tracker times a rep before its last phase is filmed)."""
    out = {}
    for name, (a, b) in PHASE_SPANS.items():
        start, end = getattr(p, a), getattr(p, b)
        if not (np.isfinite(start) and np.isfinite(end)) or not len(tracks.t) or start > tracks.t[-1]:
            continue
        out[name] = tracking_quality(tracks, side, max(start - PHASE_PAD_S, p.t_start), min(end + PHASE_PAD_S, p.t_end))
    return out


def seen_in(t: np.ndarray, x: np.ndarray, a: float, b: float) -> np.ndarray:
    """The finite values of x with a <= t <= b."""
    part = x[time_window(t, a, b)]
    return part[np.isfinite(part)]


def median_in(t: np.ndarray, x: np.ndarray, a: float, b: float) -> float:
    part = seen_in(t, x, a, b)
    return float(np.median(part)) if part.size else math.nan


def min_in(t: np.ndarray, x: np.ndarray, a: float, b: float) -> float:
    part = seen_in(t, x, a, b)
    return float(part.min()) if part.size else math.nan


def max_in(t: np.ndarray, x: np.ndarray, a: float, b: float) -> float:
    part = seen_in(t, x, a, b)
    return float(part.max()) if part.size else math.nan


def r(x: float | None, nd: int = 3) -> float | None:
    """Rounded as reported; None for a missing number."""
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def tempo(p: PhaseTimes) -> dict[str, float | None]:
    """The rep's phase durations, as the report gives them."""
    con, top = p.t_top_start - p.t_start, p.t_top_end - p.t_top_start
    ecc, bottom = p.t_bottom - p.t_top_end, p.t_end - p.t_bottom
    return {
        "concentric_s": r(con),
        "top_pause_s": r(top),
        "eccentric_s": r(ecc),
        "bottom_pause_s": r(bottom),
        "time_under_tension_s": r(p.t_end - p.t_start),
        "eccentric_concentric_ratio": r(ecc / con if con > 0 else math.nan, 2),
    }


def measure_rep(
    sig: RepSignals, p: PhaseTimes, view: str, foot_px: float, forward: float, scale: ScaleConfig
) -> RepNumbers:
    """All the numbers of one rep; foot_px and forward (+1: the toes point to image +x) are its stance's."""
    t, hs = sig.body.t, sig.h_smooth
    start = min_in(t, hs, p.t_start - BEFORE_RISE_S, p.t_start + NEAR_S)
    top = max_in(t, hs, p.t_top_start - 2 * NEAR_S, p.t_top_end + 2 * NEAR_S)
    bottom = min_in(t, hs, p.t_bottom - 2 * NEAR_S, max(p.t_end, p.t_bottom + BEFORE_RISE_S))
    speed = -min_in(t, sig.v, p.t_top_end, p.t_bottom + NEAR_S)
    angles = None
    if view in SAGITTAL_VIEWS and math.isfinite(foot_px):
        ang = sig.body.foot_angle_deg
        angles = (
            min_in(t, ang, p.t_start - BEFORE_RISE_S, p.t_start + NEAR_S),
            max_in(t, ang, p.t_top_start, p.t_top_end),
        )
    return RepNumbers(
        **tempo(p),
        bottom_pause_estimated=bool(p.end_estimated),
        start_level=r(start),
        top_level=r(top),
        bottom_level=r(bottom),
        lowering_speed=r(speed, 2),
        heel_range=heel_range(top - start, angles, scale),
        **posture(sig.body, forward, p),
    )


def heel_range(shank_frac: float, angles: tuple[float, float] | None, scale: ScaleConfig) -> dict:
    """Heel rise of one rep: shank lengths, foot angle and foot lengths (side views), cm when scaled."""
    out = {
        "foot_angle_deg": None,
        "foot_length_frac": None,
        "shank_frac": r(shank_frac),
        "cm": None,
        "cm_source": None,
        "bottom_foot_angle_deg": None,
        "top_foot_angle_deg": None,
    }
    if angles is not None:
        a_bot, a_top = angles
        frac = np.sin(np.radians(a_top)) - np.sin(np.radians(a_bot))
        out.update(
            foot_angle_deg=r(a_top - a_bot, 1),
            foot_length_frac=r(frac),
            bottom_foot_angle_deg=r(a_bot, 1),
            top_foot_angle_deg=r(a_top, 1),
        )
    if scale.foot_cm and out["foot_length_frac"] is not None:
        out.update(cm=r(out["foot_length_frac"] * scale.foot_cm, 1), cm_source="foot_cm")
    elif scale.height_cm and np.isfinite(shank_frac):
        out.update(cm=r(shank_frac * SHANK_PER_HEIGHT * scale.height_cm, 1), cm_source="height_cm")
    return out


def posture(body: BodySignals, forward: float, p: PhaseTimes) -> dict:
    """Knee, hip, shoulder, trunk, hips and free foot over the rise: from its start to the top."""
    t = body.t

    def at(x: np.ndarray, when: float) -> float:
        return median_in(t, x, when - NEAR_S, when + NEAR_S)

    def change(x: np.ndarray) -> float:  # from the rise's start to the top
        return at(x, p.t_top_start) - at(x, p.t_start)

    rise = (p.t_start - 4 * NEAR_S, p.t_top_start + 2 * NEAR_S)
    lean_bottom, lean_top = at(body.lean_deg, p.t_start) * forward, at(body.lean_deg, p.t_top_start) * forward
    return {
        "knee_flexion_bottom_deg": r(at(body.knee_deg, p.t_start), 1),
        "knee_flexion_top_deg": r(at(body.knee_deg, (p.t_top_start + p.t_top_end) / 2), 1),
        "knee_flexion_range_deg": r(max_in(t, body.knee_deg, *rise) - min_in(t, body.knee_deg, *rise), 1),
        "hip_forward_travel_leg_frac": r(change(body.hip_x) * forward),
        "shoulder_forward_travel_leg_frac": r(change(body.shoulder_x) * forward),
        "trunk_lean_bottom_deg": r(lean_bottom, 1),
        "trunk_lean_top_deg": r(lean_top, 1),
        "trunk_lean_change_deg": r(lean_top - lean_bottom, 1),
        "hip_drop_change_shank": r(change(body.hip_drop)),
        "free_foot_min_gap_shank": r(min_in(t, body.free_gap, p.t_start, p.t_top_start)),
    }
