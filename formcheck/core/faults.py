"""The faults of the exercise guide: ids, the views that can show them, and what to tell the person.

Detection of each fault lives in its own function (see the fault issue); this module
also decides which faults a clip's views cannot show (reported as not checked).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultSpec:
    id: str
    meaning: str
    views: tuple[str, ...]  # views in which MediaPipe shows it reliably
    cue: str


ALL_VIEWS = ("side", "front", "back", "oblique")
FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec("bounce", "the heel bounces at the bottom instead of turning around under control",
              ("side", "oblique", "front", "back"), "Sink slowly into the stretch and hold it for a moment before rising."),
    FaultSpec("fast_lowering", "lowering faster than lifting", ALL_VIEWS,
              "Lower more slowly: take at least as long going down as coming up."),
    FaultSpec("shallow_bottom", "the heel is not lowered into a clear stretch", ("side", "oblique"),
              "Let the heel drop below the step until you feel the calf stretch."),
    FaultSpec("short_top", "not finishing tall at the top", ALL_VIEWS,
              "Rise all the way onto the ball of the foot and finish tall."),
    FaultSpec("no_top_pause", "no brief pause at the top", ALL_VIEWS,
              "Hold the top for a short beat before lowering."),
    FaultSpec("torso_help", "the hip or torso shifts forward or leans to help the rise", ("side", "oblique"),
              "Keep the torso tall and still: rise straight up, not forward."),
    FaultSpec("knee_drive", "the working knee bends and straightens to drive the rise", ("side", "oblique"),
              "Keep the small knee bend fixed; let the ankle do the work."),
    FaultSpec("arch_collapse", "the arch collapses and the ankle rolls inward", ("front", "back"),
              "Press through the big toe and keep the ankle stacked over the toes."),
    FaultSpec("roll_out", "rolling onto the outside of the foot at the top", ("front", "back"),
              "Keep the weight over the big toe and second toe; don't roll to the outside."),
    FaultSpec("free_leg_assist", "the free foot touches down or helps", ALL_VIEWS,
              "Keep the free leg relaxed and off the floor."),
    FaultSpec("hips_not_level", "the hips are not kept level", ("front", "back"),
              "Keep the hips level: don't let the free side drop."),
)
FAULT_IDS = tuple(f.id for f in FAULTS)
SPECS = {f.id: f for f in FAULTS}


def not_checked(views_seen: set[str], detectors: set[str]) -> list[dict[str, str]]:
    """Faults this clip cannot show (with the view that would), and faults with no detector yet."""
    out = []
    for spec in FAULTS:
        if not views_seen & set(spec.views):
            wanted = " or ".join(v for v in spec.views if v != "oblique") or "another"
            seen = ", ".join(sorted(views_seen)) or "no usable"
            out.append({"id": spec.id, "reason": f"needs a {wanted} view; this clip has {seen} view"})
        elif spec.id not in detectors:
            out.append({"id": spec.id, "reason": "no detector for this fault in this version of formcheck"})
    return out
