"""Per-rep measurements for the report: heel range (degrees, foot lengths, shank lengths, cm), knee, hip, trunk."""

from __future__ import annotations

import math

import numpy as np

from formcheck.core.config import ScaleConfig
from formcheck.core.reps.timing import PhaseTimes
from formcheck.core.signal.body import BodySignals
from formcheck.core.signal.filters import time_window

SHANK_PER_HEIGHT = 0.246  # knee-to-ankle length / body height (Drillis & Contini anthropometry)
SAGITTAL_VIEWS = ("side", "oblique")
NEAR_S = 0.05  # a value "at" a moment: the median over this much either side


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


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def rep_metrics(
    body: BodySignals, h: np.ndarray, p: PhaseTimes, view: str, foot_px: float, forward: float, scale: ScaleConfig
) -> dict:
    """{"heel_range": heel_range(...), **posture(...)} of one rep; foot_px and forward: its stance's."""
    t = body.t
    bottom = (p.t_start - 0.3, p.t_start + 0.02)  # the heel's lowest point just before the rise
    angles = None
    if view in SAGITTAL_VIEWS and math.isfinite(foot_px):
        ang = body.foot_angle_deg
        angles = min_in(t, ang, *bottom), max_in(t, ang, p.t_top_start, p.t_top_end)
    rise = max_in(t, h, p.t_top_start, p.t_top_end) - min_in(t, h, *bottom)
    return {"heel_range": heel_range(rise, angles, scale), **posture(body, forward, p)}


def heel_range(shank_frac: float, angles: tuple[float, float] | None, scale: ScaleConfig) -> dict:
    """Heel rise of one rep: shank lengths, foot angle and foot lengths (side views), cm when scaled."""
    out = {
        "foot_angle_deg": None,
        "foot_length_frac": None,
        "shank_frac": _r(shank_frac),
        "cm": None,
        "cm_source": None,
        "bottom_foot_angle_deg": None,
        "top_foot_angle_deg": None,
    }
    if angles is not None:
        a_bot, a_top = angles
        frac = np.sin(np.radians(a_top)) - np.sin(np.radians(a_bot))
        out.update(
            foot_angle_deg=_r(a_top - a_bot, 1),
            foot_length_frac=_r(frac),
            bottom_foot_angle_deg=_r(a_bot, 1),
            top_foot_angle_deg=_r(a_top, 1),
        )
    if scale.foot_cm and out["foot_length_frac"] is not None:
        out.update(cm=_r(out["foot_length_frac"] * scale.foot_cm, 1), cm_source="foot_cm")
    elif scale.height_cm and np.isfinite(shank_frac):
        out.update(cm=_r(shank_frac * SHANK_PER_HEIGHT * scale.height_cm, 1), cm_source="height_cm")
    return out


def posture(body: BodySignals, forward: float, p: PhaseTimes) -> dict:
    """Knee bend at the bottom and top, hip and shoulder forward travel in the rise, trunk lean (forward
    positive)."""
    t, knee = body.t, body.knee_deg

    def at(x: np.ndarray, when: float) -> float:
        return median_in(t, x, when - NEAR_S, when + NEAR_S)

    def travel(x: np.ndarray) -> float:  # forward over the rise
        return (at(x, p.t_top_start) - at(x, p.t_start)) * forward

    top_mid = (p.t_top_start + p.t_top_end) / 2
    return {
        "knee_flexion_bottom_deg": _r(at(knee, p.t_start), 1),
        "knee_flexion_top_deg": _r(at(knee, top_mid), 1),
        "knee_flexion_range_deg": _r(
            max_in(t, knee, p.t_start - 0.2, p.t_end) - min_in(t, knee, p.t_start - 0.2, p.t_end), 1
        ),
        "hip_forward_travel_leg_frac": _r(travel(body.hip_x)),
        "shoulder_forward_travel_leg_frac": _r(travel(body.shoulder_x)),
        "trunk_lean_bottom_deg": _r(at(body.lean_deg, p.t_start) * forward, 1),
        "trunk_lean_top_deg": _r(at(body.lean_deg, p.t_top_start) * forward, 1),
    }
