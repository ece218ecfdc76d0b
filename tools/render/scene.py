"""Offscreen OpenGL (moderngl + EGL, Mesa llvmpipe on CPU): body, step, floor, wall, band."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.camera import Camera

VERT = """
#version 330
uniform mat4 mvp;
in vec3 in_pos; in vec3 in_nrm; in vec3 in_col;
out vec3 v_nrm; out vec3 v_col;
void main() { gl_Position = mvp * vec4(in_pos, 1.0); v_nrm = in_nrm; v_col = in_col; }
"""
FRAG = """
#version 330
uniform vec3 light; uniform vec3 fill; uniform vec4 weights;
in vec3 v_nrm; in vec3 v_col; out vec4 color;
void main() {
    vec3 n = normalize(v_nrm);
    float d = abs(dot(n, light)) * weights.x + abs(dot(n, fill)) * weights.y + weights.z;
    color = vec4(v_col * d * weights.w, 1.0);
}
"""


@dataclass(frozen=True)
class Light:
    """Lighting: a key light (direction: azimuth from the camera's side, elevation above the horizon;
    None = the sample videos' fixed direction), a fill from the camera, ambient, and overall gain."""

    key: float = 0.62
    fill: float = 0.18
    ambient: float = 0.3
    gain: float = 1.0
    key_azimuth_deg: float | None = None
    key_elevation_deg: float = 45.0

    def direction(self, cam: Camera) -> np.ndarray:
        if self.key_azimuth_deg is None:
            light = np.array([0.5, 0.8, 0.3]) + 0.4 * cam.basis()[2] * -1
        else:
            back = -cam.basis()[2] * np.array([1.0, 0.0, 1.0])
            back /= np.linalg.norm(back)
            a, e = np.radians(self.key_azimuth_deg), np.radians(self.key_elevation_deg)
            side = np.cross([0.0, 1.0, 0.0], back)
            light = np.cos(e) * (np.cos(a) * back + np.sin(a) * side) + np.array([0.0, np.sin(e), 0.0])
        return light / np.linalg.norm(light)


@dataclass(frozen=True)
class Look:
    """Colours (RGB 0..1) of one render."""

    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    shirt: tuple[float, float, float]
    shorts: tuple[float, float, float]
    shoes: tuple[float, float, float]
    wall: tuple[float, float, float]
    floor: tuple[float, float, float]
    step: tuple[float, float, float]
    band: tuple[float, float, float]
    legwear: str = "shorts"  # shorts | leggings (to the ankle)
    sleeves: str = "short"  # short | long
    feet: str = "shoes"  # shoes (coloured, thicker, a sole) | barefoot
    sole: tuple[float, float, float] | None = None  # shoes' sole colour (None: the shoe colour)
    step_size: tuple[float, float] = (0.34, 0.8)  # depth, width (m)


def mvp_matrix(cam: Camera, near: float = 0.1, far: float = 30.0) -> np.ndarray:
    """World -> clip, matching Camera.project exactly (image y down)."""
    b = cam.basis()
    view = np.eye(4)
    view[:3, :3], view[:3, 3] = b, -b @ np.asarray(cam.position)
    proj = np.zeros((4, 4))
    proj[0, 0] = cam.focal_px / (cam.width / 2)
    proj[1, 1] = -cam.focal_px / (cam.height / 2)
    proj[2, 2], proj[2, 3] = (far + near) / (far - near), -2 * far * near / (far - near)
    proj[3, 2] = 1.0
    return proj @ view


def box(lo, hi, color) -> np.ndarray:
    """(36, 9) triangles of an axis-aligned box: pos, normal, colour."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    out = []
    for axis in range(3):
        for sign in (-1, 1):
            n = np.zeros(3)
            n[axis] = sign
            u, v = [a for a in range(3) if a != axis]
            c = np.where(n > 0, hi, lo)
            corners = []
            for du, dv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                p = c.copy()
                p[u], p[v] = (lo, hi)[du][u], (lo, hi)[dv][v]
                corners.append(p)
            for tri in ((0, 1, 2), (0, 2, 3)):
                out += [np.r_[corners[k], n, color] for k in tri]
    return np.array(out, dtype="f4")


def segment(a: np.ndarray, b: np.ndarray, width: float, color) -> np.ndarray:
    """(12, 9) a flat ribbon from a to b, two crossed quads."""
    d = b - a
    out = []
    for side in (np.array([0, 0, 1.0]), np.array([1.0, 0, 0])):
        w = np.cross(d, side)
        w = w / max(np.linalg.norm(w), 1e-9) * width / 2
        n = np.cross(d, w)
        n = n / max(np.linalg.norm(n), 1e-9)
        q = [a - w, a + w, b + w, b - w]
        for tri in ((0, 1, 2), (0, 2, 3)):
            out += [np.r_[q[k], n, color] for k in tri]
    return np.array(out, dtype="f4")


class Scene:
    """One GL context and its buffers; render(verts, normals, extra) -> (H, W, 3) uint8."""

    def __init__(
        self,
        cam: Camera,
        tris: np.ndarray,
        colors: np.ndarray,
        static: np.ndarray,
        samples: int = 4,
        light: Light | None = None,
    ):
        import moderngl

        self.ctx = moderngl.create_standalone_context(backend="egl")
        self.cam = cam
        self.prog = self.ctx.program(vertex_shader=VERT, fragment_shader=FRAG)
        self.prog["mvp"].write(mvp_matrix(cam).T.astype("f4").tobytes())
        light = light or Light()
        self.prog["light"].value = tuple(light.direction(cam))
        self.prog["fill"].value = tuple(-cam.basis()[2])
        self.prog["weights"].value = (light.key, light.fill, light.ambient, light.gain)
        n = int(tris.max()) + 1
        self.vbo = self.ctx.buffer(reserve=n * 24)
        self.cbo = self.ctx.buffer(colors.astype("f4").tobytes())
        ibo = self.ctx.buffer(tris.astype("i4").tobytes())
        self.body = self.ctx.vertex_array(
            self.prog, [(self.vbo, "3f 3f", "in_pos", "in_nrm"), (self.cbo, "3f", "in_col")], ibo
        )
        sbo = self.ctx.buffer(static.astype("f4").tobytes())
        self.static = self.ctx.vertex_array(self.prog, [(sbo, "3f 3f 3f", "in_pos", "in_nrm", "in_col")])
        self.extra_bo = self.ctx.buffer(reserve=64 * 36)
        self.extra = self.ctx.vertex_array(self.prog, [(self.extra_bo, "3f 3f 3f", "in_pos", "in_nrm", "in_col")])
        size = (cam.width, cam.height)
        self.ms = self.ctx.framebuffer(
            self.ctx.renderbuffer(size, samples=samples), self.ctx.depth_renderbuffer(size, samples=samples)
        )
        self.out = self.ctx.framebuffer(self.ctx.renderbuffer(size), self.ctx.depth_renderbuffer(size))
        self.ctx.enable(moderngl.DEPTH_TEST)

    def render(self, verts: np.ndarray, normals: np.ndarray, extra: np.ndarray | None = None) -> np.ndarray:
        self.vbo.write(np.hstack([verts, normals]).astype("f4").tobytes())
        self.ms.use()
        self.ms.clear(0.8, 0.8, 0.8, 1.0)
        self.static.render()
        self.body.render()
        if extra is not None and len(extra):
            self.extra_bo.write(extra.astype("f4").tobytes())
            self.extra.render(vertices=len(extra))
        self.ctx.copy_framebuffer(self.out, self.ms)
        raw = self.out.read(components=3)
        return np.flipud(np.frombuffer(raw, np.uint8).reshape(self.cam.height, self.cam.width, 3))

    def release(self) -> None:
        self.ctx.release()
