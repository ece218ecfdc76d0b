"""Set scripts: what the synthetic athlete does, rep by rep (pure data, no numpy maths).

A :class:`SetScript` lists the reps (tempo, range, injected faults) plus the set-level
choices (working side, stepping on/off, fatigue, frame rate, seed).  Faults change the
effective tempo and range of their rep (:func:`effective_rep`); the motion model and the
truth both read the effective values, so they can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from formcheck.errors import InputError
from formcheck.synth.grades import LEGACY, FaultSize

FAULT_IDS: tuple[str, ...] = (
    "bounce",
    "fast_lowering",
    "shallow_bottom",
    "short_top",
    "no_top_pause",
    "torso_help",
    "knee_drive",
    "arch_collapse",
    "roll_out",
    "free_leg_assist",
    "hips_not_level",
)
SIDES = ("left", "right")


@dataclass(frozen=True)
class RepScript:
    """One rep: rise, hold at the top, lower, hold at the bottom (seconds).

    sizes: how large some of the faults are (:class:`~formcheck.synth.grades.FaultSize`); a fault listed
    without one has its fixed legacy size (:data:`~formcheck.synth.grades.LEGACY`).
    """

    rise_s: float = 1.0
    top_pause_s: float = 0.5
    lower_s: float = 2.0
    bottom_pause_s: float = 0.7
    range_scale: float = 1.0
    faults: tuple[str, ...] = ()
    sizes: tuple[FaultSize, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(
            self, "sizes", tuple(s if isinstance(s, FaultSize) else FaultSize.from_dict(s) for s in self.sizes)
        )
        unknown = [f for f in self.faults if f not in FAULT_IDS]
        if unknown:
            raise InputError(f"unknown fault id(s) {unknown}; expected some of {list(FAULT_IDS)}")
        stray = [s.fault for s in self.sizes if s.fault not in self.faults]
        if stray or len({s.fault for s in self.sizes}) < len(self.sizes):
            raise InputError(
                f"fault sizes must name faults of the rep, once each; got {[s.fault for s in self.sizes]}"
                f" for faults {list(self.faults)}"
            )
        if min(self.rise_s, self.lower_s) <= 0 or min(self.top_pause_s, self.bottom_pause_s) < 0:
            raise InputError("rise_s and lower_s must be > 0 and pauses >= 0 seconds")
        if not 0.1 <= self.range_scale <= 2.0:
            raise InputError(f"range_scale must be in [0.1, 2], got {self.range_scale}")


@dataclass(frozen=True)
class SetScript:
    """A whole clip: lead-in stand, optional step-on, reps, lead-out stand, optional step-off.

    fatigue_reps: the last N reps rise less, down to (1 - fatigue_drop) of the full height.
    top_cm / bottom_cm: heel-back height above / below the flat-foot level (= step top).
    sway: how much the athlete sways to keep balance on one leg (0 = a statue, the sample videos; 1 = hip
    about +-1 cm forward and sideways, trunk +-1.5 deg, pelvis +-1 deg, knee +-2 deg, free foot +-2 cm,
    slow and irregular; see :func:`formcheck.synth.timeline.sway_signals`).
    """

    reps: tuple[RepScript, ...] = field(default_factory=lambda: tuple(RepScript() for _ in range(6)))
    side: str = "right"
    fps: float = 30.0
    seed: int = 0
    step_on: bool = False
    step_off: bool = False
    lead_in_s: float = 1.5
    lead_out_s: float = 1.5
    fatigue_reps: int = 0
    fatigue_drop: float = 0.3
    top_cm: float = 8.0
    bottom_cm: float = 4.0
    knee_bend_deg: float = 12.0
    step_height_m: float = 0.17
    name: str = "synthetic"
    # the shape of a rise or lowering: "min_jerk" (very gradual starts and ends, as the sample videos were
    # rendered) or "cosine" (a raised cosine: the shape hand-labelled real reps and outside renders fit best)
    ramp: str = "min_jerk"
    sway: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "reps", tuple(r if isinstance(r, RepScript) else RepScript(**r) for r in self.reps))
        if self.side not in SIDES:
            raise InputError(f"side must be 'left' or 'right', got {self.side!r}")
        if not self.reps:
            raise InputError("a set script needs at least one rep")
        if self.fps <= 0:
            raise InputError(f"fps must be positive, got {self.fps}")
        if not 0 <= self.fatigue_reps <= len(self.reps) or not 0 <= self.fatigue_drop < 1:
            raise InputError("fatigue_reps must be in [0, n_reps] and fatigue_drop in [0, 1)")
        if self.ramp not in ("min_jerk", "cosine"):
            raise InputError(f"ramp must be 'min_jerk' or 'cosine', got {self.ramp!r}")
        if not (0 < self.bottom_cm < 8 and 2 < self.top_cm < 15):
            raise InputError("bottom_cm must be in (0, 8) and top_cm in (2, 15)")
        if not 0 <= self.sway <= 3:
            raise InputError(f"sway must be in [0, 3], got {self.sway}")

    @property
    def free_side(self) -> str:
        return "left" if self.side == "right" else "right"


def size_of(rep: RepScript, fault: str) -> FaultSize | None:
    """The rep's size for this fault, or None (legacy size, or the fault is absent)."""
    for s in rep.sizes:
        if s.fault == fault:
            return s
    return None


