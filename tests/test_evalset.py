"""The evaluation set: the manifest is a pure function of its seed, tune/report pairs carry the same faults,
the stored landmarks load and belong to their manifest entry, and the storage round trip is faithful."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset  # noqa: E402 - after the repository root is put on sys.path
from tools.evalset.manifest import VIEW_GROUPS, make_manifest, manifest_to_json  # noqa: E402 - after the repository root is put on sys.path
from tools.evalset.store import STORE, load_clip, load_meta, save_clip  # noqa: E402 - after the repository root is put on sys.path


@pytest.fixture(scope="module")
def manifest():
    return make_manifest(0)


def test_manifest_is_deterministic_from_its_seed(manifest):
    assert manifest_to_json(manifest, 0) == manifest_to_json(make_manifest(0), 0)
    other = make_manifest(1)
    assert [c.spec_hash for c in other] != [c.spec_hash for c in manifest]
    stored = STORE / "manifest.json"
    if stored.exists():  # the committed manifest is exactly what its seed gives
        d = json.loads(stored.read_text())
        assert d == json.loads(manifest_to_json(make_manifest(d["seed"]), d["seed"]))


def test_pairs_split_by_seed_parity_and_share_their_faults(manifest):
    assert len(manifest) >= 48 and len({c.name for c in manifest}) == len(manifest)
    for tune, report in zip(manifest[::2], manifest[1::2], strict=True):
        assert (tune.split, report.split) == ("tune", "report") and tune.seed % 2 == 0 and report.seed == tune.seed + 1
        faults = [[(s.fault, s.grade) for r in c.set_script().reps for s in r.sizes] for c in (tune, report)]
        assert faults[0] == faults[1] and tune.view_group == report.view_group and tune.case == report.case
        assert tune.spec_hash != report.spec_hash
    views = Counter(c.view_group for c in manifest)
    assert set(views) == set(VIEW_GROUPS) and min(views.values()) >= 8
    fps = Counter(c.set_script().fps for c in manifest)
    assert fps[30.0] > 0 and fps[60.0] > 0
    assert Counter(c.look["legwear"] for c in manifest)["leggings"] > 5
    assert Counter(c.look["feet"] for c in manifest)["barefoot"] > 5


def test_each_view_and_half_moves_in_both_shapes_and_a_pair_in_different_ones(manifest):
    for tune, report in zip(manifest[::2], manifest[1::2], strict=True):
        assert {tune.set_script().ramp, report.set_script().ramp} == {"min_jerk", "cosine"}
    shapes = Counter((c.view_group, c.split, c.set_script().ramp) for c in manifest)
    for group in VIEW_GROUPS:
        for split in ("tune", "report"):
            assert shapes[(group, split, "min_jerk")] >= 2 and shapes[(group, split, "cosine")] >= 2


def test_every_graded_rep_has_its_size_and_rep_one_is_clean(manifest):
    for c in manifest:
        script = c.set_script()
        assert not script.reps[0].faults
        for r in script.reps:
            assert [s.fault for s in r.sizes] == list(r.faults)


def stored_names() -> list[str]:
    path = STORE / "manifest.json"
    if not path.exists():
        return []
    return [c["name"] for c in json.loads(path.read_text())["clips"] if load_meta(c["name"]) is not None]


@pytest.mark.parametrize("name", stored_names() or [pytest.param("none", marks=pytest.mark.skip("set not made"))])
def test_stored_landmarks_load_and_match_the_manifest(name):
    seed = json.loads((STORE / "manifest.json").read_text())["seed"]
    spec = next(c for c in make_manifest(seed) if c.name == name)
    assert load_meta(name)["spec_hash"] == spec.spec_hash
    series, truth, true_leg = load_clip(name)
    script = spec.set_script()
    assert [r.faults for r in truth.reps] == [r.faults for r in script.reps]
    assert truth.side == script.side and truth.fps == script.fps
    assert (series.width, series.height) == (spec.camera["width"], spec.camera["height"])
    assert series.t[-1] <= truth.duration_s and len(series.t) >= 0.95 * min(script.fps, 30.0) * truth.duration_s
    assert series.found.mean() > 0.5
    assert true_leg.shape == (len(series.t), 10, 2)


def test_storage_round_trip(tmp_path):
    series, truth = make_series(preset("faults_side"), corruption=MEDIAPIPE_LIKE, seed=2)
    save_clip("x", series, truth, {"spec_hash": "abc"}, tmp_path)
    back, truth2, leg = load_clip("x", tmp_path)
    assert np.array_equal(np.isnan(back.xy), np.isnan(series.xy))
    assert np.nanmax(np.abs(back.xy - series.xy)) <= 0.0251
    assert np.nanmax(np.abs(back.vis - series.vis)) <= 0.0021
    np.testing.assert_array_equal(back.t, series.t)
    assert truth2.reps == truth.reps and load_meta("x", tmp_path) == {"spec_hash": "abc"}
    assert np.nanmax(np.abs(leg[:, 3] - truth.landmarks_px[:, 29])) <= 0.0251  # left heel


def _stored_before_the_frame_rule(tmp_path: Path, spec, every: int) -> tuple[Path, Path]:
    """A clip stored as extracted before the frame rule's version entered the landmark cache key (and with an
    older foot track): every `every`-th frame of a 30 fps video stored. Returns (store, cache)."""
    import cv2

    from formcheck.core.landmarks import LandmarkSeries
    from formcheck.synth.truth import save_truth
    from tools.evalset.make import extraction_meta

    series, truth = make_series(preset("faults_side"), corruption=MEDIAPIPE_LIKE, seed=2)
    n, (w, h) = 30, (160, 120)
    cache, store = tmp_path / "cache", tmp_path / "store"
    stem = cache / "clips" / f"{spec.name}-{spec.spec_hash}"
    stem.parent.mkdir(parents=True)
    video = cv2.VideoWriter(str(stem.with_suffix(".mp4")), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for k in range(n):
        video.write(np.full((h, w, 3), 8 * k, np.uint8))
    video.release()
    save_truth(truth, stem.with_name(stem.name + ".truth.json"))
    kept = np.arange(0, n, every)
    old = LandmarkSeries(
        t=kept / 30.0, xy=series.xy[kept], z=series.z[kept], vis=series.vis[kept], width=w, height=h, frame=kept
    )
    meta = {"spec_hash": spec.spec_hash, **extraction_meta()}
    meta["extract"].pop("frames")
    meta["extract"]["foot_track"] = 0
    save_clip(spec.name, old, truth, meta, store)
    return store, cache


def test_retrack_takes_a_clip_stored_under_an_older_frame_rule_that_keeps_the_same_frames(manifest, tmp_path):
    from tools.evalset.make import extraction_meta, retrack_clip

    spec = manifest[0]
    store, cache = _stored_before_the_frame_rule(tmp_path, spec, every=1)
    assert retrack_clip(spec, cache, store, log=lambda _: None) == "foot track made again"
    series, _, _ = load_clip(spec.name, store)
    assert series.refined is not None and series.refined.shape == (30, 4, 2)
    assert {k: v for k, v in load_meta(spec.name, store).items() if k != "detection_rate"} == {
        "spec_hash": spec.spec_hash,
        **extraction_meta(),
    }


def test_retrack_refuses_a_clip_whose_stored_frames_todays_rule_would_not_pick(manifest, tmp_path):
    from tools.evalset.make import retrack_clip

    spec = manifest[0]
    store, cache = _stored_before_the_frame_rule(tmp_path, spec, every=2)  # today keeps every frame of 30 fps
    before = load_meta(spec.name, store)
    assert retrack_clip(spec, cache, store, log=lambda _: None) == (
        "today's frame rule picks other frames than the stored ones: make it"
    )
    assert load_meta(spec.name, store) == before
