"""Render a scripted calf-raise set to NAME.mp4 + NAME.truth.json."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from formcheck.core.landmarks import LANDMARK_NAMES
from formcheck.synth.camera import Camera, make_camera
from formcheck.synth.motion import compute_skeleton
from formcheck.synth.script import SetScript
from formcheck.synth.timeline import build_timeline
from formcheck.synth.truth import compute_truth, save_truth
from tools.render.mesh import BodyShape, RiggedMesh, load_mesh
from tools.render.pose import body_from_rig, bone_transforms, rest_normals, rigid_points, skin
from tools.render.scene import Light, Look, Scene, box, segment

SKINS = ((0.93, 0.76, 0.64), (0.80, 0.60, 0.45), (0.55, 0.38, 0.26), (0.36, 0.24, 0.17))
CLOTHES = (
    (0.15, 0.35, 0.75),
    (0.75, 0.2, 0.2),
    (0.2, 0.55, 0.3),
    (0.9, 0.9, 0.88),
    (0.95, 0.6, 0.1),
    (0.45, 0.3, 0.6),
    (0.12, 0.12, 0.14),
    (0.55, 0.55, 0.58),
)
WALLS = ((0.86, 0.85, 0.8), (0.7, 0.78, 0.85), (0.85, 0.8, 0.7), (0.75, 0.75, 0.75))


@dataclass(frozen=True)
class RenderConfig:
    """How to film the set.  look None: colours picked from the script's seed (the sample videos);
    body None: the bare base mesh; span_m None: the athlete fills the frame (see make_camera)."""

    view: str = "side"
    width: int = 540
    height: int = 960
    distance: float = 3.0
    camera_height_m: float = 1.0
    noise: float = 2.0
    crf: int = 26
    band: bool = True
    max_frames: int = 0  # 0 = all
    azimuth_offset_deg: float = 0.0
    span_m: float | None = None
    target_height_m: float | None = None
    body: BodyShape | None = None
    look: Look | None = None
    light: Light = Light()


def pick_look(seed: int) -> Look:
    rng = np.random.default_rng(seed)
    shirt, shorts, shoes = rng.choice(len(CLOTHES), 3, replace=False)
    return Look(
        skin=SKINS[rng.integers(len(SKINS))],
        hair=(0.12, 0.08, 0.05),
        shirt=CLOTHES[shirt],
        shorts=CLOTHES[shorts],
        shoes=CLOTHES[shoes],
        wall=WALLS[rng.integers(len(WALLS))],
        floor=(0.55, 0.45, 0.35),
        step=(0.35, 0.35, 0.38),
        band=(0.85, 0.1, 0.15),
    )


def _parts(mesh: RiggedMesh) -> dict[str, np.ndarray]:
    """Vertex masks of the clothing regions, by dominant bone and rest height."""
    dom = np.array(mesh.bones)[mesh.weights.argmax(axis=1)]
    y = mesh.verts[:, 1]
    knee_y = mesh.heads[mesh.bone("calf_r"), 1]
    elbow_y = mesh.heads[mesh.bone("lowerarm_r"), 1]
    head = mesh.heads[mesh.bone("head")]
    part = np.char.partition(dom.astype(str), "_")[:, 0]
    rel = mesh.verts - head
    feet = np.isin(part, ("foot", "ball")) | ((part == "calf") & (y < 0.1))
    return {
        "shirt": np.isin(part, ("spine", "clavicle"))
        | ((part == "upperarm") & (y > elbow_y + 0.12))
        | ((part == "neck") & (y < head[1] - 0.08)),
        "arms": np.isin(part, ("upperarm", "lowerarm")),
        "shorts": np.isin(part, ("pelvis", "Root")) | ((part == "thigh") & (y > knee_y + 0.15)),
        "legs": np.isin(part, ("pelvis", "Root", "thigh")) | ((part == "calf") & ~feet),
        "feet": feet,
        "sole": feet & (y < 0.012),
        "hair": (part == "head") & ((rel[:, 1] > 0.12) | ((rel[:, 1] > 0.0) & (rel[:, 0] < -0.02))),
    }


def vertex_colors(mesh: RiggedMesh, look: Look) -> np.ndarray:
    """Shirt / shorts or leggings / shoes or bare feet / skin / hair by dominant bone and rest height."""
    p = _parts(mesh)
    col = np.tile(look.skin, (len(mesh.verts), 1))
    shirt = p["shirt"] | (p["arms"] if look.sleeves == "long" else False)
    legs = p["legs"] if look.legwear == "leggings" else p["shorts"]
    paint = [(shirt, look.shirt), (legs, look.shorts), (p["hair"], look.hair)]
    if look.feet == "shoes":
        paint += [(p["feet"], look.shoes)] + ([(p["sole"], look.sole)] if look.sole else [])
    for mask, c in paint:
        col[mask] = c
    col[mesh.eye] = (0.1, 0.08, 0.07)
    return col


def dress(mesh: RiggedMesh, look: Look, thickness: float = 0.006) -> RiggedMesh:
    """The mesh as rendered: shoes make the feet `thickness` bulkier (never below the sole)."""
    if look.feet != "shoes":
        return mesh
    feet = _parts(mesh)["feet"]
    normals = rest_normals(mesh)
    offset = thickness * normals[feet]
    offset[:, 1] = np.where(mesh.verts[feet, 1] < 0.02, np.maximum(offset[:, 1], 0.0), offset[:, 1])
    verts = mesh.verts.copy()
    verts[feet] += offset
    return replace(mesh, verts=verts)


def quad(center, u, v, color) -> np.ndarray:
    n = np.cross(u, v)
    n /= np.linalg.norm(n)
    q = [center - u - v, center + u - v, center + u + v, center - u + v]
    return np.array([np.r_[q[k], n, color] for k in (0, 1, 2, 0, 2, 3)], dtype="f4")


def static_scene(cam: Camera, look: Look, step_h: float) -> np.ndarray:
    f = cam.basis()[2] * np.array([1, 0, 1.0])
    f /= np.linalg.norm(f)
    side = np.cross([0, 1.0, 0], f)
    wall = quad(np.array([-0.05, 2.0, 0]) + 1.8 * f, 5 * side, np.array([0, 2.0, 0]), look.wall)
    if look.sole is not None or look.feet != "shoes" or look.legwear != "shorts":  # not a sample-video look
        wall = quad(np.array([-0.05, 3.0, 0]) + 1.8 * f, 12 * side, np.array([0, 3.0, 0]), look.wall)
    floor = box((-6, -0.02, -6), (6, 0.0, 6), look.floor)
    depth, width = look.step_size
    step = box((0.0, 0.0, -width / 2), (depth, step_h, width / 2), look.step)
    return np.concatenate([wall, floor, step])


def truth_points(mesh: RiggedMesh) -> dict[str, tuple[int, np.ndarray]]:
    """Landmark name -> (bone, rest position): joints, heel points, toe tips, face points."""
    b, h, tl = mesh.bone, lambda n: mesh.heads[mesh.bone(n)], lambda n: mesh.tails[mesh.bone(n)]
    pts: dict[str, tuple[int, np.ndarray]] = {}
    body = body_from_rig(mesh)
    for s, side in (("l", "left"), ("r", "right")):
        sg = 1.0 if side == "right" else -1.0
        ank, ball = h(f"foot_{s}"), h(f"ball_{s}")
        foot = mesh.verts[(mesh.verts[:, 1] < 0.1) & (sg * mesh.verts[:, 2] > 0.05)]
        toe = foot[foot[:, 0].argmax()]
        hb = np.array([ball[0] + body.heel_back[0], 0.0, ank[2]])
        for name, bone, p in (
            ("hip", "thigh", h(f"thigh_{s}")),
            ("knee", "calf", h(f"calf_{s}")),
            ("ankle", "foot", ank),
            ("heel_back", "foot", hb),
            ("heel", "foot", hb + [0.03, 0.03, 0]),
            ("ball", "ball", np.array([ball[0], 0.0, ball[2]])),
            ("foot_index", "ball", np.array([toe[0], 0.015, toe[2]])),
            ("shoulder", "upperarm", h(f"upperarm_{s}")),
            ("elbow", "lowerarm", h(f"lowerarm_{s}")),
            ("wrist", "hand", h(f"hand_{s}")),
            ("pinky", "pinky_01", tl(f"pinky_01_{s}")),
            ("index", "index_01", tl(f"index_01_{s}")),
            ("thumb", "thumb_01", tl(f"thumb_01_{s}")),
        ):
            pts[f"{side}_{name}"] = (b(f"{bone}_{s}"), p)
        eye = mesh.verts[mesh.eye & (sg * mesh.verts[:, 2] > 0)].mean(axis=0)
        hd = b("head")
        pts[f"{side}_eye"] = (hd, eye)
        pts[f"{side}_eye_inner"] = (hd, eye - [0.0, 0.0, sg * 0.016])
        pts[f"{side}_eye_outer"] = (hd, eye + [-0.005, 0.0, sg * 0.016])
        pts[f"mouth_{side}"] = (hd, eye + [0.0, -0.065, -sg * 0.008])
        ring = mesh.verts[
            (np.abs(mesh.verts[:, 1] - eye[1] + 0.02) < 0.015) & (np.abs(mesh.verts[:, 0] - h("head")[0] + 0.03) < 0.02)
        ]
        pts[f"{side}_ear"] = (hd, np.array([h("head")[0] - 0.03, eye[1] - 0.02, sg * np.abs(ring[:, 2]).max()]))
    face = mesh.verts[
        (np.abs(mesh.verts[:, 2]) < 0.01) & (mesh.verts[:, 1] > eye[1] - 0.06) & (mesh.verts[:, 1] < eye[1])
    ]
    pts["nose"] = (b("head"), face[face[:, 0].argmax()])
    return pts


def _encoder(path: Path, w: int, h: int, fps: float, crf: int) -> subprocess.Popen:
    import imageio_ffmpeg

    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-r",
        f"{fps}",
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(path),
    ]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE)


def render(script: SetScript, cfg: RenderConfig, out: Path, progress=None) -> tuple[Path, Path]:
    """Write out.mp4 and out.truth.json; returns both paths."""
    mesh = load_mesh(cfg.body)
    body = body_from_rig(mesh)
    cam = make_camera(
        cfg.view,
        script.side,
        cfg.width,
        cfg.height,
        cfg.distance,
        cfg.camera_height_m,
        cfg.azimuth_offset_deg,
        cfg.span_m,
        cfg.target_height_m,
    )
    tl = build_timeline(script)
    t = np.arange(int(np.floor(tl.duration * script.fps))) / script.fps
    if cfg.max_frames:
        t = t[: cfg.max_frames]
    sk = compute_skeleton(script, t, body)
    mats = bone_transforms(mesh, sk, script.side)
    pts3d = rigid_points(mats, truth_points(mesh))
    look = cfg.look or pick_look(script.seed)
    worn = mesh if cfg.look is None else dress(mesh, look)
    scene = Scene(
        cam, mesh.tris, vertex_colors(mesh, look), static_scene(cam, look, script.step_height_m), light=cfg.light
    )
    rng = np.random.default_rng(script.seed + 1000)
    out.parent.mkdir(parents=True, exist_ok=True)
    mp4 = out.with_suffix(".mp4")
    enc = _encoder(mp4, cfg.width, cfg.height, script.fps, cfg.crf)
    normals = rest_normals(worn)
    work = script.side
    try:
        for i in range(len(t)):
            v, n = skin(worn, mats[i], normals)
            band = segment(pts3d[f"{work}_wrist"][i], pts3d[f"{work}_ball"][i], 0.02, look.band) if cfg.band else None
            img = scene.render(v, n, band)
            if cfg.noise > 0:
                img = np.clip(img + rng.normal(0, cfg.noise, img.shape), 0, 255).astype(np.uint8)
            enc.stdin.write(img.tobytes())
            if progress:
                progress(i, len(t), img)
    finally:
        enc.stdin.close()
        enc.wait()
        scene.release()
    px = {k: cam.project(v)[0] for k, v in pts3d.items()}
    lm = np.stack([px[n] for n in LANDMARK_NAMES], axis=1)
    extra = {k: px[k] for k in ("left_heel_back", "right_heel_back", "left_ball", "right_ball")}
    truth = compute_truth(script, cfg.view, cfg.width, cfg.height, t=t, landmarks_px=lm, extra_px=extra, body=body)
    path = save_truth(truth, out.with_name(out.name + ".truth.json"))
    return mp4, path
