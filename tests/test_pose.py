"""The pose edge: bundled model identity, model errors, no person -> no pose, person tracking."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.landmarks import INDEX
from formcheck.errors import ModelError
from formcheck.io.model import BUNDLED_MODEL, BUNDLED_SHA256, file_sha256, resolve_model
from formcheck.io.pose import PoseConfig, PoseEstimator, PoseFrame


def test_bundled_model_matches_its_recorded_sha256():
    info = resolve_model()
    assert info.bundled and info.path == BUNDLED_MODEL
    assert file_sha256(BUNDLED_MODEL) == BUNDLED_SHA256 == info.sha256


def test_missing_and_corrupt_models_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        resolve_model(tmp_path / "none.task")
    junk = tmp_path / "junk.task"
    junk.write_bytes(b"\x00" * 1000)
    with pytest.raises(ModelError, match="not a MediaPipe .task bundle"):
        resolve_model(junk)


def test_a_picture_with_no_person_gives_no_pose():
    rng = np.random.default_rng(0)
    with PoseEstimator() as est:
        for i in range(5):
            img = np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), dtype=np.uint8)
            pose = est.detect(img, i / 30)
            assert not pose.found
            assert np.isnan(pose.xy).all() and pose.xy.shape == (33, 2)


def fake_person(cx: float, cy: float, torso: float = 100.0) -> PoseFrame:
    p = PoseFrame.missing()
    xy = np.full((33, 2), (cx, cy), float)
    for name, dy in (("left_hip", 0.5), ("right_hip", 0.5), ("left_shoulder", -0.5), ("right_shoulder", -0.5)):
        xy[INDEX[name]] = (cx, cy + dy * torso)
    return PoseFrame(xy=xy, z=p.z * 0, vis=p.vis * 0 + 1, presence=p.presence * 0 + 1, world=p.world)


def tracker() -> PoseEstimator:
    est = PoseEstimator.__new__(PoseEstimator)  # the choice logic needs no model
    est.config, est._track, est._torso, est._track_t = PoseConfig(), None, None, -np.inf
    return est


def test_stays_on_the_same_person_and_never_jumps():
    est = tracker()
    big, small = fake_person(300, 400, torso=150), fake_person(800, 400, torso=80)
    assert est._choose([small, big], 0.0) is big  # first frame: the largest person
    moved = fake_person(320, 405, torso=150)
    assert est._choose([small, moved], 0.033) is moved  # then whoever continues the track
    gone = est._choose([small], 0.066)  # only the other person is left: a gap, not a jump
    assert not gone.found
    assert est._choose([small], 0.5) is not small  # still within the re-acquire window
    assert est._choose([small], 3.0) is small  # the first person has been gone for > 2 s
