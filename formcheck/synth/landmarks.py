"""Synthetic MediaPipe-like landmark series with exact truth, for analyzer tests.

    series, truth = make_series(preset("clean_side"), view="side", noise_px=1.0, seed=0)

Pipeline: motion model (3D, metres) -> pinhole camera (pixels) -> optional, seeded
MediaPipe-like corruption (:class:`Corruption`).  Everything is vectorized; 10 minutes
of 30 fps take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from formcheck.core.landmarks import INDEX, LANDMARK_NAMES, LandmarkSeries
from formcheck.errors import InputError
from formcheck.synth import timeline as tlm
from formcheck.synth.camera import Camera, make_camera
from formcheck.synth.motion import POINT_NAMES, Body, compute_skeleton
from formcheck.synth.script import SetScript
from formcheck.synth.truth import Truth, compute_truth

LEG_PARTS = ("hip", "knee", "ankle", "heel", "foot_index")
ARM_PARTS = ("shoulder", "elbow", "wrist", "pinky", "index", "thumb")
LEG_WIDTH_SHANK = 0.2  # a leg hides what lies within this many shank lengths of its centre line in the picture


@dataclass(frozen=True)
class Corruption:
    """MediaPipe-like errors; all off at their zero value.

    noise_px: iid gaussian per landmark; jitter_px: one shared shift per frame;
    heel_compression: the heel point's displacement from its flat-foot place is scaled by
    this (MediaPipe reads ~0.7 of the truth; 1.0 = off); far_vis: visibility range of
    the far-side limbs; far_noise_scale: noise multiplier there; gaps: (t0, t1) seconds
    with no pose (NaN); gap_rate: extra random one-to-five-frame gaps per second;
    dt_jitter: timestamp jitter as a fraction of 1/fps (< 0.5); glitch_rate: single-frame
    glitches per second, each moving one leg's landmarks by ~glitch_px.
    """

    noise_px: float = 0.0
    jitter_px: float = 0.0
    heel_compression: float = 1.0
    far_vis: tuple[float, float] = (0.3, 0.7)
    far_noise_scale: float = 3.0
    gaps: tuple[tuple[float, float], ...] = ()
    gap_rate: float = 0.0
    dt_jitter: float = 0.0
    glitch_rate: float = 0.0
    glitch_px: float = 25.0

    def __post_init__(self) -> None:
        if min(self.noise_px, self.jitter_px, self.gap_rate, self.glitch_rate, self.dt_jitter) < 0:
            raise InputError("corruption amounts must be >= 0")
        if self.dt_jitter >= 0.5:
            raise InputError(f"dt_jitter must be < 0.5 (fraction of a frame), got {self.dt_jitter}")
        if not 0 < self.heel_compression <= 1.5:
            raise InputError(f"heel_compression must be in (0, 1.5], got {self.heel_compression}")


MEDIAPIPE_LIKE = Corruption(
    noise_px=1.5, jitter_px=0.5, heel_compression=0.7, dt_jitter=0.1, gap_rate=0.02, glitch_rate=0.05
)


def frame_times(script: SetScript, duration: float, dt_jitter: float, rng: np.random.Generator) -> np.ndarray:
    """Strictly increasing frame times; jittered by up to dt_jitter of a frame."""
    n = int(np.floor(duration * script.fps))
    t = np.arange(n) / script.fps
    if dt_jitter > 0:
        t = t + rng.uniform(-dt_jitter, dt_jitter, n) / script.fps
        t[0] = max(t[0], 0.0)
    return t


def _far_mask(cam: Camera, pts3d: np.ndarray) -> np.ndarray:
    """(T, 33) True for the landmarks MediaPipe sees poorly: a knee, ankle, heel or toe hidden behind the other
    leg (its hip-knee-ankle-heel-toe line passes over the point in the picture, more than 8 cm nearer), an arm
    point farther than its pair by more than 8 cm. From the side the far leg's knee is behind the near one; from
    the front or behind the legs stand apart in the picture and a free foot bent back hides nothing of the
    working leg. The rendered clips' MediaPipe saw the working leg well in every view (visibility 0.81-1.0 per
    point) and the hips always (0.99-1.0); a leg model that hid the working leg from behind (every point farther
    than its pair) made the back view's reps unreadable."""
    depth = cam.to_camera(pts3d)[..., 2]
    px, _ = cam.project(pts3d)
    far = np.zeros(depth.shape, dtype=bool)
    for part in ARM_PARTS:
        li, ri = INDEX[f"left_{part}"], INDEX[f"right_{part}"]
        d = depth[:, li] - depth[:, ri]
        far[:, li], far[:, ri] = d > 0.08, d < -0.08
    legs = {s: [INDEX[f"{s}_{p}"] for p in LEG_PARTS] for s in ("left", "right")}
    shank = max(np.nanmedian(np.linalg.norm(px[:, leg[1]] - px[:, leg[2]], axis=-1)) for leg in legs.values())
    for s, o in (("left", "right"), ("right", "left")):
        a, b = px[:, legs[o][:-1]], px[:, legs[o][1:]]  # (T, 4, 2): the other leg's segments
        da, db = depth[:, legs[o][:-1]], depth[:, legs[o][1:]]
        ab = b - a
        for i in legs[s][1:]:  # not the hips: MediaPipe places the pelvis from the whole body (seen at 0.99-1.0)
            ap = px[:, i][:, None] - a
            u = np.clip(np.sum(ap * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-9), 0.0, 1.0)
            dist = np.linalg.norm(ap - u[..., None] * ab, axis=-1)
            cover = (dist < LEG_WIDTH_SHANK * shank) & (depth[:, i][:, None] - (da + u * (db - da)) > 0.08)
            far[:, i] = cover.any(axis=1)
    return far


