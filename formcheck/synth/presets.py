"""Named set scripts: the ones sample_videos/ was rendered from, and a few for tests."""

from __future__ import annotations

import json
from collections.abc import Callable

from formcheck.errors import InputError
from formcheck.synth.script import RepScript, SetScript, script_from_dict

CLEAN = RepScript(rise_s=0.8, top_pause_s=0.4, lower_s=1.6, bottom_pause_s=0.5)


def _reps(*faults: tuple[str, ...]) -> tuple[RepScript, ...]:
    return tuple(
        RepScript(CLEAN.rise_s, CLEAN.top_pause_s, CLEAN.lower_s, CLEAN.bottom_pause_s, 1.0, f) for f in faults
    )


def clean_side() -> SetScript:
    """Six clean reps, right leg, a stand still before and after."""
    return SetScript(reps=_reps(*[()] * 6), side="right", name="clean_side", lead_in_s=1.0, lead_out_s=1.0)


def faults_side() -> SetScript:
    """Ten quicker reps on the left leg: eight faults on known reps, reps 1 and 6 clean."""
    faults = (
        (),
        ("bounce",),
        ("fast_lowering",),
        ("shallow_bottom",),
        ("short_top",),
        (),
        ("no_top_pause",),
        ("torso_help",),
        ("knee_drive",),
        ("free_leg_assist",),
    )
    reps = tuple(RepScript(0.7, 0.35, 1.0, 0.4, 1.0, f) for f in faults)
    return SetScript(reps=reps, side="left", name="faults_side", lead_in_s=0.6, lead_out_s=0.6, seed=1)


def front_faults() -> SetScript:
    """Front view material: clean, arch collapse, roll out, hips not level, clean."""
    reps = _reps((), ("arch_collapse",), ("roll_out",), ("hips_not_level",), ())
    return SetScript(reps=reps, side="right", name="front_faults", lead_in_s=1.0, lead_out_s=1.0, seed=2)


def step_on_off() -> SetScript:
    """Step onto the step, five clean reps, step off."""
    return SetScript(
        reps=_reps(*[()] * 5),
        side="right",
        step_on=True,
        step_off=True,
        name="step_on_off",
        lead_in_s=0.5,
        lead_out_s=0.5,
        seed=3,
    )


def fatigue() -> SetScript:
    """Eight reps, the last three rising less and less."""
    return SetScript(reps=_reps(*[()] * 8), fatigue_reps=3, fatigue_drop=0.4, name="fatigue", seed=4)


PRESETS: dict[str, Callable[[], SetScript]] = {
    "clean_side": clean_side,
    "faults_side": faults_side,
    "front_faults": front_faults,
    "step_on_off": step_on_off,
    "fatigue": fatigue,
}


def load_script(text_or_name: str) -> SetScript:
    """A preset name (see PRESETS) or a JSON object string."""
    if text_or_name in PRESETS:
        return PRESETS[text_or_name]()
    try:
        return script_from_dict(json.loads(text_or_name))
    except json.JSONDecodeError:
        raise InputError(f"--script must be a preset ({', '.join(PRESETS)}) or a JSON object") from None
