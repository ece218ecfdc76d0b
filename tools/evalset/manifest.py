"""The evaluation set's layout, drawn from one seed: which clips, who is in them, how they are filmed,
what they do rep by rep (faults at graded sizes), and whether a clip is for tuning or for reporting.

Design (see docs/evaluation.md):
- Views: side, side_turned (the side camera turned 10-30 degrees to the front or back), three_quarter
  (45 degrees), front, back.  Each view has a list of (fault, grade) cells; every cell is filmed twice,
  by two clips with consecutive clip seeds: the even seed is `tune`, the odd one `report`.  Both clips of
  a pair carry the same faults and grades; everything else (body, clothes, camera, light, fps, tempo, the
  exact sizes inside each grade's range) is drawn from the clip's own seed.
- Scripted cases reproduce an independent check's failures (a bottom 0.6 cm above the step line, stepping
  on and off, a 3.0 s lowering, a half-range rep that must count), also as tune/report pairs.
- A clip holds 4-5 reps (12-35 s); rep 1 and at least one other are clean (the clean-rep false-flag
  rate, and the set's own reference for depth and height); each faulty rep carries one fault.  The
  person sways to keep balance (formcheck.synth SetScript.sway 0.5-1.5) and each rep's tempo and range
  vary a little around the set's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from formcheck.synth import FaultSize, RepScript, SetScript, custom_size, draw_clean_tempo, grade_size
from formcheck.synth.grades import grades_of
from formcheck.synth.script import script_from_dict, script_to_dict

VIEW_GROUPS = ("side", "side_turned", "three_quarter", "front", "back")
SAGITTAL = (
    "bounce",
    "fast_lowering",
    "shallow_bottom",
    "short_top",
    "no_top_pause",
    "torso_help",
    "knee_drive",
    "free_leg_assist",
)
FRONTAL = ("hips_not_level", "arch_collapse", "roll_out")
TEMPO = ("bounce", "fast_lowering", "no_top_pause", "short_top", "shallow_bottom", "free_leg_assist")
# the faults each view's clips carry (a view also gets faults it may not show: that is measured too)
VIEW_FAULTS = {
    "side": SAGITTAL,
    "side_turned": SAGITTAL + ("hips_not_level",),
    "three_quarter": SAGITTAL + FRONTAL,
    "front": FRONTAL + TEMPO,
    "back": FRONTAL + TEMPO,
}
# clip pairs per view: the faults x grades of the view are spread over them, two or three faulty reps a clip
PAIRS = {"side": 8, "side_turned": 5, "three_quarter": 5, "front": 4, "back": 4}
FAULTS_PER_CLIP = 3
GRADE_PRIORITY = ("moderate", "subtle", "blatant")  # when a view has more cells than room, blatant goes first

SKINS = (
    (0.95, 0.80, 0.69),
    (0.93, 0.76, 0.64),
    (0.80, 0.60, 0.45),
    (0.67, 0.48, 0.34),
    (0.55, 0.38, 0.26),
    (0.36, 0.24, 0.17),
    (0.26, 0.17, 0.12),
)
HAIR = ((0.12, 0.08, 0.05), (0.05, 0.04, 0.04), (0.45, 0.3, 0.15), (0.75, 0.62, 0.4), (0.5, 0.5, 0.5))
CLOTHES = (
    (0.15, 0.35, 0.75),
    (0.75, 0.2, 0.2),
    (0.2, 0.55, 0.3),
    (0.9, 0.9, 0.88),
    (0.95, 0.6, 0.1),
    (0.45, 0.3, 0.6),
    (0.12, 0.12, 0.14),
    (0.55, 0.55, 0.58),
    (0.9, 0.45, 0.6),
    (0.3, 0.7, 0.75),
)
DARK = ((0.06, 0.06, 0.07), (0.1, 0.1, 0.12), (0.08, 0.09, 0.16), (0.14, 0.12, 0.12))
WALLS = (
    (0.86, 0.85, 0.8),
    (0.7, 0.78, 0.85),
    (0.85, 0.8, 0.7),
    (0.75, 0.75, 0.75),
    (0.55, 0.55, 0.52),
    (0.9, 0.9, 0.9),
    (0.6, 0.68, 0.6),
)
FLOORS = ((0.55, 0.45, 0.35), (0.35, 0.35, 0.37), (0.7, 0.62, 0.5), (0.2, 0.22, 0.25), (0.6, 0.6, 0.6))
STEPS = ((0.35, 0.35, 0.38), (0.6, 0.45, 0.3), (0.1, 0.1, 0.1), (0.2, 0.35, 0.6), (0.8, 0.8, 0.78))
SIZES = {"portrait": ((540, 960), (720, 1280)), "landscape": ((960, 540), (1280, 720))}


@dataclass(frozen=True)
class ClipSpec:
    """One clip of the set: everything needed to render it and to score it."""

    name: str
    seed: int
    split: str
    view_group: str
    case: str  # "graded" or the scripted case's name
    camera: dict  # view, azimuth_offset_deg, distance, height_m, span_m, width, height
    body: dict  # tools.render.mesh.BodyShape fields
    look: dict  # tools.render.scene.Look fields
    light: dict  # tools.render.scene.Light fields
    noise: float
    crf: int
    band: bool
    script: dict  # formcheck.synth set script (script_to_dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def spec_hash(self) -> str:
        """sha256 (16 hex) of everything that shapes the rendered clip."""
        d = {k: v for k, v in self.to_dict().items() if k not in ("name", "split")}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def set_script(self) -> SetScript:
        return script_from_dict(self.script)


def split_of(seed: int) -> str:
    """Even clip seeds tune thresholds, odd ones report results."""
    return "tune" if seed % 2 == 0 else "report"


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def draw_camera(rng: np.random.Generator, group: str) -> dict[str, Any]:
    """A camera for a view group: the named view, turned (turn_deg > 0: towards the athlete's front), placed
    and zoomed at random."""
    view, turn = {
        "side": ("side", rng.uniform(-5, 5)),
        "side_turned": ("side", rng.choice([-1, 1]) * rng.uniform(10, 30)),
        "three_quarter": ("three_quarter", rng.uniform(-5, 5)),
        "front": ("front", rng.uniform(-6, 6)),
        "back": ("back", rng.uniform(-6, 6)),
    }[group]
    orient = "landscape" if rng.random() < 0.35 else "portrait"
    w, h = _pick(rng, SIZES[orient])
    span = rng.uniform(2.3, 3.2) if orient == "portrait" else rng.uniform(2.15, 2.9)
    return {
        "view": view,
        "turn_deg": _r(turn, 1),
        "distance": _r(rng.uniform(2.0, 4.0), 2),
        "height_m": _r(rng.uniform(0.4, 1.3), 2),
        "span_m": _r(span, 2),
        "width": int(w),
        "height": int(h),
    }


def azimuth_offset(camera: dict[str, Any], side: str) -> float:
    """The camera's azimuth offset for formcheck.synth.make_camera: turn_deg towards the athlete's front."""
    sgn = 1.0 if side == "right" else -1.0
    turn = float(camera["turn_deg"])
    return -sgn * turn if camera["view"] in ("side", "three_quarter") else turn


def draw_body(rng: np.random.Generator) -> dict[str, Any]:
    """A young adult: sex, build, height (women 152-175 cm, men 165-192 cm)."""
    male = rng.random() < 0.5
    gender = rng.uniform(0.7, 1.0) if male else rng.uniform(0.0, 0.3)
    height = rng.uniform(165, 192) if male else rng.uniform(152, 175)
    return {
        "gender": _r(gender, 2),
        "muscle": _r(rng.uniform(0.3, 0.8), 2),
        "weight": _r(rng.uniform(0.2, 0.85), 2),
        "race": str(_pick(rng, ("african", "asian", "caucasian"))),
        "height_cm": _r(height, 1),
    }


def draw_look(rng: np.random.Generator) -> dict[str, Any]:
    """Skin, hair, clothes (a quarter in dark uniform leggings and dark shoes), bare feet or shoes, room, step."""
    shirt, shorts, shoes = (CLOTHES[i] for i in rng.choice(len(CLOTHES), 3, replace=False))
    u = rng.random()
    legwear = "leggings" if u < 0.5 else "shorts"
    if u < 0.25:  # dark uniform leggings, the case MediaPipe swaps legs on
        shorts = _pick(rng, DARK)
        shoes = _pick(rng, DARK)
    feet = "barefoot" if rng.random() < 0.25 else "shoes"
    floor = _pick(rng, FLOORS)
    steps = [c for c in STEPS if np.abs(np.subtract(c, floor)).max() > 0.15]  # a step that shows on the floor
    return {
        "skin": _pick(rng, SKINS),
        "hair": _pick(rng, HAIR),
        "shirt": shirt,
        "shorts": shorts,
        "shoes": shoes,
        "wall": _pick(rng, WALLS),
        "floor": floor,
        "step": _pick(rng, steps),
        "band": _pick(rng, ((0.85, 0.1, 0.15), (0.1, 0.5, 0.85), (0.2, 0.7, 0.3), (0.1, 0.1, 0.1))),
        "legwear": legwear,
        "sleeves": "long" if rng.random() < 0.3 else "short",
        "feet": feet,
        "sole": _pick(rng, ((0.92, 0.92, 0.9), (0.1, 0.1, 0.1), (0.5, 0.5, 0.5))) if feet == "shoes" else None,
        "step_size": (_r(rng.uniform(0.28, 0.45), 2), _r(rng.uniform(0.5, 1.0), 2)),
    }


def draw_light(rng: np.random.Generator) -> dict[str, Any]:
    """Key light from anywhere in front of or beside the person; about one clip in five dim."""
    gain = rng.uniform(0.5, 0.7) if rng.random() < 0.2 else rng.uniform(0.8, 1.15)
    return {
        "key": _r(rng.uniform(0.5, 0.7), 2),
        "fill": _r(rng.uniform(0.1, 0.25), 2),
        "ambient": _r(rng.uniform(0.2, 0.4), 2),
        "gain": _r(gain, 2),
        "key_azimuth_deg": _r(rng.uniform(-120, 120), 1),
        "key_elevation_deg": _r(rng.uniform(20, 70), 1),
    }


def _rep(base: dict[str, float], rng: np.random.Generator, faults=(), sizes=()) -> RepScript:
    """One rep at the clip's tempo, each phase within +-8 %, its range within +-5 %."""
    jit = {k: _r(v * rng.uniform(0.92, 1.08), 2) for k, v in base.items()}
    return RepScript(
        jit["rise_s"],
        jit["top_pause_s"],
        jit["lower_s"],
        jit["bottom_pause_s"],
        _r(rng.uniform(0.95, 1.05), 3),
        tuple(faults),
        tuple(sizes),
    )


def draw_set(rng: np.random.Generator, faults: list[tuple[str, str]], name: str, seed: int, fps: float) -> SetScript:
    """A set with the given (fault, grade) reps placed among clean ones (rep 1 always clean)."""
    style = "demo" if rng.random() < 0.2 else "real"
    tempo = draw_clean_tempo(rng, style)
    bottom_cm, top_cm = _r(rng.uniform(3.0, 5.0), 2), _r(rng.uniform(6.0, 9.0), 2)
    n = max(len(faults) + 2, 4)
    slots = sorted(rng.choice(np.arange(1, n), len(faults), replace=False).tolist())
    plan = {slot: f for slot, f in zip(slots, faults, strict=True)}
    reps = []
    for i in range(n):
        if i in plan:
            fid, grade = plan[i]
            reps.append(_rep(tempo, rng, (fid,), (grade_size(fid, grade, rng, bottom_cm),)))
        else:
            reps.append(_rep(tempo, rng))
    return SetScript(
        reps=tuple(reps),
        side=str(_pick(rng, ("left", "right"))),
        fps=fps,
        seed=seed,
        lead_in_s=_r(rng.uniform(0.6, 1.5), 2),
        lead_out_s=_r(rng.uniform(0.6, 1.5), 2),
        top_cm=top_cm,
        bottom_cm=bottom_cm,
        knee_bend_deg=_r(rng.uniform(5, 18), 1),
        step_height_m=_r(rng.uniform(0.12, 0.22), 3),
        name=name,
        sway=_r(rng.uniform(0.5, 1.5), 2),
    )


def _cells(group: str) -> list[tuple[str, str]]:
    return [(f, g) for f in VIEW_FAULTS[group] for g in grades_of(f)]


def _plan(group: str, rng: np.random.Generator) -> list[list[tuple[str, str]]]:
    """The view's (fault, grade) cells dealt over its clip pairs, up to FAULTS_PER_CLIP a clip, never one
    fault twice in a clip; moderate cells first, then subtle, then blatant, while there is room."""
    cells = _cells(group)
    ordered = [c for g in GRADE_PRIORITY for c in (cells[i] for i in rng.permutation(len(cells))) if c[1] == g]
    pairs: list[list[tuple[str, str]]] = [[] for _ in range(PAIRS[group])]
    k = 0
    for cell in ordered:
        for _ in range(len(pairs)):
            slot = pairs[k % len(pairs)]
            k += 1
            if len(slot) < FAULTS_PER_CLIP and all(f != cell[0] for f, _ in slot):
                slot.append(cell)
                break
    return pairs


def frame_person(camera: dict[str, Any], body: dict[str, Any], step_m: float) -> dict[str, Any]:
    """Aim the camera at the middle of step + person and widen its view enough to keep the whole person
    (with the heel rise and some headroom) in the picture."""
    tall = step_m + body["height_cm"] / 100 + 0.12
    return {**camera, "target_m": _r(tall / 2, 3), "span_m": _r(max(camera["span_m"], tall + 0.35), 2)}


RAMPS = ("min_jerk", "cosine")


def motion_shape(pair: int, clip_seed: int) -> str:
    """The shape of a clip's rises and lowerings: min-jerk (very gradual starts and ends) or the raised cosine
    that hand-labelled real reps fit best, in turn, so that each view's tune and report halves hold both and
    the two clips of a pair (the same faults) move in different shapes."""
    return RAMPS[(pair + clip_seed) % 2]


def _graded_clip(group: str, pair: int, faults, clip_seed: int) -> ClipSpec:
    rng = np.random.default_rng(clip_seed)
    name = f"{group}_{pair:02d}_{split_of(clip_seed)}"
    fps = 60.0 if rng.random() < 0.25 else 30.0
    camera, body, look, light = draw_camera(rng, group), draw_body(rng), draw_look(rng), draw_light(rng)
    script = replace(draw_set(rng, list(faults), name, clip_seed, fps), ramp=motion_shape(pair, clip_seed))
    camera = frame_person(camera, body, script.step_height_m)
    noise = _r(2.0 + 3.0 * max(0.0, 1.0 - light["gain"]) + rng.uniform(0, 1.5), 2)
    return ClipSpec(
        name,
        clip_seed,
        split_of(clip_seed),
        group,
        "graded",
        camera,
        body,
        look,
        light,
        noise,
        int(rng.integers(23, 29)),
        bool(rng.random() < 0.85),
        script_to_dict(script),
    )


def _case_script(case: str, rng: np.random.Generator, name: str, seed: int, fps: float) -> SetScript:
    """The independent check's failure cases as scripts."""
    base = draw_set(rng, [], name, seed, fps)
    tempo = draw_clean_tempo(rng, "real")
    reps = [_rep(tempo, rng) for _ in range(5)]
    step_on = step_off = False
    if case == "stop_above_step":  # rep 3's lowering stops 0.6 cm above the step line
        size = custom_size("shallow_bottom", raise_cm=base.bottom_cm + 0.6)
        reps[2] = RepScript(
            **{
                **reps[2].__dict__,
                "faults": ("shallow_bottom",),
                "sizes": (FaultSize("shallow_bottom", "moderate", size.params),),
            }
        )
    elif case == "step_on_off":
        reps, step_on, step_off = reps[:4], True, True
    elif case == "slow_lowering":  # 3.0 s lowerings
        reps = [RepScript(r.rise_s, r.top_pause_s, 3.0, r.bottom_pause_s) for r in reps[:4]]
    elif case == "partial_rep":  # rep 3 lowers only to the middle of the set's range, and must count
        raise_cm = (base.top_cm + base.bottom_cm) / 2
        size = FaultSize("shallow_bottom", "blatant", (("raise_cm", _r(raise_cm, 2)),))
        reps[2] = RepScript(**{**reps[2].__dict__, "faults": ("shallow_bottom",), "sizes": (size,)})
    return SetScript(**{**base.__dict__, "reps": tuple(reps), "step_on": step_on, "step_off": step_off})


CASES = ("stop_above_step", "step_on_off", "slow_lowering", "partial_rep")


def _case_clip(case: str, clip_seed: int) -> ClipSpec:
    rng = np.random.default_rng(clip_seed)
    name = f"case_{case}_{split_of(clip_seed)}"
    fps = 60.0 if rng.random() < 0.33 else 30.0
    camera, body, look, light = draw_camera(rng, "side"), draw_body(rng), draw_look(rng), draw_light(rng)
    script = replace(_case_script(case, rng, name, clip_seed, fps), ramp=motion_shape(CASES.index(case), clip_seed))
    camera = frame_person(camera, body, script.step_height_m)
    return ClipSpec(
        name,
        clip_seed,
        split_of(clip_seed),
        "side",
        case,
        camera,
        body,
        look,
        light,
        2.0,
        26,
        True,
        script_to_dict(script),
    )


def make_manifest(seed: int = 0) -> list[ClipSpec]:
    """The whole set from one seed.  Clip seeds are seed * 10000 + a running number (pairs: even, odd)."""
    rng = np.random.default_rng(seed)
    clips: list[ClipSpec] = []
    next_seed = seed * 10000
    for group in VIEW_GROUPS:
        for pair, faults in enumerate(_plan(group, rng)):
            for clip_seed in (next_seed, next_seed + 1):
                clips.append(_graded_clip(group, pair, faults, clip_seed))
            next_seed += 2
    for case in CASES:
        for clip_seed in (next_seed, next_seed + 1):
            clips.append(_case_clip(case, clip_seed))
        next_seed += 2
    return clips


def manifest_to_json(clips: list[ClipSpec], seed: int) -> str:
    return json.dumps(
        {"version": 1, "seed": seed, "clips": [dict(c.to_dict(), spec_hash=c.spec_hash) for c in clips]},
        indent=1,
        sort_keys=True,
    )


def clip_from_dict(d: dict[str, Any]) -> ClipSpec:
    fields = ClipSpec.__dataclass_fields__
    return ClipSpec(**{k: v for k, v in d.items() if k in fields})
