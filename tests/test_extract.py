"""Frame selection for the model (--max-fps), model images and extraction settings."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_clip

from formcheck.errors import InputError
from formcheck.io.extract import ExtractConfig, keep_at_most, select_frames
from formcheck.io.pose import model_image, model_size
from formcheck.io.video import VideoFileSource


def kept(fps: float, max_fps: float | None, n: int = 240, jitter: float = 0.0) -> list[int]:
    rng = np.random.default_rng(0)
    t = np.arange(n) / fps + rng.uniform(-jitter, jitter, n) / fps
    keep = keep_at_most(max_fps)
    return [k for k, x in enumerate(t.tolist()) if keep is None or keep(x)]


@pytest.mark.parametrize("fps, every", [(60.0, 2), (59.94, 2), (120.0, 4), (240.0, 8), (30.0, 1), (25.0, 1)])
def test_max_fps_30_keeps_every_nth_frame_by_timestamp(fps, every):
    assert kept(fps, 30.0) == list(range(0, 240, every))


def test_a_jittery_30_fps_clip_keeps_every_frame_and_none_means_all():
    assert kept(30.0, 30.0, jitter=0.04) == list(range(240))
    assert kept(240.0, None) == list(range(240))


@pytest.mark.parametrize("jitter_ms", [1.0, 2.0, 3.0, 5.0])
def test_a_30_fps_clock_with_jittery_timestamps_keeps_every_frame(jitter_ms):
    """A phone's or a webcam's 30 fps frames come a few milliseconds early or late: a frame early after a late one
    (closer than 0.9/30 s to it) is kept too, as the source runs at the cap (once its first three frames have shown
    that). By the spacing alone 11 % of the frames were skipped with 2 ms of jitter, 21 % with 3 ms."""
    rng = np.random.default_rng(int(jitter_ms))
    t = np.sort(np.arange(900) / 30 + rng.normal(0, jitter_ms / 1000, 900))
    assert np.diff(t[3:]).min() < 0.9 / 30  # some frames do come closer than the spacing
    keep = keep_at_most(30.0)
    assert all([keep(x) for x in t.tolist()][3:])


@pytest.mark.parametrize("fps, rate", [(60.0, 30.0), (50.0, 25.0), (120.0, 30.0), (240.0, 30.0)])
def test_a_jittery_source_over_the_cap_is_thinned_as_an_even_one(fps, rate):
    """Over the cap the spacing decides, as before: about the even source's kept rate, never closer than it."""
    rng = np.random.default_rng(7)
    t = np.sort(np.arange(int(20 * fps)) / fps + rng.normal(0, 0.002 / (fps / 30), int(20 * fps)))
    keep = keep_at_most(30.0)
    times = np.array([x for x in t.tolist() if keep(x)])
    assert np.diff(times).min() >= 0.9 / 30 - 1e-12
    assert len(times) / (t[-1] - t[0]) == pytest.approx(rate, rel=0.12)


def test_a_stall_does_not_let_a_faster_source_through():
    """A 60 fps camera that stalls for half a second: one long interval must not make it look like a source at
    the cap (review: the frames after it were all kept, 16.7 ms apart)."""
    t = np.concatenate([np.arange(120) / 60, 2.5 + np.arange(120) / 60])
    keep = keep_at_most(30.0)
    times = np.array([x for x in t.tolist() if keep(x)])
    assert np.diff(times).min() >= 0.9 / 30 - 1e-12


def test_kept_frames_never_come_closer_than_the_limit_allows():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.002, 0.03, 2000))  # variable frame rate, 33-500 fps
    keep = keep_at_most(30.0)
    times = np.array([x for x in t.tolist() if keep(x)])
    assert np.diff(times).min() >= 0.9 / 30 - 1e-12
    assert len(times) <= (t[-1] - t[0]) * 30 / 0.9 + 1


def test_a_video_source_skips_frames_by_timestamp(tmp_path):
    clip = write_clip(tmp_path / "c60.mp4", 30, 60.0)
    with VideoFileSource(clip) as src:
        frames = list(select_frames(src, 30.0))
        assert src.frames_read == 30  # every frame was decoded, half of them converted
    assert [f.index for f in frames] == list(range(0, 30, 2))
    np.testing.assert_allclose([f.t for f in frames], np.arange(0, 30, 2) / 60.0, atol=1e-3)
    brightness = [float(f.image.mean()) for f in frames]  # the kept pixels are those frames' own
    assert brightness == sorted(brightness)


def test_model_image_keeps_the_full_frame_size_for_landmarks():
    frame = np.zeros((1080, 1920, 3), np.uint8)
    assert model_size(1920, 1080, 960) == (960, 540) and model_size(640, 360, 960) == (640, 360)
    assert model_size(1080, 1920, None) == (1080, 1920)
    img = model_image(frame, 960)
    assert (img.width, img.height) == (1920, 1080)
    assert (img.image.width, img.image.height) == (960, 540)


@pytest.mark.parametrize("kwargs", [{"max_fps": 0.5}, {"max_side": 10}, {"ahead": 0}])
def test_bad_extraction_settings_are_clear_errors(kwargs):
    with pytest.raises(InputError):
        ExtractConfig(**kwargs)


def test_the_cache_key_holds_what_changes_landmarks_only():
    a, b = ExtractConfig(), ExtractConfig(ahead=9)
    assert a.key() == b.key()
    assert ExtractConfig(max_fps=60.0).key() != a.key()
    assert a.key()["pose"]["num_poses"] == a.pose.num_poses
