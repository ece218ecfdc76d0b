"""The landmark cache: same video, model and settings -> no model run; damaged entries are redone."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_clip

from formcheck.core.landmarks import LandmarkSeries
from formcheck.inputs import extract_video
from formcheck.io import cache
from formcheck.io.extract import ExtractConfig
from formcheck.io.video import VideoInfo

INFO = VideoInfo(
    path="a.mp4",
    kind="file",
    fps=29.97,
    frame_count=3,
    width=640,
    height=360,
    rotation=90,
    duration_s=0.1,
    codec="avc1",
)


def series(n: int = 3) -> LandmarkSeries:
    rng = np.random.default_rng(0)
    xy = np.round(rng.uniform(0, 600, (n, 33, 2)), 3)
    xy[1] = np.nan
    return LandmarkSeries(
        t=np.arange(n) / 29.97,
        xy=xy,
        z=rng.normal(size=(n, 33)),
        vis=rng.uniform(size=(n, 33)),
        width=640,
        height=360,
        frame=np.arange(n) * 2,
        presence=rng.uniform(size=(n, 33)),
        world=rng.normal(size=(n, 33, 3)),
    )


def same(a: LandmarkSeries, b: LandmarkSeries) -> bool:
    return all(
        np.array_equal(getattr(a, k), getattr(b, k), equal_nan=k != "frame")
        for k in ("t", "xy", "z", "vis", "frame", "presence", "world")
    ) and (a.width, a.height) == (b.width, b.height)


def test_an_entry_reads_back_exactly_with_its_video_info_and_warnings(landmark_cache_in_tmp):
    assert cache.cache_dir() == landmark_cache_in_tmp
    path = cache.save_entry("k1", series(), INFO, ["ended early"])
    assert path is not None and path.parent == landmark_cache_in_tmp
    back, info, warnings = cache.load_entry("k1")
    assert same(back, series()) and info == INFO and warnings == ["ended early"]
    assert [p.name for p in landmark_cache_in_tmp.iterdir()] == ["k1.npz"]  # no temporary file left behind
    assert cache.load_entry("other") is None


@pytest.mark.parametrize("damage", [b"", b"PK\x03\x04 not a zip at all", "truncate"])
def test_a_damaged_entry_is_ignored(landmark_cache_in_tmp, damage):
    path = cache.save_entry("k2", series(), INFO, [])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else damage)
    assert cache.load_entry("k2") is None


def test_the_key_changes_with_input_model_and_settings():
    key = lambda i, m, s: cache.cache_key(i, m, s)
    base = key("a" * 64, "b" * 64, ExtractConfig().key())
    assert base == key("a" * 64, "b" * 64, ExtractConfig().key())
    assert base != key("c" * 64, "b" * 64, ExtractConfig().key())
    assert base != key("a" * 64, "c" * 64, ExtractConfig().key())
    assert base != key("a" * 64, "b" * 64, ExtractConfig(max_fps=None).key())
    assert base != key("a" * 64, "b" * 64, ExtractConfig(foot_track=False).key())


def test_the_refined_feet_are_cached_with_the_landmarks(landmark_cache_in_tmp):
    from dataclasses import replace

    refined = np.full((3, 4, 2), np.nan)
    refined[0] = [[1.5, 2.5], [3.0, 4.0], [5.0, 6.0], [7.0, 8.125]]
    cache.save_entry("k2", replace(series(), refined=refined), INFO, [])
    back, _, _ = cache.load_entry("k2")
    np.testing.assert_array_equal(back.refined, refined)
    assert cache.load_entry("k1") is None or cache.load_entry("k1")[0].refined is None


def test_an_unwritable_cache_folder_does_not_fail_the_extraction(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "sub"))
    assert cache.save_entry("k3", series(), INFO, []) is None


def test_a_second_extraction_of_the_same_video_skips_the_model(tmp_path, monkeypatch, landmark_cache_in_tmp):
    clip = write_clip(tmp_path / "c.mp4", 8, 30.0)
    first = extract_video(clip, show_progress=False)
    assert not first.from_cache and len(first.series) == 8
    assert len(list(landmark_cache_in_tmp.glob("*.npz"))) == 1

    import formcheck.inputs as inputs

    def no_model(*args, **kwargs):
        raise AssertionError("the model ran although the landmarks were cached")

    monkeypatch.setattr(inputs, "PoseEstimator", no_model)
    again = extract_video(clip, show_progress=False)
    assert again.from_cache and same(again.series, first.series) and again.info == first.info
    with pytest.raises(AssertionError, match="the model ran"):
        extract_video(clip, show_progress=False, use_cache=False)  # --no-cache
    with pytest.raises(AssertionError, match="the model ran"):
        extract_video(clip, show_progress=False, extract=ExtractConfig(max_fps=None))  # other settings


def test_a_corrupt_entry_is_rewritten_by_the_next_extraction(tmp_path, landmark_cache_in_tmp):
    clip = write_clip(tmp_path / "c.mp4", 6, 30.0)
    extract_video(clip, show_progress=False)
    entry = next(landmark_cache_in_tmp.glob("*.npz"))
    entry.write_bytes(b"garbage")
    redone = extract_video(clip, show_progress=False)
    assert not redone.from_cache and len(redone.series) == 6
    assert cache.load_entry(entry.stem) is not None  # rewritten, readable again


def _set_used(path, t: float) -> None:
    import os

    os.utime(path, (t, t))


def test_the_cache_keeps_under_its_cap_least_recently_used_out_first(landmark_cache_in_tmp, monkeypatch):
    one = cache.save_entry("a", series(200), INFO, []).stat().st_size
    monkeypatch.setenv(cache.MAX_ENV_VAR, str(3.5 * one / (1 << 20)))  # room for three entries
    for key in ("b", "c"):
        cache.save_entry(key, series(200), INFO, [])
    for n, key in enumerate(("a", "b", "c")):
        _set_used(cache.entry_path(key), 1000 + n)  # a oldest, c newest
    assert cache.load_entry("a") is not None  # reading a makes it the most recently used
    cache.save_entry("d", series(200), INFO, [])
    names = sorted(p.stem for p in landmark_cache_in_tmp.glob("*.npz"))
    assert names == ["a", "c", "d"]  # b, the least recently used, went first
    assert cache.cache_size()[1] <= 3.5 * one


def test_an_entry_larger_than_the_cap_is_not_kept_and_a_zero_cap_caches_nothing(landmark_cache_in_tmp, monkeypatch):
    monkeypatch.setenv(cache.MAX_ENV_VAR, "0.001")
    assert cache.save_entry("big", series(200), INFO, []) is None
    monkeypatch.setenv(cache.MAX_ENV_VAR, "0")
    assert cache.save_entry("none", series(3), INFO, []) is None
    assert list(landmark_cache_in_tmp.iterdir()) == []


def test_the_default_cap_is_one_gigabyte(monkeypatch):
    monkeypatch.delenv(cache.MAX_ENV_VAR, raising=False)
    assert cache.max_bytes() == 1 << 30


def test_formcheck_cache_clear_empties_it(landmark_cache_in_tmp, capsys):
    from formcheck.cli import main

    for key in ("a", "b"):
        cache.save_entry(key, series(), INFO, [])
    (landmark_cache_in_tmp / "other.txt").write_text("not ours")
    assert main(["cache"]) == 0
    assert "2 entries" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0
    assert "deleted 2 entries" in capsys.readouterr().out
    assert [p.name for p in landmark_cache_in_tmp.iterdir()] == ["other.txt"]  # only the cache's own files go
    assert cache.load_entry("a") is None
