"""Phase timing of a set and the scalar signals the motion model is built from.

Every signal is an exact, vectorized function of time, so the truth (phase times) and
the trajectory come from the same numbers.  Heights are metres of the back of the heel
relative to the flat-foot level (the step top); positive is up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.script import RepScript, SetScript, effective_rep, fault_param, rep_heights_m, size_of

STEP_S = 2.4  # duration of stepping on or off the step
SETUP_LOWER_S = 1.2  # flat foot -> first bottom, before rep 1
FINISH_RISE_S = 1.0  # last bottom -> flat foot, after the last rep
REBOUND_M = 0.02  # size of the bounce rebound
REBOUND_S = 0.15  # duration of the rebound pop (the second dip takes as long)


@dataclass(frozen=True)
class RepTiming:
    """Phase boundaries of one rep (seconds) and its heights (m, heel back vs flat foot)."""

    t_start: float
    t_top_start: float
    t_top_end: float
    t_bottom: float
    t_end: float
    top_m: float
    bottom_m: float
    start_m: float
    faults: tuple[str, ...]
    bounce: bool
    script: RepScript | None = None  # the rep as scripted (its clean tempo and fault sizes)


@dataclass(frozen=True)
class Timeline:
    """When everything happens in a clip."""

    reps: tuple[RepTiming, ...]
    duration: float
    step_on: tuple[float, float] | None
    step_off: tuple[float, float] | None
    set_start: float  # flat foot, about to lower into the first bottom
    set_end: float  # back to flat foot after the last rep
    ramp: str = "min_jerk"  # the shape of a rise or lowering (RAMPS)


def min_jerk(u: np.ndarray) -> np.ndarray:
    """0 -> 1 with zero velocity and acceleration at both ends (u clipped to [0, 1])."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10 - 15 * u + 6 * u**2)


def cosine(u: np.ndarray) -> np.ndarray:
    """0 -> 1 as a raised cosine (zero velocity at both ends, sharper starts than min_jerk)."""
    return (1.0 - np.cos(np.clip(u, 0.0, 1.0) * np.pi)) / 2


RAMPS = {"min_jerk": min_jerk, "cosine": cosine}


def ease_in(u: np.ndarray) -> np.ndarray:
    """0 -> 1 starting at rest and arriving at full speed (a drop into a bounce)."""
    return 1.0 - np.cos(np.clip(u, 0.0, 1.0) * np.pi / 2)


def build_timeline(script: SetScript) -> Timeline:
    """Phase times of every rep, stepping and standing."""
    t = 0.0
    step_on = None
    if script.step_on:
        step_on, t = (0.0, STEP_S), STEP_S
    t += script.lead_in_s
    set_start = t
    t += SETUP_LOWER_S + 0.6
    tops, bottoms = rep_heights_m(script)
    reps, start_m = [], -script.bottom_cm / 100
    for i, raw in enumerate(script.reps):
        rep = effective_rep(raw)
        t0, t1 = t, t + rep.rise_s
        t2 = t1 + rep.top_pause_s
        t3 = t2 + rep.lower_s
        t4 = t3 + rep.bottom_pause_s
        reps.append(
            RepTiming(t0, t1, t2, t3, t4, tops[i], bottoms[i], start_m, tuple(raw.faults), "bounce" in raw.faults, raw)
        )
        start_m, t = bottoms[i], t4
    last_pause = 0.3 if reps[-1].bounce else 0.0
    set_end = t + last_pause + FINISH_RISE_S
    t = set_end + script.lead_out_s
    step_off = None
    if script.step_off:
        step_off, t = (t, t + STEP_S), t + STEP_S + 0.5
    return Timeline(tuple(reps), t, step_on, step_off, set_start, set_end, script.ramp)


def _ramp(h: np.ndarray, t: np.ndarray, t0: float, t1: float, h0: float, h1: float, prof=min_jerk) -> None:
    """Fill h on [t0, t1) (t sorted) with a profile from h0 to h1."""
    i0, i1 = np.searchsorted(t, [t0, t1])
    if i1 > i0:
        h[i0:i1] = h0 + (h1 - h0) * prof((t[i0:i1] - t0) / max(t1 - t0, 1e-9))


