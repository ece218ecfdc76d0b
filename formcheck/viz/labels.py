"""Short words for faults and phases, shared by the overlay, the HTML report and the live view."""

from __future__ import annotations

import math

from formcheck.core.faults.detect import UNCERTAIN_BELOW

# What went wrong and what to do, short enough for a banner on a phone-portrait frame.
FAULT_BANNERS = {
    "bounce": "bounce at the bottom - pause in the stretch",
    "fast_lowering": "lowering too fast - take about 2 s down",
    "shallow_bottom": "shallow bottom - let the heel sink lower",
    "short_top": "short top - rise all the way up",
    "no_top_pause": "no pause at the top - hold a one-count",
    "torso_help": "torso helping - keep the chest still",
    "knee_drive": "knee driving the rise - keep the bend fixed",
    "free_leg_assist": "free foot helping - keep it off the step",
    "hips_not_level": "hips not level - keep the free hip up",
    "arch_collapse": "arch collapsing - press through the big toe",
    "roll_out": "rolling out - keep weight over the big toe",
}
# What a fault check looks at, for "not checked" notes.
FAULT_NOUNS = {
    "bounce": "bounce",
    "fast_lowering": "lowering speed",
    "shallow_bottom": "depth",
    "short_top": "rise height",
    "no_top_pause": "top pause",
    "torso_help": "torso",
    "knee_drive": "knee",
    "free_leg_assist": "free leg",
    "hips_not_level": "hip level",
    "arch_collapse": "arch",
    "roll_out": "rolling out",
}
# A word for the person during the phase a fault happens in (shown beside the phase timer).
TEMPO_CUES = {
    "fast_lowering": ("lower", "slower"),
    "bounce": ("lower", "slower"),
    "no_top_pause": ("top", "hold"),
    "short_top": ("top", "higher"),
    "shallow_bottom": ("bottom", "deeper"),
}
PHASE_NAMES = {"rise": "rise", "top": "top pause", "lower": "lowering", "bottom": "bottom pause"}


def fault_banner(fid: str) -> str:
    return FAULT_BANNERS.get(fid, fid.replace("_", " "))


def fault_label(fid: str) -> str:
    """The banner's first half, what went wrong: a badge's label."""
    return fault_banner(fid).split(" - ")[0]


def fault_noun(fid: str) -> str:
    return FAULT_NOUNS.get(fid, fid.replace("_", " "))


# A doubtful fault's confidence is its margin's probability times the tracking quality (`seen`): under the gate,
# at least one of the two is under its square root; each that is gets named.
DOUBT_BELOW = math.sqrt(UNCERTAIN_BELOW)


def why_doubtful(fault: dict) -> str:
    """Why a fault is only "look at this rep": measured close to its threshold, the working leg not clearly seen
    where it was measured (MediaPipe lost it or swapped the feet), or both."""
    confidence, seen = float(fault.get("confidence", 0.0)), fault.get("seen")
    reasons = []
    if leg_unclear(fault):
        reasons.append(f"the working leg was clearly seen in only {seen:.0%} of the frames it was measured on")
    if seen is None or (seen > 0 and confidence / seen < DOUBT_BELOW):  # unseen: its margin is not known
        reasons.append("it was measured close to its threshold")
    return " and ".join(reasons)


def look_banner(fault: dict) -> str:
    """A doubtful fault's banner on the video and the live overlay: "look - knee driving the rise?", and
    "(leg unclear)" when the working leg was not clearly seen where it was measured (something to mend by moving
    the camera, as the terminal and the page say at length: why_doubtful)."""
    return f"look - {fault_label(fault['id']).lower()}?" + (" (leg unclear)" if leg_unclear(fault) else "")


def leg_unclear(fault: dict) -> bool:
    """The working leg was seen too little where the fault was measured to call it on its own (`seen` under
    DOUBT_BELOW; a report from before `seen` never says so)."""
    seen = fault.get("seen")
    return seen is not None and seen < DOUBT_BELOW
