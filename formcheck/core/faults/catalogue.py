"""The faults of the exercise guide: ids, the views that can show them, and what to tell the person.

Detection lives in core/faults/rules.py (one rule per fault); this module also decides which
faults a clip's views cannot show, and which are not checked at all and why (reported as
not checked).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultSpec:
    id: str
    meaning: str
    views: tuple[str, ...]  # views in which MediaPipe shows it reliably
    cue: str  # what to do on the next rep, in plain words
    unchecked: str = ""  # why formcheck does not check it at all (empty: it has a detector)


ALL_VIEWS = ("side", "front", "back", "oblique")
FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec(
        "bounce",
        "the heel bounces at the bottom instead of turning around under control",
        ALL_VIEWS,
        "Slow down into the bottom and hold the stretch for a second before you rise.",
    ),
    FaultSpec(
        "fast_lowering",
        "lowering faster than lifting",
        ALL_VIEWS,
        "Lower slowly: take at least as long going down as coming up, about two seconds.",
    ),
    FaultSpec(
        "shallow_bottom",
        "the heel is not lowered into a clear stretch",
        ("side", "oblique"),
        "Let the heel sink lower, until you feel a clear stretch in the calf.",
    ),
    FaultSpec(
        "short_top",
        "not finishing tall at the top",
        ALL_VIEWS,
        "Push all the way up onto the ball of the foot and finish tall.",
    ),
    # Timed on the heel trace: from the front and behind MediaPipe's heel is too poor, and the body's
    # rise (hips) lags and sways too much, to time a short hold (precision 0.3-0.5 on synthetic sets).
    FaultSpec(
        "no_top_pause",
        "no brief pause at the top",
        ("side", "oblique"),
        "Hold the top for a one-count before you lower.",
    ),
    FaultSpec(
        "torso_help",
        "the hip or torso shifts forward or leans to help the rise",
        ("side", "oblique"),
        "Keep the chest tall and still: lift with the ankle, not by leaning forward.",
    ),
    FaultSpec(
        "knee_drive",
        "the working knee bends and straightens to drive the rise",
        ("side", "oblique"),
        "Keep the small knee bend the same all rep; only the ankle moves.",
    ),
    FaultSpec(
        "arch_collapse",
        "the arch collapses and the ankle rolls inward",
        ("front", "back"),
        "Press through the big toe and keep the ankle stacked over the toes.",
        unchecked="MediaPipe shows the ankle rolling inward at only about 20 % of its real "
        "size, inside the 1.3 cm that clean reps already move, so a reading would be a guess",
    ),
    FaultSpec(
        "roll_out",
        "rolling onto the outside of the foot at the top",
        ("front", "back"),
        "Keep the weight over the big toe and second toe; don't roll to the outside.",
        unchecked="rolling to the outside moves MediaPipe's foot points by only 7-8 % of the "
        "real shift, inside the movement of clean reps, so it cannot be seen",
    ),
    FaultSpec(
        "free_leg_assist",
        "the free foot touches down or helps",
        ALL_VIEWS,
        "Keep the free foot off the step; steady yourself with a hand on a wall instead.",
    ),
    FaultSpec(
        "hips_not_level",
        "the hips are not kept level",
        ("front", "back"),
        "Keep both hips level: don't let the free-side hip drop as you rise.",
        unchecked="MediaPipe shows a pelvic drop at a third to a half of its size; at the "
        "sizes people make it (8-12 degrees) the free-side hip's drop was found on 2 of 24 rendered reps "
        "while flagging 2.8 % of the reps without it (see docs/evaluation.md), so a reading would be a guess",
    ),
)
FAULT_IDS = tuple(f.id for f in FAULTS)
SPECS = {f.id: f for f in FAULTS}


def not_checked(views_seen: set[str], detectors: set[str]) -> list[dict[str, str]]:
    """Faults not checked on this clip, with the reason: never checked (MediaPipe cannot see them), the
    clip lacks a view that shows them (naming one that would), or no detector yet."""
    out = []
    for spec in FAULTS:
        if spec.unchecked and spec.id not in detectors:
            out.append({"id": spec.id, "reason": spec.unchecked})
        elif not views_seen & set(spec.views):
            wanted = " or ".join(v for v in spec.views if v != "oblique") or "another"
            seen = ", ".join(sorted(views_seen)) or "no usable"
            out.append({"id": spec.id, "reason": f"needs a {wanted} view; this clip has {seen} view"})
        elif spec.id not in detectors:
            out.append({"id": spec.id, "reason": "no detector for this fault in this version of formcheck"})
    return out