def heel_height(tl: Timeline, t: np.ndarray) -> np.ndarray:
    """Heel-back height (m) relative to the flat foot at sorted times t."""
    t = np.asarray(t, dtype=float)
    if t.size > 1 and np.any(np.diff(t) < 0):
        order = np.argsort(t)
        out = np.empty_like(t)
        out[order] = heel_height(tl, t[order])
        return out
    h = np.zeros_like(t)
    first, last = tl.reps[0], tl.reps[-1]
    _ramp(h, t, tl.set_start, tl.set_start + SETUP_LOWER_S, 0.0, first.start_m)
    h[np.searchsorted(t, tl.set_start + SETUP_LOWER_S) : np.searchsorted(t, first.t_start)] = first.start_m
    for r in tl.reps:
        _ramp(h, t, r.t_start, r.t_top_start, r.start_m, r.top_m, RAMPS[tl.ramp])
        _ramp(h, t, r.t_top_start, r.t_top_end, r.top_m, r.top_m)
        _ramp(h, t, r.t_top_end, r.t_bottom, r.top_m, r.bottom_m, lowering_profile(r, RAMPS[tl.ramp]))
        _ramp(h, t, r.t_bottom, last.t_end if r is last else r.t_end, r.bottom_m, r.bottom_m)
    rise_start = tl.set_end - FINISH_RISE_S
    _ramp(h, t, last.t_end, rise_start, last.bottom_m, last.bottom_m)
    _ramp(h, t, rise_start, tl.set_end, last.bottom_m, 0.0)
    return h + rebound(tl, t)


def lowering_profile(r: RepTiming, clean=min_jerk):
    """0 -> 1 over the lowering: the set's ramp (clean); a legacy bounce accelerates all the way (ease_in); a sized
    bounce is min-jerk blended with u**n so that it arrives at speed_ratio x the clean lowering's peak
    speed (1.875 x clean range / clean lowering time), the speed-up packed into about the last drop_s."""
    size = size_of(r.script, "bounce") if r.bounce and r.script is not None else None
    if not r.bounce:
        return clean
    if size is None:
        return ease_in
    lower = r.t_bottom - r.t_top_end
    clean_range = r.top_m - (r.bottom_m + size.get("overshoot_cm", 0.0) / 100)
    end_slope = size.size * 1.875 * (clean_range / r.script.lower_s) * lower / max(r.top_m - r.bottom_m, 1e-9)
    n = max(1.0 + 0.69 * lower / size.get("drop_s", 0.2), end_slope, 2.0)
    w = min(end_slope / n, 1.0)
    return lambda u: (1 - w) * clean(u) + w * np.clip(u, 0.0, 1.0) ** n


def rebound(tl: Timeline, t: np.ndarray) -> np.ndarray:
    """The elastic pop (and small second dip) right after each bounce rep's bottom."""
    out = np.zeros_like(np.asarray(t, dtype=float))
    for r in tl.reps:
        if not r.bounce:
            continue
        size = REBOUND_M if r.script is None else fault_param(r.script, "bounce", "rebound_cm") / 100
        s = t - r.t_bottom
        pop = (s >= 0) & (s < REBOUND_S)
        dip = (s >= REBOUND_S) & (s < 2 * REBOUND_S)
        out += np.where(pop, size * np.sin(np.pi * s / REBOUND_S), 0.0)
        out += np.where(dip, -0.3 * size * np.sin(np.pi * (s - REBOUND_S) / REBOUND_S), 0.0)
    return out


def rise_envelope(r: RepTiming, t: np.ndarray) -> np.ndarray:
    """0 at the rep's bottoms, 1 through its top: the shape of faults that grow with the rise."""
    up = min_jerk((t - r.t_start) / (r.t_top_start - r.t_start))
    down = 1 - min_jerk((t - r.t_top_end) / (r.t_bottom - r.t_top_end))
    return np.where(t < r.t_top_end, np.where(t >= r.t_start, up, 0.0), np.where(t < r.t_bottom, down, 0.0))


