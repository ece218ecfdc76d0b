"""Motion model: a set script -> true 3D skeleton trajectory (pure numpy).

World axes (metres): x forward (the way the athlete faces), y up, z to the athlete's
right.  Origin: on the floor, x = 0 at the back edge of the step (the edge the heel hangs
over), z = 0 at the athlete's starting midline.  The step occupies x >= 0, its top is at
y = script.step_height_m.  The working foot's ball (the pivot of the rear foot, sole level)
sits 1 cm in from the edge; the forefoot and toes never move while on the step.

The rear foot rotates about the ball; the working hip stays straight above the foot at a
fixed knee bend (so the body rises vertically); faults add their envelopes (see
:mod:`formcheck.synth.timeline`).  Knees are placed by two-bone inverse kinematics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.core.landmarks import LANDMARK_NAMES
from formcheck.synth import timeline as tlm
from formcheck.synth.script import SetScript

EXTRA_POINTS = ("left_heel_back", "right_heel_back", "left_ball", "right_ball", "pelvis", "neck", "head")
POINT_NAMES: tuple[str, ...] = LANDMARK_NAMES + EXTRA_POINTS
PIVOT_X = 0.01  # ball of the working foot, 1 cm in from the step's back edge
FLOOR_PIVOT_X = -0.24  # ball of a foot standing on the floor behind the step


@dataclass(frozen=True)
class Body:
    """Segment lengths and offsets (m); defaults match the renderer's MakeHuman hm08 mesh.

    Foot points are (forward, up) relative to the ball pivot at sole level.  Upper-body
    offsets are (forward, up, right) relative to the pelvis centre in a tall stance.
    """

    thigh: float = 0.394
    shank: float = 0.408
    hip_half_width: float = 0.101
    foot_z: float = 0.08
    heel_back: tuple[float, float] = (-0.184, 0.0)
    heel_mp: tuple[float, float] = (-0.154, 0.03)
    ankle: tuple[float, float] = (-0.116, 0.068)
    toe: tuple[float, float] = (0.052, 0.015)
    shoulder: tuple[float, float, float] = (0.014, 0.454, 0.17)
    neck: tuple[float, float, float] = (0.0, 0.576, 0.0)
    head: tuple[float, float, float] = (0.039, 0.649, 0.0)
    upper_arm: float = 0.242
    forearm: float = 0.238

    @property
    def heel_lever(self) -> float:
        return float(np.hypot(*self.heel_back))


def scaled_body(scale: float, width: float = 1.0, body: Body = Body()) -> Body:
    """A body `scale` times as tall (every length), hips and feet `width` times as far apart."""
    if not 0.7 <= scale <= 1.3 or not 0.8 <= width <= 1.3:
        raise ValueError(f"scale must be in [0.7, 1.3] and width in [0.8, 1.3], got {scale}, {width}")
    out = {}
    for name, value in body.__dict__.items():
        v = np.asarray(value, dtype=float) * scale
        if name in ("hip_half_width", "foot_z"):
            v = v * width
        out[name] = tuple(float(x) for x in v) if v.ndim else float(v)
    return Body(**out)


# (forward, up, right) of face points relative to the head joint, for the RIGHT side.
_FACE = {
    "nose": (0.115, 0.06, 0.0),
    "eye_inner": (0.09, 0.095, 0.018),
    "eye": (0.085, 0.095, 0.032),
    "eye_outer": (0.075, 0.095, 0.048),
    "ear": (0.0, 0.075, 0.072),
    "mouth": (0.095, 0.025, 0.024),
}


@dataclass(frozen=True, eq=False)
class Skeleton:
    """True 3D points over time.  points: (T, P, 3) in POINT_NAMES order; frames: name -> (T, 3, 3)."""

    t: np.ndarray
    points: np.ndarray
    frames: dict
    heel_m: np.ndarray  # (T,) heel-back height vs flat foot, working side (the driving signal)

    def point(self, name: str) -> np.ndarray:
        return self.points[:, POINT_NAMES.index(name)]

    @property
    def landmarks(self) -> np.ndarray:
        """(T, 33, 3) in MediaPipe order (heel = MediaPipe's heel point)."""
        return self.points[:, : len(LANDMARK_NAMES)]


def rot(axis: int, angle: np.ndarray) -> np.ndarray:
    """(T, 3, 3) right-handed rotations about world axis 0/1/2 by angle (radians)."""
    a = np.asarray(angle, dtype=float)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[..., axis, axis] = 1.0
    m[..., i, i], m[..., j, j], m[..., i, j], m[..., j, i] = c, c, -s, s
    return m


def apply(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v ((3,) or (T, 3)) by rotations r (T, 3, 3)."""
    return np.einsum("tij,tj->ti", r, np.broadcast_to(v, r.shape[:-1]))


def solve_knee(hip: np.ndarray, ankle: np.ndarray, thigh: float, shank: float, bend: np.ndarray) -> np.ndarray:
    """Two-bone IK: the knee, bending towards `bend` ((T, 3) or (3,))."""
    d_vec = ankle - hip
    d = np.clip(np.linalg.norm(d_vec, axis=-1), abs(thigh - shank) + 1e-6, thigh + shank - 1e-9)
    u = d_vec / np.linalg.norm(d_vec, axis=-1, keepdims=True)
    a = (thigh**2 - shank**2 + d**2) / (2 * d)
    b = np.broadcast_to(bend, u.shape)
    b = b - np.sum(b * u, axis=-1, keepdims=True) * u
    b /= np.linalg.norm(b, axis=-1, keepdims=True)
    return hip + a[:, None] * u + np.sqrt(np.maximum(thigh**2 - a**2, 0))[:, None] * b


def knee_flexion_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee flexion (0 = straight) in degrees."""
    u, v = hip - knee, ankle - knee
    cos = np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def _stepping(script: SetScript, tl: tlm.Timeline, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """How far through stepping on the step (0 floor .. 1 on step): foot, pelvis, free foot."""
    u = np.ones_like(t)
    if tl.step_on:
        u = np.where(t < tl.step_on[1], (t - tl.step_on[0]) / tlm.STEP_S, u)
    if tl.step_off:
        u = np.where(t >= tl.step_off[0], 1 - (t - tl.step_off[0]) / tlm.STEP_S, u)
    u = np.clip(u, 0, 1)
    return tlm.min_jerk(u / 0.35), tlm.min_jerk((u - 0.3) / 0.5), tlm.min_jerk((u - 0.55) / 0.35)


def _foot_points(body: Body, pivot: np.ndarray, r_rear: np.ndarray) -> dict[str, np.ndarray]:
    out = {
        name: pivot + apply(r_rear, np.array([*getattr(body, name), 0.0])) for name in ("heel_back", "heel_mp", "ankle")
    }
    out["ball"] = pivot
    out["toe"] = pivot + np.array([*body.toe, 0.0])
    return out


def _working_leg(script: SetScript, body: Body, tl: tlm.Timeline, t: np.ndarray, h: np.ndarray, sig) -> dict:
    sgn = 1.0 if script.side == "right" else -1.0
    fu, pu, _ = sig["stepping"]
    theta = np.arcsin(np.clip(h / body.heel_lever, -1, 1))
    phi = sig["arch_collapse"] - sig["roll_out"]
    r_rear = rot(0, -sgn * phi) @ rot(2, -theta)
    p_step = np.array([PIVOT_X, script.step_height_m, sgn * body.foot_z])
    p_floor = np.array([FLOOR_PIVOT_X, 0.0, sgn * body.foot_z])
    pivot = p_floor + fu[:, None] * (p_step - p_floor)
    pivot[:, 1] += 0.1 * np.sin(np.pi * fu)
    foot = _foot_points(body, pivot, r_rear)
    kappa = np.radians(script.knee_bend_deg + sig["knee_drive"])
    reach = np.sqrt(body.thigh**2 + body.shank**2 + 2 * body.thigh * body.shank * np.cos(kappa))
    ankle_on = p_step + apply(r_rear, np.array([*body.ankle, 0.0]))
    hip_on = np.stack(
        [PIVOT_X - 0.03 + sig["torso_help"], np.zeros_like(t), sgn * body.hip_half_width + sig["hip_z"]], axis=1
    )
    dxz = np.hypot(hip_on[:, 0] - ankle_on[:, 0], hip_on[:, 2] - ankle_on[:, 2])
    hip_on[:, 1] = ankle_on[:, 1] + np.sqrt(reach**2 - dxz**2)
    hip_floor = np.array([FLOOR_PIVOT_X - 0.03, body.ankle[1] + 0.8, sgn * body.hip_half_width])
    hip = hip_floor + pu[:, None] * (hip_on - hip_floor)
    bend = np.stack([np.ones_like(t), np.zeros_like(t), -sgn * 1.5 * np.sin(phi)], axis=1)
    foot["knee"] = solve_knee(hip, foot["ankle"], body.thigh, body.shank, bend)
    foot["hip"] = hip
    return foot, r_rear


def _free_leg(script: SetScript, body: Body, hip: np.ndarray, r_pelvis: np.ndarray, sig) -> dict:
    sgn = 1.0 if script.free_side == "right" else -1.0
    _, _, fru = sig["stepping"]
    hang = hip + apply(r_pelvis, np.array([-0.36, -0.50, 0.0]))
    hang[:, 1] += sig["free_foot"]
    ankle_rel = np.array([*body.ankle, 0.0])
    toe_rel = np.array([*body.toe, 0.0]) - ankle_rel
    touch_pitch = np.radians(35.0)  # the free foot touches down with its toes
    toe_at = np.array([PIVOT_X + 0.08, script.step_height_m + body.toe[1], sgn * body.foot_z])
    touch = toe_at - rot(2, np.array([-touch_pitch]))[0] @ toe_rel
    floor = np.array([FLOOR_PIVOT_X, 0.0, sgn * body.foot_z]) + ankle_rel
    w = sig["free_leg_assist"][:, None]
    on_step = hang + w * (touch - hang)
    ankle = floor + fru[:, None] * (on_step - floor)
    ankle[:, 1] += 0.06 * np.sin(np.pi * fru)
    pitch = (np.radians(50.0) + (touch_pitch - np.radians(50.0)) * sig["free_leg_assist"]) * fru
    r_foot = rot(2, -pitch)
    out = {
        name: ankle + apply(r_foot, np.array([*getattr(body, name), 0.0]) - ankle_rel)
        for name in ("heel_back", "heel_mp", "toe")
    }
    out["ball"] = ankle + apply(r_foot, -ankle_rel)
    out["ankle"], out["hip"] = ankle, hip
    out["knee"] = solve_knee(hip, ankle, body.thigh, body.shank, np.array([1.0, 0.0, 0.0]))
    return out, r_foot


def _arm(body: Body, sgn: float, abduct: float, flex: float, elbow: float) -> dict[str, np.ndarray]:
    """Torso-local arm points (relative to the pelvis centre), sgn +1 right / -1 left."""
    a, f, e = np.radians([abduct, flex, elbow])
    sh = np.array([body.shoulder[0], body.shoulder[1], sgn * body.shoulder[2]])
    up = np.array([np.sin(f), -np.cos(f) * np.cos(a), sgn * np.sin(a)])
    el = sh + body.upper_arm * up
    fo = np.array([np.sin(f + e), -np.cos(f + e), sgn * 0.5 * np.sin(a)])
    fo /= np.linalg.norm(fo)
    wr = el + body.forearm * fo
    side = np.array([0.0, 0.0, sgn])
    return {
        "shoulder": sh,
        "elbow": el,
        "wrist": wr,
        "index": wr + 0.085 * fo - 0.01 * side,
        "pinky": wr + 0.075 * fo + 0.02 * side,
        "thumb": wr + 0.045 * fo + np.array([0.025, 0, 0]),
    }


def _upper_body(script: SetScript, body: Body, center: np.ndarray, r_torso: np.ndarray) -> dict:
    out: dict[str, np.ndarray] = {}
    for side, sgn in (("right", 1.0), ("left", -1.0)):
        band = side == script.side
        arm = _arm(body, sgn, 10.0 if band else 28.0, 5.0 if band else 10.0, 20.0 if band else 25.0)
        for k, v in arm.items():
            out[f"{side}_{k}"] = center + apply(r_torso, v)
    head = np.array(body.head)
    for k, (fx, fy, fz) in _FACE.items():
        for side, sgn in (("right", 1.0), ("left", -1.0)):
            key = "nose" if k == "nose" else (f"mouth_{side}" if k == "mouth" else f"{side}_{k}")
            out[key] = center + apply(r_torso, head + np.array([fx, fy, sgn * fz]))
    out["neck"] = center + apply(r_torso, np.array(body.neck))
    out["head"] = center + apply(r_torso, head)
    return out


def fault_signals(tl: tlm.Timeline, t: np.ndarray, script: SetScript | None = None) -> dict[str, np.ndarray]:
    """Each body fault's amount over time, plus the script's balance sway: roll and pelvis drop in radians,
    extra knee bend in degrees, hip shift in metres, trunk lean in radians, free-foot touch 0..1."""
    cm, rad = (lambda v: v / 100), np.radians
    sig = {
        "arch_collapse": tlm.fault_amount(tl, t, "arch_collapse", "roll_deg", rad),
        "roll_out": tlm.fault_amount(tl, t, "roll_out", "roll_deg", rad),
        "knee_drive": tlm.fault_amount(tl, t, "knee_drive", "bend_deg"),
        "torso_help": tlm.fault_amount(tl, t, "torso_help", "hip_cm", cm),
        "trunk_lean": tlm.fault_amount(tl, t, "torso_help", "trunk_deg", rad),
        "free_leg_assist": tlm.fault_signal(tl, t, "free_leg_assist"),
        "hips_not_level": tlm.fault_amount(tl, t, "hips_not_level", "drop_deg", rad),
        "hip_z": np.zeros_like(t),
        "free_foot": np.zeros_like(t),
    }
    if script is not None and script.sway > 0:
        sw = tlm.sway_signals(script.seed, script.sway, t)
        sig["torso_help"] = sig["torso_help"] + sw["hip_x_m"]
        sig["trunk_lean"] = sig["trunk_lean"] + sw["trunk_rad"]
        sig["hips_not_level"] = sig["hips_not_level"] + sw["pelvis_rad"]
        sig["knee_drive"] = sig["knee_drive"] + sw["knee_deg"]
        sig["hip_z"], sig["free_foot"] = sw["hip_z_m"], sw["free_foot_m"]
    return sig


def compute_skeleton(script: SetScript, t: np.ndarray, body: Body = Body()) -> Skeleton:
    """True 3D points of the scripted set at times t (seconds)."""
    t = np.asarray(t, dtype=float)
    if t.ndim != 1:
        raise ValueError(f"t must be a 1-D array of seconds, got shape {t.shape}")
    tl = tlm.build_timeline(script)
    h = tlm.heel_height(tl, t)
    sig = fault_signals(tl, t, script)
    sig["stepping"] = _stepping(script, tl, t)
    sgn = 1.0 if script.side == "right" else -1.0
    work, r_rear = _working_leg(script, body, tl, t, h, sig)
    psi = sig["hips_not_level"]
    r_pelvis = rot(0, -sgn * psi)
    free_hip = work["hip"] + apply(r_pelvis, np.array([0.0, 0.0, -sgn * 2 * body.hip_half_width]))
    free, r_free = _free_leg(script, body, free_hip, r_pelvis, sig)
    center = 0.5 * (work["hip"] + free_hip)
    r_torso = rot(0, -sgn * 0.5 * psi) @ rot(2, -sig["trunk_lean"])
    pts = _upper_body(script, body, center, r_torso)
    for side, leg in ((script.side, work), (script.free_side, free)):
        for k_mp, k in (
            ("hip", "hip"),
            ("knee", "knee"),
            ("ankle", "ankle"),
            ("heel", "heel_mp"),
            ("foot_index", "toe"),
            ("heel_back", "heel_back"),
            ("ball", "ball"),
        ):
            pts[f"{side}_{k_mp}"] = leg[k]
    pts["pelvis"] = center
    points = np.stack([pts[n] for n in POINT_NAMES], axis=1)
    frames = {"pelvis": r_pelvis, "torso": r_torso, f"foot_{script.side}": r_rear, f"foot_{script.free_side}": r_free}
    return Skeleton(t=t, points=points, frames=frames, heel_m=h)
