"""Ctrl-C during extraction stops it even when the signal lands inside a finalizer (CI lost one there:
MediaPipe's Image.__del__ swallowed the KeyboardInterrupt and the run went on to the end)."""

import os
import signal
import time

import numpy as np
import pytest

from formcheck.core.landmarks import N_LANDMARKS
from formcheck.io.extract import ExtractConfig, extract_landmarks
from formcheck.io.interrupt import ctrl_c_requests
from formcheck.io.pose import PoseFrame
from formcheck.io.video import Frame, VideoInfo

FPS, N, W, H = 10.0, 40, 64, 48


class _Finalized:
    """Sends Ctrl-C to this process from its finalizer and lets the handler run there."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:  # Python runs the handler between bytecodes of this loop
            pass


class _Model:
    def __init__(self, ctrl_c_at: int) -> None:
        self.ctrl_c_at = ctrl_c_at

    def detect(self, image, t: float) -> PoseFrame:
        if int(round(t * FPS)) == self.ctrl_c_at:
            _Finalized()  # made and dropped: its __del__ runs here
        xy = np.full((N_LANDMARKS, 2), 10.0)
        vis = np.ones(N_LANDMARKS)
        return PoseFrame(xy, np.zeros(N_LANDMARKS), vis, vis, np.zeros((N_LANDMARKS, 3)))


def _extract(ctrl_c_at: int):
    frames = [Frame(k, k / FPS, np.zeros((H, W, 3), np.uint8)) for k in range(N)]
    info = VideoInfo(None, "file", FPS, N, W, H, 0, N / FPS, "synthetic")
    return extract_landmarks(frames, info, _Model(ctrl_c_at), config=ExtractConfig(max_fps=None, foot_track=False))


def test_ctrl_c_inside_a_finalizer_stops_the_extraction_after_that_frame():
    result = _extract(ctrl_c_at=12)
    assert result.interrupted and list(result.series.frame) == list(range(13))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back for the rest of the process


def test_a_second_ctrl_c_interrupts_at_once():
    with ctrl_c_requests() as ctrl_c:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        assert ctrl_c.requested
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)


def test_ctrl_c_as_the_video_ends_still_counts_and_keeps_every_frame(monkeypatch):
    from formcheck.io import extract

    def stream(frames, config):  # the frames to the model, here on the main thread
        yield from ((frame, frame.image) for frame in frames)
        os.kill(os.getpid(), signal.SIGINT)  # after the loop's check of the last frame, before the stream ends

    monkeypatch.setattr(extract, "model_frames", stream)
    frames = [Frame(k, k / FPS, np.zeros((H, W, 3), np.uint8)) for k in range(N)]
    info = VideoInfo(None, "file", FPS, N, W, H, 0, N / FPS, "synthetic")
    config = ExtractConfig(max_fps=None, foot_track=False)
    result = extract_landmarks(frames, info, _Model(ctrl_c_at=-1), config=config)
    assert result.interrupted and len(result.series) == N
