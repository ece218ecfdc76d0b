"""`formcheck doctor`: real checks of the model, video decoding, ffmpeg and cameras; exit 1 when an essential fails."""

from __future__ import annotations

import subprocess
import sys

import cv2

import formcheck.doctor as doctor
from formcheck.cli import main
from formcheck.io import model, probe


def test_doctor_on_this_machine_finds_the_essentials_working():
    proc = subprocess.run([sys.executable, "-m", "formcheck", "doctor"], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""  # no traceback, no MediaPipe or OpenCV log lines
    assert lines[0] == (
        "ok    pose model: bundled pose_landmarker_full.task, sha256 b034e623eea1... (matches), loads and runs"
    )
    assert lines[1].startswith(f"ok    OpenCV: {cv2.__version__}, video file backends: FFMPEG")
    assert "ok    MPEG-4 (written by OpenCV): written and read back" in lines
    assert "ok    H.264 decoding: OpenCV decodes it" in lines  # imageio-ffmpeg (a test dependency) made the clip
    assert any(ln.startswith(("ok    cameras: working: #", "--    cameras: none found (tried #0-#3)")) for ln in lines)
    assert lines[-1] == "the essentials work"


def run_doctor_here(monkeypatch, capsys) -> tuple[int, list[str]]:
    monkeypatch.setattr(doctor, "find_ffmpeg", lambda: None)  # (keeps these runs short)
    monkeypatch.setattr(probe, "list_cameras", lambda indices=probe.CAMERA_INDICES: [0])
    code = main(["doctor"])
    return code, capsys.readouterr().out.splitlines()


def test_a_corrupt_bundled_model_fails_the_doctor(tmp_path, monkeypatch, capsys):
    junk = tmp_path / "pose_landmarker_full.task"
    junk.write_bytes(b"\0" * 100)
    monkeypatch.setattr(model, "BUNDLED_MODEL", junk)
    code, lines = run_doctor_here(monkeypatch, capsys)
    assert code == 1
    assert lines[0].startswith("FAIL  pose model: ModelError: the bundled pose model is corrupt (sha256 ")
    assert "ok    cameras: working: #0" in lines
    assert (
        "--    ffmpeg: not found: only the tests, the renderer and the codec checks below need it "
        "(pip install imageio-ffmpeg)" in lines
    )
    assert lines[-1] == "essentials broken: pose model"


def test_opencv_that_cannot_read_video_fails_the_doctor(monkeypatch, capsys):
    class NoVideo:
        def __init__(self, *a):
            pass

        def isOpened(self):
            return False

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", NoVideo)
    code, lines = run_doctor_here(monkeypatch, capsys)
    assert code == 1
    assert "FAIL  MPEG-4 (written by OpenCV): OpenCV cannot open it" in lines
    assert "--    Motion JPEG (written by OpenCV): OpenCV cannot open it" in lines  # not essential
    assert lines[-1] == "essentials broken: MPEG-4 (written by OpenCV)"