def fault_param(rep: RepScript, fault: str, name: str, legacy: float | None = None) -> float:
    """One size parameter of a fault on this rep: its FaultSize's, else the legacy value."""
    s = size_of(rep, fault)
    value = s.get(name) if s is not None else None
    if value is None:
        value = legacy if legacy is not None else LEGACY[fault].get(name, 0.0)
    return float(value)


def effective_rep(rep: RepScript) -> RepScript:
    """The tempo and range a rep really has once its faults are applied."""
    f = set(rep.faults)
    lower = rep.lower_s
    if "bounce" in f:
        own = fault_param(rep, "bounce", "lower_s")
        lower = min(lower, own) if own > 0 else lower  # 0: the rep's own lowering time
    elif "fast_lowering" in f:
        lower = min(lower, fault_param(rep, "fast_lowering", "lower_s"))
    top = min(rep.top_pause_s, fault_param(rep, "no_top_pause", "hold_s")) if "no_top_pause" in f else rep.top_pause_s
    return replace(rep, lower_s=lower, top_pause_s=top, bottom_pause_s=0.0 if "bounce" in f else rep.bottom_pause_s)


def rep_heights_m(script: SetScript) -> tuple[list[float], list[float]]:
    """Heel-back height (m, relative to flat foot) at each rep's top and at its bottom."""
    n = len(script.reps)
    tops, bottoms = [], []
    for i, rep in enumerate(script.reps):
        k = i - (n - script.fatigue_reps)
        fatigue = 1.0 - script.fatigue_drop * (k + 1) / script.fatigue_reps if k >= 0 else 1.0
        top = script.top_cm / 100 * rep.range_scale * fatigue
        bottom = -script.bottom_cm / 100 * rep.range_scale
        if "short_top" in rep.faults:
            short = size_of(rep, "short_top")
            top = top * 0.4 if short is None else bottom + short.size * (top - bottom)
        if "shallow_bottom" in rep.faults:
            shallow = size_of(rep, "shallow_bottom")
            bottom = bottom * 0.2 if shallow is None else bottom + shallow.size / 100
        if "bounce" in rep.faults:
            bottom -= fault_param(rep, "bounce", "overshoot_cm") / 100
        tops.append(top)
        bottoms.append(bottom)
    return tops, bottoms


def script_to_dict(script: SetScript) -> dict[str, Any]:
    """A JSON-ready dict of the script (the ramp only when it is not the default, so scripts stored before
    it existed keep their text and hash)."""
    d = asdict(script)
    if d["ramp"] == "min_jerk":
        del d["ramp"]
    d["reps"] = [
        dict(r, faults=list(r["faults"]), sizes=[s.to_dict() for s in rep.sizes])
        for r, rep in zip(d["reps"], script.reps, strict=True)
    ]
    return d


def script_from_dict(d: dict[str, Any]) -> SetScript:
    """Inverse of :func:`script_to_dict`; unknown keys are an error."""
    known = set(SetScript.__dataclass_fields__)
    extra = set(d) - known
    if extra:
        raise InputError(f"unknown set-script key(s) {sorted(extra)}; expected some of {sorted(known)}")
    reps = tuple(
        RepScript(**{**r, "faults": tuple(r.get("faults", ())), "sizes": tuple(r.get("sizes", ()))})
        for r in d.get("reps", ())
    )
    return SetScript(**{**d, "reps": reps}) if reps else SetScript(**{k: v for k, v in d.items() if k != "reps"})