def drive_envelope(r: RepTiming, t: np.ndarray, peak: float = 0.3) -> np.ndarray:
    """Knee drive: bends over the first `peak` of the rise (heel still low), straightens by the top."""
    u = (t - r.t_start) / (r.t_top_start - r.t_start)
    bend = min_jerk(u / peak)
    straighten = 1 - min_jerk((u - peak) / (1 - peak))
    return np.where((u >= 0) & (u < 1), np.where(u < peak, bend, straighten), 0.0)


def touch_envelope(r: RepTiming, t: np.ndarray) -> np.ndarray:
    """Free foot: down over the first quarter of the rise, on the step until 60 %, then back up.

    A sized free_leg_assist stays down for contact_share of the rise, centred at 45 % of it (a brush
    is a short touch), coming down and going up over min(0.2, start) of the rise each."""
    u = (t - r.t_start) / (r.t_top_start - r.t_start)
    size = size_of(r.script, "free_leg_assist") if r.script is not None else None
    if size is None:
        down = min_jerk(u / 0.25)
        up = 1 - min_jerk((u - 0.6) / 0.4)
    else:
        u0 = max(0.45 - size.size / 2, 0.05)
        u1 = min(u0 + size.size, 0.9)
        ramp = min(0.2, u0, 1.0 - u1)
        down = min_jerk((u - u0 + ramp) / ramp)
        up = 1 - min_jerk((u - u1) / ramp)
    return np.where((u >= 0) & (u < 1), np.minimum(down, up), 0.0)


SHAPES = {"knee_drive": drive_envelope, "free_leg_assist": touch_envelope}


def fault_signal(tl: Timeline, t: np.ndarray, fault: str) -> np.ndarray:
    """Sum over reps carrying `fault` of that fault's envelope (0..1)."""
    shape = SHAPES.get(fault, rise_envelope)
    out = np.zeros_like(np.asarray(t, dtype=float))
    for r in tl.reps:
        if fault in r.faults:
            out += shape(r, t)
    return out


def fault_amount(tl: Timeline, t: np.ndarray, fault: str, param: str, convert=float) -> np.ndarray:
    """Sum over reps carrying `fault` of its envelope times convert(the rep's size parameter).

    Reps never overlap, so with every rep at the legacy size this equals convert(legacy) x fault_signal."""
    shape = SHAPES.get(fault, rise_envelope)
    out = np.zeros_like(np.asarray(t, dtype=float))
    for r in tl.reps:
        if fault in r.faults:
            out += shape(r, t) * convert(fault_param(r.script, fault, param))
    return out


# sway component -> amplitude at sway = 1 (peak of the sum of three slow sines of random frequency and phase)
SWAY = {
    "hip_x_m": 0.01,
    "hip_z_m": 0.01,
    "trunk_rad": float(np.radians(1.5)),
    "pelvis_rad": float(np.radians(1.0)),
    "knee_deg": 2.0,
    "free_foot_m": 0.02,
}


def sway_signals(seed: int, amount: float, t: np.ndarray) -> dict[str, np.ndarray]:
    """Balance sway on one leg: each component a sum of three sines of 0.15-0.9 Hz with random phases,
    scaled so its peak over a long set is about amount x SWAY; zeros when amount is 0."""
    t = np.asarray(t, dtype=float)
    if amount <= 0:
        return {k: np.zeros_like(t) for k in SWAY}
    rng = np.random.default_rng([seed, 7919])
    out = {}
    for k, peak in SWAY.items():
        f = rng.uniform(0.15, 0.9, 3)
        ph = rng.uniform(0, 2 * np.pi, 3)
        w = rng.uniform(0.5, 1.0, 3)
        out[k] = amount * peak * (w[:, None] * np.sin(2 * np.pi * f[:, None] * t + ph[:, None])).sum(0) / w.sum()
    return out
