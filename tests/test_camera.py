"""Cameras: a missing or busy camera is one line (exit 5) that lists the cameras that do work."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.errors import CameraError
from formcheck.io import probe
from formcheck.io.video import CameraSource


class FakeCapture:
    """cv2.VideoCapture for a machine whose cameras behave as `STATES` says (index -> ok | busy | missing)."""

    STATES: dict[int, str] = {}

    def __init__(self, index, *args) -> None:
        self.state = self.STATES.get(index, "missing")
        self.frames = 0

    def isOpened(self) -> bool:
        return self.state != "missing"

    def read(self):
        if self.state != "ok" or self.frames >= 3:
            return False, None
        self.frames += 1
        return True, np.full((48, 64, 3), self.frames, np.uint8)

    def get(self, prop) -> float:
        return 0.0

    def set(self, prop, value) -> bool:
        return True

    def release(self) -> None:
        pass


@pytest.fixture
def cameras(monkeypatch):
    def install(states: dict[int, str]) -> None:
        monkeypatch.setattr(FakeCapture, "STATES", states)
        monkeypatch.setattr(cv2, "VideoCapture", FakeCapture)

    return install


def test_a_busy_camera_names_the_ones_that_work(cameras):
    cameras({0: "busy", 1: "ok", 2: "missing", 3: "ok"})
    with pytest.raises(CameraError) as info:
        CameraSource(0)
    assert info.value.exit_code == 5
    assert str(info.value) == (
        "camera #0 opened but gives no picture (busy in another program, or switched off); "
        "working cameras: #1, #3: pass --camera 1"
    )


def test_no_camera_at_all(cameras):
    cameras({})
    with pytest.raises(CameraError) as info:
        CameraSource(0)
    assert str(info.value) == (
        "camera #0 was not found, and no working camera was found (tried #0-#3); connect one "
        "and close other programs that use it, or analyze a video file instead"
    )


def test_a_missing_camera_when_another_works(cameras):
    cameras({0: "ok"})
    with pytest.raises(CameraError, match=r"^camera #2 was not found; working cameras: #0: pass --camera 0$"):
        CameraSource(2)
    assert probe.list_cameras() == [0]


def test_a_working_camera_gives_frames_with_increasing_times(cameras):
    cameras({1: "ok"})
    with CameraSource(1) as cam:
        frames = list(cam)
    assert [int(f.image[0, 0, 0]) for f in frames] == [1, 2, 3]
    assert all(b.t > a.t for a, b in zip(frames, frames[1:]))


def test_this_machine_without_a_camera_at_that_index_is_a_clear_error():
    """The real OpenCV, no fake: index 9 is beyond what any test machine has."""
    with pytest.raises(CameraError, match=r"^camera #9 was not found"):
        CameraSource(9)
