"""The video edge: real timestamps, rotation, variable frame rate, broken files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import ffmpeg, write_clip
from formcheck.errors import InputError
from formcheck.io.video import TimestampFixer, VideoFileSource


def read_all(path: Path) -> tuple[np.ndarray, list[tuple[int, int]], VideoFileSource]:
    with VideoFileSource(path) as src:
        frames = list(src)
    return np.array([f.t for f in frames]), [f.image.shape[:2] for f in frames], src


@pytest.mark.parametrize("fps", [30.0, 29.97, 60.0, 25.0])
def test_timestamps_follow_the_container_not_a_rounded_fps(tmp_path, fps):
    path = write_clip(tmp_path / "c.mp4", 40, fps)
    t, _, src = read_all(path)
    assert len(t) == 40
    assert src.info.fps == pytest.approx(fps, rel=1e-3)
    np.testing.assert_allclose(t, np.arange(40) / fps, atol=1e-3)
    assert src.warnings == []


def test_rotation_metadata_gives_upright_frames(tmp_path):
    base = write_clip(tmp_path / "base.mp4", 10, 30.0, size=(160, 96))
    rotated = tmp_path / "rot.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(base), "-c", "copy", str(rotated))
    _, shapes, src = read_all(rotated)
    assert set(shapes) == {(160, 96)}  # (h, w): portrait after rotation
    assert (src.info.width, src.info.height) == (96, 160)
    assert src.info.rotation in (90, 270)


def test_variable_frame_rate_keeps_real_gaps(tmp_path):
    base = write_clip(tmp_path / "base.mp4", 60, 30.0)
    vfr = tmp_path / "vfr.mp4"
    # frames 0-29 at 30 fps, then a 0.5 s jump, then 30 fps again
    ffmpeg("-i", str(base), "-vf", "setpts='(N/30+gte(N,30)*0.5)/TB'", "-fps_mode", "passthrough",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(vfr))
    t, _, _ = read_all(vfr)
    assert len(t) == 60
    dt = np.diff(t)
    assert dt[28] == pytest.approx(1 / 30, abs=2e-3)
    assert dt[29] == pytest.approx(0.5 + 1 / 30, abs=2e-3)
    assert t[-1] == pytest.approx(59 / 30 + 0.5, abs=2e-3)


def test_truncated_file_reads_what_it_can_and_warns(tmp_path):
    path = write_clip(tmp_path / "full.avi", 120, 30.0, fourcc="MJPG")
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    t, _, src = read_all(cut)
    assert 30 < len(t) < 110
    assert any("ended early" in w for w in src.warnings)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"this is not a video\n" * 50, "cannot open"),
])
def test_not_a_video_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        VideoFileSource(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="not found"):
        VideoFileSource(tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="folder"):
        VideoFileSource(tmp_path)


def test_timestamp_fixer_makes_strictly_increasing_and_counts():
    fix = TimestampFixer(30.0)
    out = [fix(t, i) for i, t in enumerate([0.0, 0.033, 0.033, 0.02, float("nan"), 0.2])]
    assert all(b > a for a, b in zip(out, out[1:]))
    assert fix.repaired == 2 and fix.pts_missing == 1
    assert out[-1] == pytest.approx(0.2)
