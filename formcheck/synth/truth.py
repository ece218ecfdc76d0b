"""Exact ground truth of a synthetic set, and NAME.truth.json read/write."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.errors import InputError, OutputError
from formcheck.synth import timeline as tlm
from formcheck.synth.grades import LEGACY, PRIMARY
from formcheck.synth.motion import Body, Skeleton, compute_skeleton, knee_flexion_deg
from formcheck.synth.script import SetScript, script_from_dict, script_to_dict, size_of

TRUTH_VERSION = 1
DENSE_DT = 0.01


@dataclass(frozen=True)
class RepTruth:
    """One rep.  Heights in cm: *_vs_flat relative to the flat-foot level of that point,
    *_vs_step relative to the step top.  heel_back = back of the heel at the sole;
    heel_mp = MediaPipe's heel point (3 cm forward, 3 cm up).  Angles in degrees over
    the rep's moving part [t_start, t_bottom] (knee) or [t_start, t_end] (foot).

    Body-fault sizes as the skeleton shows them, over the moving part, against the rep's start:
    hip_forward_cm (working hip), trunk_lean_deg (forward), pelvis_drop_deg (free-side hip lower),
    foot_roll_deg (working foot, + inward / arch collapse, - outward), free_toe_min_above_step_cm
    (lowest free-foot toe over the rise).  fault_sizes: per injected fault {id, grade, size, unit, params}
    (grade "legacy" for the fixed sizes of unsized faults)."""

    index: int
    t_start: float
    t_top_start: float
    t_top_end: float
    t_bottom: float
    t_end: float
    concentric_s: float
    top_pause_s: float
    eccentric_s: float
    bottom_pause_s: float
    heel_back_top_vs_flat_cm: float
    heel_back_bottom_vs_flat_cm: float
    heel_mp_top_vs_flat_cm: float
    heel_mp_bottom_vs_flat_cm: float
    heel_back_top_vs_step_cm: float
    heel_back_bottom_vs_step_cm: float
    heel_mp_top_vs_step_cm: float
    heel_mp_bottom_vs_step_cm: float
    foot_angle_top_deg: float
    foot_angle_bottom_deg: float
    foot_angle_range_deg: float
    knee_range_deg: float
    faults: tuple[str, ...]
    hip_forward_cm: float = 0.0
    trunk_lean_deg: float = 0.0
    pelvis_drop_deg: float = 0.0
    foot_roll_deg: float = 0.0
    free_toe_min_above_step_cm: float = 0.0
    fault_sizes: tuple[dict, ...] = ()


@dataclass(frozen=True, eq=False)
class Truth:
    """A whole clip.  t: (T,) frame times; landmarks_px: (T, 33, 2) true pixels (or None);
    extra_px: name -> (T, 2) for heel_back/ball points."""

    name: str
    view: str
    side: str
    fps: float
    width: int
    height: int
    duration_s: float
    reps: tuple[RepTruth, ...]
    step_on: tuple[float, float] | None
    step_off: tuple[float, float] | None
    set_start: float
    set_end: float
    script: dict = field(default_factory=dict)
    t: np.ndarray | None = None
    landmarks_px: np.ndarray | None = None
    extra_px: dict = field(default_factory=dict)

    @property
    def n_reps(self) -> int:
        return len(self.reps)

    def faults_by_rep(self) -> list[tuple[str, ...]]:
        return [r.faults for r in self.reps]


def foot_angle_deg(sk: Skeleton, side: str) -> np.ndarray:
    """Angle of the heel-back -> ball line above horizontal (positive = heel up)."""
    v = sk.point(f"{side}_ball") - sk.point(f"{side}_heel_back")
    return np.degrees(np.arctan2(-v[:, 1], np.hypot(v[:, 0], v[:, 2])))


def truth_grid(tl: tlm.Timeline) -> np.ndarray:
    """A 10 ms grid plus every phase boundary and knee-drive peak, where extremes can sit."""
    marks = [
        [r.t_start, r.t_top_start, r.t_top_end, r.t_bottom, r.t_end, r.t_start + 0.3 * (r.t_top_start - r.t_start)]
        for r in tl.reps
    ]
    return np.unique(np.concatenate([np.arange(0.0, tl.duration, DENSE_DT), np.ravel(marks)]))


def _traces(sk: Skeleton, script: SetScript) -> dict[str, np.ndarray]:
    side, free, step = script.side, script.free_side, script.step_height_m
    sgn = 1.0 if side == "right" else -1.0
    up = sk.frames["torso"][:, :, 1]
    hips = sk.point(f"{side}_hip") - sk.point(f"{free}_hip")
    return {
        "hb": sk.point(f"{side}_heel_back")[:, 1] - step,
        "hm": sk.point(f"{side}_heel")[:, 1] - step,
        "foot": foot_angle_deg(sk, side),
        "knee": knee_flexion_deg(sk.point(f"{side}_hip"), sk.point(f"{side}_knee"), sk.point(f"{side}_ankle")),
        "hip_x": sk.point(f"{side}_hip")[:, 0],
        "lean": np.degrees(np.arctan2(up[:, 0], up[:, 1])),
        "pelvis": np.degrees(np.arcsin(np.clip(hips[:, 1] / np.linalg.norm(hips, axis=1), -1, 1))),
        "roll": np.degrees(np.arcsin(np.clip(sgn * sk.frames[f"foot_{side}"][:, 1, 2], -1, 1))),
        "free_toe": sk.point(f"{free}_foot_index")[:, 1] - step,
    }


def _body_sizes(i0: int, i_top: int, i2: int, tr: dict[str, np.ndarray]) -> tuple[float, ...]:
    moving = slice(i0 - 1, i2)
    roll = tr["roll"][moving]
    return (
        100 * (tr["hip_x"][moving].max() - tr["hip_x"][i0 - 1]),
        tr["lean"][moving].max() - tr["lean"][i0 - 1],
        tr["pelvis"][moving].max() - tr["pelvis"][i0 - 1],
        roll[np.argmax(np.abs(roll))],
        100 * tr["free_toe"][i0 - 1 : i_top].min(),
    )


def fault_records(rep: tlm.RepTiming, script: SetScript) -> tuple[dict, ...]:
    """{id, grade, size, unit, params} of each fault injected on a rep (legacy sizes worked out)."""
    out = []
    for fid in rep.faults:
        size = size_of(rep.script, fid)
        name, unit, _ = PRIMARY[fid]
        if size is not None:
            out.append({"id": fid, "grade": size.grade, "size": size.size, "unit": unit, "params": dict(size.params)})
            continue
        params = dict(LEGACY[fid])
        top, bottom = script.top_cm * rep.script.range_scale, script.bottom_cm * rep.script.range_scale
        value = params.get(name)
        if fid == "bounce":  # ease_in arrives at pi/2 x range / time
            value = (np.pi / 2) / 1.875 * rep.script.lower_s / (rep.t_bottom - rep.t_top_end)
        elif fid == "shallow_bottom":
            value = (1 - params["depth_frac"]) * bottom
        elif fid == "short_top":
            value = (params["top_frac"] * top + bottom) / (top + bottom)
        elif fid == "fast_lowering":
            value = rep.t_bottom - rep.t_top_end
        out.append({"id": fid, "grade": "legacy", "size": round(float(value), 4), "unit": unit, "params": params})
    return tuple(out)


def _rep_truth(
    i: int, r: tlm.RepTiming, t: np.ndarray, tr: dict[str, np.ndarray], body: Body, script: SetScript
) -> RepTruth:
    i0, i1, i2, i3 = np.searchsorted(t, [r.t_start, r.t_top_end, r.t_bottom, r.t_end], side="right")
    i_top = int(np.searchsorted(t, r.t_top_start, side="right"))
    whole, moving, own_bottom = slice(i0 - 1, i3), slice(i0 - 1, i2), slice(i1 - 1, i3)
    hb, hm, foot, knee = tr["hb"], tr["hm"], tr["foot"], tr["knee"]
    mp_flat = body.heel_mp[1] - body.heel_back[1]
    top_b, bot_b = hb[whole].max(), hb[own_bottom].min()
    top_m, bot_m = hm[whole].max(), hm[own_bottom].min()
    c = 100.0
    values = (
        r.t_start,
        r.t_top_start,
        r.t_top_end,
        r.t_bottom,
        r.t_end,
        r.t_top_start - r.t_start,
        r.t_top_end - r.t_top_start,
        r.t_bottom - r.t_top_end,
        r.t_end - r.t_bottom,
        c * top_b,
        c * bot_b,
        c * (top_m - mp_flat),
        c * (bot_m - mp_flat),
        c * top_b,
        c * bot_b,
        c * top_m,
        c * bot_m,
        foot[whole].max(),
        foot[own_bottom].min(),
        foot[whole].max() - foot[whole].min(),
        knee[moving].max() - knee[moving].min(),
    )
    sizes = (round(float(v), 4) for v in _body_sizes(i0, i_top, i2, tr))
    return RepTruth(
        i, *(round(float(v), 4) for v in values), tuple(r.faults), *sizes, fault_sizes=fault_records(r, script)
    )


def compute_truth(
    script: SetScript,
    view: str = "none",
    width: int = 0,
    height: int = 0,
    t: np.ndarray | None = None,
    landmarks_px: np.ndarray | None = None,
    extra_px: dict | None = None,
    body: Body = Body(),  # noqa: B008 - Body is frozen: one shared default is safe
) -> Truth:
    """Rep-level truth from a dense (10 ms + phase times) evaluation of the motion model, plus per-frame 2D."""
    tl = tlm.build_timeline(script)
    dense = compute_skeleton(script, truth_grid(tl), body)
    traces = _traces(dense, script)
    reps = tuple(_rep_truth(i, r, dense.t, traces, body, script) for i, r in enumerate(tl.reps))
    return Truth(
        name=script.name,
        view=view,
        side=script.side,
        fps=script.fps,
        width=width,
        height=height,
        duration_s=tl.duration,
        reps=reps,
        step_on=tl.step_on,
        step_off=tl.step_off,
        set_start=tl.set_start,
        set_end=tl.set_end,
        script=script_to_dict(script),
        t=t,
        landmarks_px=landmarks_px,
        extra_px=dict(extra_px or {}),
    )


def truth_to_dict(truth: Truth) -> dict[str, Any]:
    d = {
        k: getattr(truth, k)
        for k in (
            "name",
            "view",
            "side",
            "fps",
            "width",
            "height",
            "duration_s",
            "step_on",
            "step_off",
            "set_start",
            "set_end",
            "script",
        )
    }
    d["version"] = TRUTH_VERSION
    d["axes"] = "pixels: x right, y down, origin top-left of the upright frame"
    d["reps"] = [dict(asdict(r), faults=list(r.faults)) for r in truth.reps]
    if truth.t is not None:
        d["frames"] = {"t": np.round(truth.t, 6).tolist()}
        if truth.landmarks_px is not None:
            d["frames"]["landmarks_px"] = np.round(truth.landmarks_px, 2).tolist()
        d["frames"]["extra_px"] = {k: np.round(v, 2).tolist() for k, v in truth.extra_px.items()}
    return d


def save_truth(truth: Truth, path: str | Path) -> Path:
    """Write NAME.truth.json; returns the path."""
    path = Path(path)
    try:
        path.write_text(json.dumps(truth_to_dict(truth), separators=(",", ":")))
    except OSError as e:
        raise OutputError(f"could not write {path}: {e.strerror}; check the folder exists and is writable") from e
    return path


def load_truth(path: str | Path) -> Truth:
    """Read a NAME.truth.json written by :func:`save_truth`."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"could not read truth file {path}: {e}") from e
    if d.get("version") != TRUTH_VERSION:
        raise InputError(f"{path}: truth version {d.get('version')} is not {TRUTH_VERSION}; re-render it")
    return truth_from_dict(d)


