"""Pose the rigged mesh from formcheck.synth's skeleton with linear blend skinning (numpy)."""

from __future__ import annotations

import numpy as np

from formcheck.synth.motion import Body, Skeleton
from tools.render.mesh import RiggedMesh

SIDES = {"l": "left", "r": "right"}
TORSO_BONES = ("spine_01", "spine_02", "spine_03", "neck_01", "head", "clavicle_l", "clavicle_r")


def rest_center(mesh: RiggedMesh) -> np.ndarray:
    """Rest pelvis centre: midpoint of the hip joints."""
    return 0.5 * (mesh.heads[mesh.bone("thigh_l")] + mesh.heads[mesh.bone("thigh_r")])


def body_from_rig(mesh: RiggedMesh) -> Body:
    """formcheck.synth Body whose lengths and offsets match this mesh (right side)."""
    h = lambda b: mesh.heads[mesh.bone(b)]
    c0 = rest_center(mesh)
    pivot = np.array([h("ball_r")[0], 0.0])
    foot = mesh.verts[(mesh.verts[:, 1] < 0.1) & (mesh.verts[:, 2] > 0.05)]
    heel_back = np.array([foot[:, 0].min() + 0.007, 0.0]) - pivot
    return Body(
        thigh=float(np.linalg.norm(h("calf_r") - h("thigh_r"))),
        shank=float(np.linalg.norm(h("foot_r") - h("calf_r"))),
        hip_half_width=float(h("thigh_r")[2]),
        heel_back=tuple(heel_back),
        heel_mp=tuple(heel_back + 0.03),
        ankle=tuple(h("foot_r")[:2] - pivot),
        toe=(float(foot[:, 0].max() - pivot[0]), 0.015),
        shoulder=tuple(h("upperarm_r") - c0),
        neck=tuple(h("neck_01") - c0),
        head=tuple(h("head") - c0),
        upper_arm=float(np.linalg.norm(h("lowerarm_r") - h("upperarm_r"))),
        forearm=float(np.linalg.norm(h("hand_r") - h("lowerarm_r"))),
    )


def _frame(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """(..., 3, 3) orthonormal frames with columns d, s (orthogonalized), d x s."""
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    s = s - np.sum(s * d, axis=-1, keepdims=True) * d
    s = s / np.linalg.norm(s, axis=-1, keepdims=True)
    return np.stack([d, s, np.cross(d, s)], axis=-1)


def _aim(d0: np.ndarray, s0: np.ndarray, d1: np.ndarray, s1: np.ndarray) -> np.ndarray:
    """Rotations taking rest direction d0 (ref s0) to posed d1 (ref s1)."""
    return _frame(d1, s1) @ np.swapaxes(_frame(d0, s0), -1, -2)


def bone_transforms(mesh: RiggedMesh, sk: Skeleton, work_side: str) -> np.ndarray:
    """(T, B, 3, 4) per-bone rigid transforms, rest -> posed."""
    T = len(sk.t)
    rot = np.tile(np.eye(3), (T, len(mesh.bones), 1, 1))
    head1 = np.tile(mesh.heads, (T, 1, 1)).astype(float)
    c0, c1 = rest_center(mesh), sk.point("pelvis")
    r_p, r_t = sk.frames["pelvis"], sk.frames["torso"]
    x, z = np.array([1.0, 0, 0]), np.array([0, 0, 1.0])

    def put(b: str, r: np.ndarray, head: np.ndarray) -> None:
        i = mesh.bone(b)
        rot[:, i], head1[:, i] = r, head

    for b, r in (("Root", r_p), ("pelvis", r_p)) + tuple((b, r_t) for b in TORSO_BONES):
        put(b, r, c1 + np.einsum("tij,j->ti", r, mesh.heads[mesh.bone(b)] - c0))
    side_ref, fwd_ref = r_p @ z, r_t @ x
    for s, side in SIDES.items():
        p = lambda n, side=side: sk.point(f"{side}_{n}")
        chain = (
            ("thigh", "hip", "knee", side_ref, z),
            ("calf", "knee", "ankle", side_ref, z),
            ("upperarm", "shoulder", "elbow", fwd_ref, x),
            ("lowerarm", "elbow", "wrist", fwd_ref, x),
        )
        for bone, a, b, ref1, ref0 in chain:
            i = mesh.bone(f"{bone}_{s}")
            d0 = mesh.tails[i] - mesh.heads[i]
            put(f"{bone}_{s}", _aim(d0, ref0, p(b) - p(a), ref1), p(a))
        r_foot = sk.frames[f"foot_{side}"]
        put(f"foot_{s}", r_foot, p("ankle"))
        r_toe = np.tile(np.eye(3), (T, 1, 1)) if side == work_side else r_foot
        ball0 = mesh.heads[mesh.bone(f"ball_{s}")] - mesh.heads[mesh.bone(f"foot_{s}")]
        put(f"ball_{s}", r_toe, p("ankle") + np.einsum("tij,j->ti", r_foot, ball0))
        la = mesh.bone(f"lowerarm_{s}")
        for b in mesh.bones:
            if b.endswith(f"_{s}") and b.split("_")[0] in ("hand", "thumb", "index", "middle", "ring", "pinky"):
                put(
                    b,
                    rot[:, la],
                    head1[:, la] + np.einsum("tij,j->ti", rot[:, la], mesh.heads[mesh.bone(b)] - mesh.heads[la]),
                )
    trans = head1 - np.einsum("tbij,bj->tbi", rot, mesh.heads)
    return np.concatenate([rot, trans[..., None]], axis=-1)


def skin(mesh: RiggedMesh, mats: np.ndarray, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One frame: (B, 3, 4) transforms -> posed vertices and normals (V, 3)."""
    blend = (mesh.weights @ mats.reshape(len(mesh.bones), 12)).reshape(-1, 3, 4)
    v = np.einsum("vij,vj->vi", blend[:, :, :3], mesh.verts) + blend[:, :, 3]
    n = np.einsum("vij,vj->vi", blend[:, :, :3], normals)
    return v, n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-9)


def rigid_points(mats: np.ndarray, points: dict[str, tuple[int, np.ndarray]]) -> dict[str, np.ndarray]:
    """Points attached rigidly to one bone each: name -> (bone index, rest xyz) -> (T, 3)."""
    return {k: np.einsum("tij,j->ti", mats[:, b, :, :3], p) + mats[:, b, :, 3] for k, (b, p) in points.items()}


def rest_normals(mesh: RiggedMesh) -> np.ndarray:
    v, f = mesh.verts, mesh.tris
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, f[:, k], fn)
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