def _compress_heels(pts: np.ndarray, script: SetScript, c: float, body: Body | None = None) -> np.ndarray:
    """Scale the working heel point's displacement from its flat-foot position by c."""
    if c == 1.0:
        return pts
    body = body or Body()
    side = script.side
    hi, bi = POINT_NAMES.index(f"{side}_heel"), POINT_NAMES.index(f"{side}_ball")
    flat = pts[:, bi] + np.array([body.heel_mp[0], body.heel_mp[1], 0.0])
    out = pts.copy()
    out[:, hi] = flat + c * (pts[:, hi] - flat)
    return out


def _corrupt(
    xy: np.ndarray, far: np.ndarray, t: np.ndarray, c: Corruption, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(t)
    sigma = np.where(far, c.noise_px * c.far_noise_scale, c.noise_px)
    xy = xy + rng.normal(size=xy.shape) * sigma[..., None]
    xy = xy + rng.normal(size=(n, 1, 2)) * c.jitter_px
    vis = np.where(far, rng.uniform(*c.far_vis, size=far.shape), rng.uniform(0.93, 1.0, size=far.shape))
    duration = t[-1] if n else 0.0
    for _ in range(rng.poisson(c.glitch_rate * duration)):
        i = rng.integers(n)
        part = [INDEX[f"{rng.choice(['left', 'right'])}_{p}"] for p in LEG_PARTS[1:]]
        xy[i, part] += rng.normal(size=2) * c.glitch_px
    lost = np.zeros(n, dtype=bool)
    for t0, t1 in c.gaps:
        lost |= (t >= t0) & (t < t1)
    for _ in range(rng.poisson(c.gap_rate * duration)):
        i = rng.integers(n)
        lost[i : i + rng.integers(1, 6)] = True
    xy[lost] = np.nan
    vis[lost] = np.nan
    return xy, vis


def make_series(
    script: SetScript,
    view: str = "side",
    noise_px: float = 0.0,
    seed: int | None = None,
    corruption: Corruption | None = None,
    width: int = 540,
    height: int = 960,
    distance: float = 3.0,
    camera_height_m: float = 1.0,
    azimuth_offset_deg: float = 0.0,
    body: Body | None = None,
    span_m: float | None = None,
    target_height_m: float | None = None,
) -> tuple[LandmarkSeries, Truth]:
    """Landmarks of a scripted set as MediaPipe would give them, and the exact truth.

    azimuth_offset_deg turns the camera about the athlete from the named view (e.g. "side" with
    -30: 30 degrees towards the front, an oblique view).
    noise_px overrides corruption.noise_px when given (> 0); seed defaults to script.seed.
    body: segment lengths (e.g. :func:`~formcheck.synth.motion.scaled_body`); span_m: metres of world the
    frame's height shows (None: the athlete fills the frame as in the sample videos); target_height_m: where
    the camera aims (None: 0.93 m).
    truth.landmarks_px holds the uncorrupted pixel positions at the same frame times.
    """
    c = corruption or Corruption()
    body = body or Body()
    if noise_px:
        c = replace(c, noise_px=float(noise_px))
    rng = np.random.default_rng(script.seed if seed is None else seed)
    cam = make_camera(
        view, script.side, width, height, distance, camera_height_m, azimuth_offset_deg, span_m, target_height_m
    )
    tl = tlm.build_timeline(script)
    t = frame_times(script, tl.duration, c.dt_jitter, rng)
    sk = compute_skeleton(script, t, body)
    px, depth = cam.project(sk.points)
    lm = len(LANDMARK_NAMES)
    seen, _ = cam.project(_compress_heels(sk.points, script, c.heel_compression, body)[:, :lm])
    hips = 0.5 * (depth[:, INDEX["left_hip"]] + depth[:, INDEX["right_hip"]])
    z = (depth[:, :lm] - hips[:, None]) * cam.focal_px / hips[:, None]
    xy, vis = _corrupt(seen, _far_mask(cam, sk.landmarks), t, c, rng)
    z = np.where(np.isnan(vis), np.nan, z)
    world = cam.to_camera(sk.landmarks - sk.point("pelvis")[:, None])
    world = np.where(np.isnan(vis)[..., None], np.nan, world)
    series = LandmarkSeries(t=t, xy=xy, z=z, vis=vis, width=width, height=height, world=world)
    extra = {n: px[:, POINT_NAMES.index(n)] for n in ("left_heel_back", "right_heel_back", "left_ball", "right_ball")}
    truth = compute_truth(script, view, width, height, t=t, landmarks_px=px[:, :lm], extra_px=extra, body=body)
    return series, truth
