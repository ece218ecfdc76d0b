"""annotated.mp4's writer and the cheap frame pass, on small clips the tests write themselves."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import ffmpeg, numbered_frame, write_clip

from formcheck.errors import OutputError
from formcheck.io.frame_grab import grab_frames
from formcheck.io.video_writer import output_size, write_annotated_video
from formcheck.viz.overlay import OverlayState, banner_top, layout_for


def probe(path) -> tuple[int, float, int, int, str]:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    n = 0
    while cap.grab():
        n += 1
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4))
    out = (
        n,
        cap.get(cv2.CAP_PROP_FPS),
        int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
        int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        codec,
    )
    cap.release()
    return out


@pytest.mark.parametrize("fps", [30.0, 29.97])
def test_same_frames_and_duration_as_the_input_in_h264(tmp_path, fps):
    src = write_clip(tmp_path / "in.mp4", 45, fps)
    seen: list[int] = []
    hooked: list[int] = []

    def state_at(i: int) -> OverlayState:
        seen.append(i)
        return OverlayState(reps=i % 10)

    res = write_annotated_video(
        src, state_at, tmp_path / "o" / "annotated.mp4", on_frame=lambda i, im: hooked.append(i)
    )
    n, out_fps, w, h, codec = probe(res.path)
    assert (n, w, h) == (45, 160, 120) and res.frames == 45
    assert out_fps == pytest.approx(fps, rel=1e-4)  # so the duration n / fps is the input's
    assert codec in ("avc1", "h264") and res.codec == "h264" and res.warnings == []
    assert seen == hooked == list(range(45))
    assert sorted(p.name for p in res.path.parent.iterdir()) == ["annotated.mp4"]  # no temp file left


def test_overlay_is_drawn_on_the_frames(tmp_path):
    src = write_clip(tmp_path / "in.mp4", 10, 30.0, size=(320, 240))
    state = OverlayState(faults=(("Rep 1: bounce", "major"),))
    res = write_annotated_video(src, lambda i: state if i >= 5 else OverlayState(), tmp_path / "a.mp4")
    cap = cv2.VideoCapture(str(res.path))
    frames = [cap.read()[1] for _ in range(10)]
    cap.release()
    top = banner_top(layout_for(240, 320))
    strip = np.s_[top + 2 : top + 8, 20:300]
    reds = [float(np.mean((f[strip][..., 2] > 150) & (f[strip][..., 1] < 100))) for f in frames]
    assert max(reds[:5]) < 0.05 and min(reds[5:]) > 0.5, reds


def test_rotated_input_gives_an_upright_video(tmp_path):
    base = write_clip(tmp_path / "base.mp4", 12, 30.0, size=(160, 96))
    rotated = tmp_path / "rot.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(base), "-c", "copy", str(rotated))
    res = write_annotated_video(rotated, lambda i: OverlayState(), tmp_path / "a.mp4")
    n, _, w, h, _ = probe(res.path)
    assert (n, w, h) == (12, 96, 160)


def test_odd_frame_size_is_padded_for_yuv420p(tmp_path):
    src = tmp_path / "odd.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=161x121:rate=30", "-frames:v", "8", "-pix_fmt", "yuv444p", str(src))
    res = write_annotated_video(src, lambda i: OverlayState(), tmp_path / "a.mp4")
    n, _, w, h, _ = probe(res.path)
    assert n == 8 and (w, h) == (162, 122)


def test_unwritable_output_is_a_clear_error_and_leaves_nothing(tmp_path):
    src = write_clip(tmp_path / "in.mp4", 5, 30.0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="could not write"):
        write_annotated_video(src, lambda i: OverlayState(), blocker / "annotated.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "in.mp4"]


def test_a_failing_drawer_leaves_no_partial_video(tmp_path):
    src = write_clip(tmp_path / "in.mp4", 20, 30.0)

    def draw(frame, state):
        if state == 7:
            raise KeyboardInterrupt
        return frame

    with pytest.raises(KeyboardInterrupt):
        write_annotated_video(src, lambda i: i, tmp_path / "out" / "annotated.mp4", draw=draw)
    assert list((tmp_path / "out").iterdir()) == []


def test_grab_frames_gives_exactly_the_wanted_frames(tmp_path):
    src = write_clip(tmp_path / "in.mp4", 45, 30.0)
    got: dict[int, np.ndarray] = {}
    assert grab_frames(src, [44, 3, 10, 3, 99], lambda i, im: got.__setitem__(i, im.copy())) == 3
    assert sorted(got) == [3, 10, 44]
    for i, image in got.items():  # each frame's brightness encodes its index
        assert abs(float(image.mean()) - float(numbered_frame(i).mean())) < 6


def test_a_large_input_is_scaled_down_and_drawn_at_the_output_size(tmp_path):
    src = write_clip(tmp_path / "in.mp4", 6, 30.0, size=(640, 480))
    leg = ((100.0, 200.0), None, (300.0, 400.0), (10.0, 20.0), (600.0, 460.0))
    drawn: list[tuple[tuple[int, ...], OverlayState]] = []
    raw: list[tuple[int, ...]] = []

    def draw(frame, state):
        drawn.append((frame.shape, state))
        return frame

    res = write_annotated_video(
        src,
        lambda i: OverlayState(leg=leg),
        tmp_path / "a.mp4",
        draw=draw,
        max_side=320,
        on_frame=lambda i, im: raw.append(im.shape),
    )
    n, _, w, h, _ = probe(res.path)
    assert (n, w, h) == (6, 320, 240)
    assert raw == [(480, 640, 3)] * 6  # thumbnails still see the full frame
    assert [s for s, _ in drawn] == [(240, 320, 3)] * 6
    assert drawn[0][1].leg == ((50.0, 100.0), None, (150.0, 200.0), (5.0, 10.0), (300.0, 230.0))


@pytest.mark.parametrize(
    "size, max_side, want",
    [
        ((1920, 1080), 1280, (1280, 720)),
        ((1080, 1920), 1280, (720, 1280)),
        ((3840, 2160), 1280, (1280, 720)),
        ((540, 960), 1280, (540, 960)),
        ((1920, 1080), None, (1920, 1080)),
        ((1920, 1080), 0, (1920, 1080)),
        ((1001, 601), 500, (500, 300)),
    ],
)
def test_output_size_keeps_the_aspect_never_upscales_and_stays_even(size, max_side, want):
    assert output_size(*size, max_side) == want