def truth_from_dict(d: dict[str, Any]) -> Truth:
    """Inverse of :func:`truth_to_dict` (per-frame arrays optional)."""
    frames = d.get("frames", {})
    lm = frames.get("landmarks_px")
    return Truth(
        name=d["name"],
        view=d["view"],
        side=d["side"],
        fps=d["fps"],
        width=d["width"],
        height=d["height"],
        duration_s=d["duration_s"],
        reps=tuple(
            RepTruth(**{**r, "faults": tuple(r["faults"]), "fault_sizes": tuple(r.get("fault_sizes", ()))})
            for r in d["reps"]
        ),
        step_on=_pair(d["step_on"]),
        step_off=_pair(d["step_off"]),
        set_start=d["set_start"],
        set_end=d["set_end"],
        script=d["script"],
        t=np.asarray(frames["t"]) if "t" in frames else None,
        landmarks_px=None if lm is None else np.asarray(lm, dtype=float),
        extra_px={k: np.asarray(v, dtype=float) for k, v in frames.get("extra_px", {}).items()},
    )


def script_of(truth: Truth) -> SetScript:
    """The set script a truth was made from."""
    return script_from_dict(truth.script)


def _pair(v: Any) -> tuple[float, float] | None:
    return None if v is None else (float(v[0]), float(v[1]))
