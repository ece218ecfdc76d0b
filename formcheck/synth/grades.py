"""Fault sizes in physical units, and the named grades (subtle / moderate / blatant) real people show.

The grade table follows "How large real faults are" in the shared MediaPipe notes: "subtle" is where a
detector may honestly fail, "moderate" the size a coach calls out, "blatant" a caricature.  Each grade
is a range per parameter; :func:`grade_size` takes its middle, or draws inside it with a seeded rng (so
a set of clips spreads the sizes along the detection curve).

A fault listed on a :class:`~formcheck.synth.script.RepScript` without a :class:`FaultSize` keeps the
fixed size the sample videos were rendered with (grade "legacy", see :data:`LEGACY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from formcheck.errors import InputError

GRADE_NAMES = ("subtle", "moderate", "blatant")

# fault -> grade -> parameter -> (low, high).  Units in the parameter names (s, cm, deg, frac, ratio).
GRADES: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "bounce": {  # speed_ratio: speed into the bottom / the clean lowering's peak speed (1.875 x range / time)
        "subtle": {
            "speed_ratio": (1.5, 2.0),
            "rebound_cm": (0.8, 1.2),
            "overshoot_cm": (0.0, 0.0),
            "lower_s": (0.0, 0.0),
            "drop_s": (0.2, 0.2),
        },
        "moderate": {
            "speed_ratio": (2.5, 3.0),
            "rebound_cm": (2.0, 3.0),
            "overshoot_cm": (0.8, 1.2),
            "lower_s": (1.0, 1.3),
            "drop_s": (0.25, 0.25),
        },
        "blatant": {
            "speed_ratio": (4.0, 5.0),
            "rebound_cm": (3.0, 4.0),
            "overshoot_cm": (1.0, 1.5),
            "lower_s": (0.4, 0.4),
            "drop_s": (0.2, 0.2),
        },
    },
    "fast_lowering": {
        "subtle": {"lower_s": (0.8, 1.0)},
        "moderate": {"lower_s": (0.5, 0.7)},
        "blatant": {"lower_s": (0.3, 0.3)},
    },
    # raise_cm: the bottom stops this much higher than the set's other bottoms.  Moderate / blatant are
    # given as the stop height above the step line (stop_cm) and turned into raise_cm with the set's depth.
    "shallow_bottom": {
        "subtle": {"raise_cm": (1.0, 2.0)},
        "moderate": {"stop_cm": (0.0, 1.0)},
        "blatant": {"stop_cm": (2.0, 3.0)},
    },
    "short_top": {
        "subtle": {"rise_frac": (0.80, 0.85)},
        "moderate": {"rise_frac": (0.5, 0.7)},
        "blatant": {"rise_frac": (0.4, 0.4)},
    },
    "no_top_pause": {"subtle": {"hold_s": (0.08, 0.12)}, "moderate": {"hold_s": (0.0, 0.05)}},
    "torso_help": {
        "subtle": {"hip_cm": (2.5, 3.5), "trunk_deg": (4.0, 6.0)},
        "moderate": {"hip_cm": (5.0, 10.0), "trunk_deg": (8.0, 14.0)},
        "blatant": {"hip_cm": (15.0, 15.0), "trunk_deg": (20.0, 20.0)},
    },
    "knee_drive": {
        "subtle": {"bend_deg": (8.0, 10.0)},
        "moderate": {"bend_deg": (15.0, 25.0)},
        "blatant": {"bend_deg": (35.0, 35.0)},
    },
    # contact_share: the part of the rise the free forefoot is down on the step (a brush is a short touch)
    "free_leg_assist": {
        "subtle": {"contact_share": (0.05, 0.1)},
        "moderate": {"contact_share": (0.3, 0.4)},
        "blatant": {"contact_share": (0.7, 0.7)},
    },
    "hips_not_level": {
        "subtle": {"drop_deg": (4.0, 5.0)},
        "moderate": {"drop_deg": (8.0, 12.0)},
        "blatant": {"drop_deg": (20.0, 20.0)},
    },
    "arch_collapse": {
        "subtle": {"roll_deg": (6.0, 8.0)},
        "moderate": {"roll_deg": (12.0, 16.0)},
        "blatant": {"roll_deg": (25.0, 25.0)},
    },
    "roll_out": {
        "subtle": {"roll_deg": (6.0, 8.0)},
        "moderate": {"roll_deg": (12.0, 16.0)},
        "blatant": {"roll_deg": (25.0, 25.0)},
    },
}

# fault -> (primary size parameter, unit, +1 if a larger value is a bigger fault else -1)
PRIMARY: dict[str, tuple[str, str, int]] = {
    "bounce": ("speed_ratio", "x clean peak lowering speed", 1),
    "fast_lowering": ("lower_s", "s", -1),
    "shallow_bottom": ("raise_cm", "cm above the set's bottoms", 1),
    "short_top": ("rise_frac", "of the set's full rise", -1),
    "no_top_pause": ("hold_s", "s", -1),
    "torso_help": ("hip_cm", "cm hip forward", 1),
    "knee_drive": ("bend_deg", "deg extra knee bend", 1),
    "free_leg_assist": ("contact_share", "of the rise on the step", 1),
    "hips_not_level": ("drop_deg", "deg pelvic drop", 1),
    "arch_collapse": ("roll_deg", "deg foot roll", 1),
    "roll_out": ("roll_deg", "deg foot roll", 1),
}

# The fixed sizes of an unsized fault (the sample videos' sizes).
LEGACY: dict[str, dict[str, float]] = {
    "bounce": {"lower_s": 0.4, "rebound_cm": 2.0, "overshoot_cm": 0.0},
    "fast_lowering": {"lower_s": 0.5},
    "shallow_bottom": {"depth_frac": 0.2},
    "short_top": {"top_frac": 0.4},
    "no_top_pause": {"hold_s": 0.0},
    "torso_help": {"hip_cm": 5.0, "trunk_deg": 12.0},
    "knee_drive": {"bend_deg": 25.0},
    "free_leg_assist": {"contact_share": 0.35},
    "hips_not_level": {"drop_deg": 12.0},
    "arch_collapse": {"roll_deg": 15.0},
    "roll_out": {"roll_deg": 15.0},
}


@dataclass(frozen=True)
class FaultSize:
    """How large one injected fault is: its grade name and its parameters (physical units)."""

    fault: str
    grade: str
    params: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if self.fault not in GRADES:
            raise InputError(f"unknown fault id {self.fault!r}; expected one of {list(GRADES)}")
        object.__setattr__(self, "params", tuple((str(k), float(v)) for k, v in dict(self.params).items()))
        if PRIMARY[self.fault][0] not in dict(self.params):
            raise InputError(f"a {self.fault} size needs {PRIMARY[self.fault][0]}, got {dict(self.params)}")

    def get(self, name: str, default: float | None = None) -> float | None:
        return dict(self.params).get(name, default)

    @property
    def size(self) -> float:
        """The primary size number (see PRIMARY)."""
        return float(dict(self.params)[PRIMARY[self.fault][0]])

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "grade": self.grade, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FaultSize:
        return cls(d["fault"], d["grade"], tuple(dict(d["params"]).items()))


def grades_of(fault: str) -> tuple[str, ...]:
    """The grade names a fault has (no_top_pause has no blatant grade)."""
    return tuple(g for g in GRADE_NAMES if g in GRADES[fault])


def grade_size(fault: str, grade: str, rng: np.random.Generator | None = None, bottom_cm: float = 4.0) -> FaultSize:
    """A FaultSize of this grade: each parameter's range middle, or a uniform draw with rng.

    bottom_cm: the set's clean depth below the step line, to place a shallow bottom's stop height.
    """
    if fault not in GRADES or grade not in GRADES[fault]:
        known = list(grades_of(fault)) if fault in GRADES else []
        raise InputError(f"no grade {grade!r} for {fault!r}; it has {known}")
    params = {}
    for name, (lo, hi) in GRADES[fault][grade].items():
        params[name] = round(float((lo + hi) / 2 if rng is None or hi == lo else rng.uniform(lo, hi)), 3)
    if "stop_cm" in params:
        params["raise_cm"] = round(bottom_cm + params["stop_cm"], 3)
    return FaultSize(fault, grade, tuple(params.items()))


def custom_size(fault: str, **params: float) -> FaultSize:
    """A FaultSize of any size (grade "custom"): e.g. custom_size("fast_lowering", lower_s=0.75)."""
    base = dict(GRADES[fault]["moderate"])
    full = {k: float((lo + hi) / 2) for k, (lo, hi) in base.items() if k != "stop_cm"}
    full.update(params)
    return FaultSize(fault, "custom", tuple(full.items()))


def draw_clean_tempo(rng: np.random.Generator, style: str = "real") -> dict[str, float]:
    """A person's clean tempo (s).

    "real" spreads over the ranges people show (rise 0.6-1.5, top hold 0.3-1.0, lowering 1.2-3.0, bottom
    pause 0.3-1.0), the lowering at least 0.3 s slower than the rise (the guide: lower at least as slowly as
    you rise).  "demo" is an app demo's quick set (rise 0.4-0.7, lowering 0.5-1.0 and never quicker than
    the rise, short holds: top 0.15-0.3 s, just longer than a subtle no_top_pause, bottom 0.05-0.25 s).
    """
    if style == "real":
        lo, hi, margin = (0.6, 0.3, 1.2, 0.3), (1.5, 1.0, 3.0, 1.0), 0.3
    elif style == "demo":
        lo, hi, margin = (0.4, 0.15, 0.5, 0.05), (0.7, 0.3, 1.0, 0.25), 0.0
    else:
        raise InputError(f"tempo style must be 'real' or 'demo', got {style!r}")
    rise, top, lower, bottom = rng.uniform(lo, hi)
    lower = min(max(lower, rise + margin), hi[2])
    return {
        k: round(float(x), 2)
        for k, x in zip(("rise_s", "top_pause_s", "lower_s", "bottom_pause_s"), (rise, top, lower, bottom), strict=True)
    }
