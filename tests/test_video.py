"""The video edge: real timestamps, rotation, variable frame rate, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ffmpeg, write_clip

from formcheck.cli import main
from formcheck.errors import InputError
from formcheck.io.video import TimestampFixer, VideoFileSource, VideoInfo, source_warnings


def read_all(path: Path) -> tuple[np.ndarray, list[tuple[int, int]], VideoFileSource]:
    with VideoFileSource(path) as src:
        frames = list(src)
    return np.array([f.t for f in frames]), [f.image.shape[:2] for f in frames], src


@pytest.mark.parametrize("fps", [30.0, 29.97, 60.0, 25.0, 240.0])
def test_timestamps_follow_the_container_not_a_rounded_fps(tmp_path, fps):
    path = write_clip(tmp_path / "c.mp4", 40, fps)
    t, _, src = read_all(path)
    assert len(t) == 40
    assert src.info.fps == pytest.approx(fps, rel=1e-3)
    np.testing.assert_allclose(t, np.arange(40) / fps, atol=1e-3)
    assert [w for w in src.warnings if "pixels" not in w] == []  # (160x120: only the resolution warning)


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
    ffmpeg(
        "-i",
        str(base),
        "-vf",
        "setpts='(N/30+gte(N,30)*0.5)/TB'",
        "-fps_mode",
        "passthrough",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(vfr),
    )
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


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"this is not a video\n" * 50, "bad.mp4 is a text file, not a video"),
    ],
)
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


# --- a corpus of files that are not (usable) videos; each must be one line saying what it is and how to fix it


def h264_clip(path: Path, seconds: float = 4.0, faststart: bool = False) -> Path:
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=320x240:rate=30:duration={seconds}",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        *(["-movflags", "+faststart"] if faststart else []),
        str(path),
    )
    return path


def mdat_span(data: bytes) -> tuple[int, int]:
    import struct

    pos = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"mdat":
            return pos + 8, pos + size
        pos += size
    raise AssertionError("no mdat box")


def scrambled(data: bytes, start: int, stop: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    out[start:stop] = rng.integers(0, 256, stop - start, dtype=np.uint8).tobytes()
    return bytes(out)


def make_picture(d: Path, ext: str) -> Path:
    import cv2

    path = d / f"picture.{ext}"
    cv2.imwrite(str(path), np.full((120, 160, 3), 128, np.uint8))
    return path


def make_audio_mp4(d: Path) -> Path:
    path = d / "voice.mp4"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(path))
    return path


def make_wav(d: Path) -> Path:
    import wave

    path = d / "sound.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(np.zeros(8000, np.int16).tobytes())
    return path


def make_cut_mp4(d: Path) -> Path:  # a copy interrupted half way; the index (moov) is at the end
    data = h264_clip(d / "full.mp4").read_bytes()
    (d / "cut.mp4").write_bytes(data[: len(data) // 2])
    return d / "cut.mp4"


def make_broken_structure(d: Path) -> Path:  # bytes overwritten across the box headers
    data = h264_clip(d / "full.mp4").read_bytes()
    (d / "damaged.mp4").write_bytes(scrambled(data, 100, len(data) - 100))
    return d / "damaged.mp4"


def make_garbage_frames(d: Path) -> Path:  # intact boxes, but every byte of video data is noise
    data = h264_clip(d / "full.mp4").read_bytes()
    (d / "noise.mp4").write_bytes(scrambled(data, *mdat_span(data)))
    return d / "noise.mp4"


def make_avs2(d: Path) -> Path:
    """AVS2 (a broadcast codec) in MPEG-TS: the one codec this ffmpeg can write that OpenCV's build cannot
    decode (AV1, VP9, HEVC, ProRes, APV, ... all decode here)."""
    path = d / "broadcast.ts"
    import subprocess

    from conftest import ffmpeg_exe

    proc = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "quiet",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x256:rate=30:duration=0.3",
            "-c:v",
            "libxavs2",
            str(path),
        ]
    )
    if proc.returncode or not path.exists() or path.stat().st_size == 0:
        pytest.skip("this ffmpeg has no AVS2 encoder")
    return path


NOT_VIDEOS = [
    (lambda d: make_picture(d, "png"), "picture.png is a picture (PNG), not a video; film the whole set as a video"),
    (lambda d: make_picture(d, "jpg"), "picture.jpg is a picture (JPEG), not a video"),
    (make_audio_mp4, "voice.mp4 has no video track (tracks: audio); pass the video of the set"),
    (make_wav, "sound.wav is an audio file (WAV), not a video"),
    (make_cut_mp4, "cut.mp4 is cut off: it ends inside its 'mdat' data and the index (moov box) is missing; copy it"),
    (make_broken_structure, "damaged.mp4 is damaged (its MP4 structure breaks at byte"),
    (
        make_garbage_frames,
        "noise.mp4 has no frame this OpenCV build can decode (H.264 (h264)): the file is damaged "
        "or the codec unsupported; re-encode it: ffmpeg -i noise.mp4",
    ),
    (
        make_avs2,
        "broadcast.ts (MPEG-TS, AVS2 video) cannot be opened: it is damaged or uses a codec this OpenCV "
        "build lacks; check that it plays, or re-encode it: ffmpeg -i broadcast.ts -c:v libx264",
    ),
]


@pytest.mark.parametrize(
    "make, message",
    NOT_VIDEOS,
    ids=[m for m in ("png", "jpeg", "audio-only mp4", "wav", "cut mp4", "damaged mp4", "noise frames", "avs2 codec")],
)
def test_files_that_are_not_usable_videos_say_what_they_are(tmp_path, capsys, make, message):
    path = make(tmp_path)
    with pytest.raises(InputError) as info:
        VideoFileSource(path)
    assert message in str(info.value)
    assert main(["analyze", str(path), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"formcheck: error: {info.value}"]
    assert not (tmp_path / "out").exists()  # a refused input leaves no empty output folder


def test_a_damaged_stretch_is_skipped_and_the_rest_is_read(tmp_path):
    data = h264_clip(tmp_path / "full.mp4", faststart=True).read_bytes()  # 120 frames, index first
    start, stop = mdat_span(data)
    third = (stop - start) // 3
    path = tmp_path / "hole.mp4"
    path.write_bytes(scrambled(data, start + third, start + 2 * third))
    t, _, src = read_all(path)
    dt = np.diff(t)
    assert src.skipped > 10 and len(t) + src.skipped <= 120
    assert t[-1] > 3.5  # the end of the clip is read, not lost after the damage
    assert 1.0 < dt.max() <= (src.skipped + 1) / 30 + 0.05  # the hole keeps (most of) its real duration
    assert any(f"{src.skipped} damaged frames could not be decoded and were skipped" in w for w in src.warnings)


def test_a_raw_stream_without_timestamps_is_timed_at_its_nominal_rate(tmp_path):
    raw = tmp_path / "camera.h264"
    ffmpeg(
        "-i",
        str(h264_clip(tmp_path / "c.mp4", seconds=2.0)),
        "-c",
        "copy",
        "-bsf:v",
        "h264_mp4toannexb",
        "-f",
        "h264",
        str(raw),
    )
    t, _, src = read_all(raw)
    assert len(t) == 60
    np.testing.assert_allclose(t, np.arange(60) / 25.0, atol=1e-6)  # FFmpeg's rate for raw H.264: 25 fps
    assert (
        "59 of 60 frame timestamps were missing, repeated or out of order; assumed 25 fps for them: if the "
        "clip was filmed at another rate, all times are off by that ratio" in src.warnings
    )


def test_an_absurd_frame_rate_claim_is_ignored(tmp_path):
    path = write_clip(tmp_path / "fast.mp4", 20, 5000.0)
    t, _, src = read_all(path)
    np.testing.assert_allclose(t, np.arange(20) / 30.0, atol=1e-6)
    assert src.info.fps == 0.0 and src.info.claimed_fps == 5000.0
    assert (
        "the file says 5000 fps, which no camera films: its timestamps were ignored and 30 fps assumed; if the "
        "clip was filmed at another rate, all times are off by that ratio"
    ) in src.warnings


def test_too_few_frames_per_second_and_too_few_pixels_are_warned(tmp_path):
    path = write_clip(tmp_path / "slow.avi", 6, 0.5, size=(160, 90), fourcc="MJPG")
    t, shapes, src = read_all(path)
    np.testing.assert_allclose(t, np.arange(6) * 2.0, atol=1e-3)  # real (slow) timestamps are kept
    assert set(shapes) == {(90, 160)}
    assert (
        "the video is only 160x90 pixels: the pose model needs the body larger than that; film at 720p or more"
        in src.warnings
    )
    assert any(
        w.startswith("only 0.5 frames per second: rep phases cannot be timed below 10 fps") for w in src.warnings
    )


@pytest.mark.parametrize(
    "skipped, damage, stamps",
    [
        (1, "1 damaged frame could not be decoded and was skipped; the time it covered", "1 of 4 frame timestamps was"),
        (
            2,
            "2 damaged frames could not be decoded and were skipped; the time they covered",
            "2 of 4 frame timestamps were",
        ),
    ],
)
def test_warnings_count_in_the_singular_and_the_plural(skipped, damage, stamps):
    info = VideoInfo(None, "file", 30.0, 4 + skipped, 640, 480, 0, 0.2, "h264")
    fixer = TimestampFixer(30.0)
    for i, raw in enumerate([0.0, *([None] * skipped), 0.1, 0.2][:4]):
        fixer(raw, i)
    warnings = source_warnings(info, 4, skipped, fixer)
    assert any(w.startswith(damage) for w in warnings) and any(w.startswith(stamps) for w in warnings), warnings
