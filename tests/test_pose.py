"""The pose edge: bundled model identity, model errors, no person -> no pose, masking a model image
(the person lock itself: tests/test_person_lock.py)."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from formcheck.core.landmarks import INDEX
from formcheck.errors import InputError, ModelError
from formcheck.io.model import BUNDLED_MODEL, BUNDLED_SHA256, file_sha256, resolve_model
from formcheck.io.pose import MASK_GREY, SEGMENT_MAX_SIDE, PoseConfig, PoseEstimator, masked, model_image


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


def test_masked_paints_boxes_of_the_full_frame_on_a_smaller_model_image():
    frame = np.full((400, 800, 3), 30, np.uint8)  # the model sees it at half size
    prepared = model_image(frame, 400)
    out = masked(prepared, [(100.0, 50.0, 300.0, 150.0), (-50.0, 390.0, 20.0, 900.0)])
    data = out.image.numpy_view()
    assert (out.width, out.height) == (800, 400) and data.shape == (200, 400, 3)
    assert (data[25:75, 50:150] == MASK_GREY).all()
    assert (data[24, 50:150] == 30).all() and (data[75, 50:150] == 30).all()
    assert (data[195:, :10] == MASK_GREY).all()  # a box reaching past the edges is clipped
    assert (prepared.image.numpy_view() == 30).all()  # the original is untouched


@pytest.mark.parametrize("people", [0, 5])
def test_people_out_of_range_is_a_clear_error(people):
    with pytest.raises(InputError, match="--people must be 1 to 4"):
        PoseConfig(num_poses=people)


def test_the_time_scale_weakens_mediapipes_own_filter():
    """The person standing still, then the picture sliding 0.5 px a frame (as slowly as a heel starts to
    lower) for 20 frames: MediaPipe's one-person filter as it comes (time_scale 1) trails the slide by
    about 2 px; told the frames are 30x further apart (the default) it keeps up within about a pixel.
    Fails if MediaPipe's filter stops depending on the timestamps (then time_scale does nothing)."""
    import cv2

    from formcheck.io.person_lock import Identity

    cap = cv2.VideoCapture(str(Path(__file__).resolve().parents[1] / "sample_videos" / "clean_side.mp4"))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 30)
    ok, frame = cap.read()
    cap.release()
    assert ok
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    shifts = [0.0] * 15 + [0.5 * (k + 1) for k in range(20)]
    lag = {}
    for scale in (1.0, 30.0):
        with PoseEstimator(config=PoseConfig(time_scale=scale)) as est:
            x = np.array(
                [
                    Identity.of(
                        est.detect(
                            cv2.warpAffine(
                                rgb, np.float32([[1, 0, dx], [0, 1, 0]]), (w, h), borderMode=cv2.BORDER_REPLICATE
                            ),
                            k / 30,
                        ).xy
                    ).centre[0]
                    for k, dx in enumerate(shifts)
                ]
            )
        lag[scale] = float(np.mean(np.array(shifts[15:]) - (x[15:] - x[14])))
    assert lag[1.0] > 1.2 and lag[30.0] < 1.0 and lag[1.0] > 2 * lag[30.0], lag


def _owns_its_memory(a: np.ndarray) -> bool:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a.base is None and a.flags.owndata


def demo_frame() -> np.ndarray:
    """Frame 30 of the demo video that ships in the package (one person, side-on)."""
    video = cv2.VideoCapture(str(Path(__file__).resolve().parents[1] / "formcheck" / "data" / "demo.mp4"))
    video.set(cv2.CAP_PROP_POS_FRAMES, 30)
    ok, frame = video.read()
    video.release()
    assert ok
    return frame


def test_the_person_mask_of_a_frame_covers_the_person_and_outlives_the_model_run():
    frame = demo_frame()
    big = cv2.resize(frame, (frame.shape[1] * 3, frame.shape[0] * 3))  # over SEGMENT_MAX_SIDE: shrunk first
    with PoseEstimator() as est:
        person = est.person_segmenter()
        (mask,), (large,) = person(frame), person(big)  # one person in the demo
        pose = est.detect(model_image(frame, None), 0.0)
    gc.collect()
    assert mask.shape == frame.shape[:2] and mask.dtype == np.float32
    assert max(large.shape) == SEGMENT_MAX_SIDE
    assert large.shape[0] / large.shape[1] == pytest.approx(frame.shape[0] / frame.shape[1], rel=0.01)
    assert _owns_its_memory(mask) and _owns_its_memory(large)  # not a view of MediaPipe's buffer, freed after the run
    for name in ("left_hip", "right_hip", "left_knee", "right_knee"):  # the person's pixels ...
        x, y = np.round(pose.xy[INDEX[name]]).astype(int)
        assert mask[y, x] > 0.5, name
    assert mask[:8, :8].max() < 0.5 and mask[:8, -8:].max() < 0.5  # ... and not the room's corners


class _Counting:
    """A MediaPipe model that counts its callers inside detect() at once (holding each call a little, to widen the
    window two unguarded callers would meet in) and its closes."""

    def __init__(self, model) -> None:
        self.model, self.inside, self.most, self.closed = model, 0, 0, 0
        self._count = threading.Lock()

    def detect(self, image):
        with self._count:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            time.sleep(0.003)
            return self.model.detect(image)
        finally:
            with self._count:
                self.inside -= 1

    def close(self) -> None:
        self.closed += 1
        self.model.close()


def test_the_person_masks_and_the_locks_rechecks_share_one_model_from_two_threads():
    # with the person lock on, the masks come from the rechecks' IMAGE-mode model made again with its masks on
    # (one model less in memory); the foot track asks from its own thread while the model may be rechecking
    frame = demo_frame()
    prepared = model_image(frame, None)
    made = []
    with PoseEstimator() as est:
        before = est._poses("recheck", lambda: est._recheck_detect(prepared.image), prepared)
        create = est._create
        est._create = lambda *a, **k: made.append(_Counting(create(*a, **k))) or made[-1]
        person = est.person_segmenter()
        assert made == [est._recheck] and est._segmenter is est._recheck  # one model for both
        alone = person(frame)
        assert len(alone) == 1
        with ThreadPoolExecutor(max_workers=1) as other:
            masks = [other.submit(person, frame) for _ in range(8)]
            rechecks = [est._poses("recheck", lambda: est._recheck_detect(prepared.image), prepared) for _ in range(8)]
            masks = [m.result() for m in masks]
    assert made[0].most == 1  # never two callers in the model at once
    assert made[0].closed == 1  # closed once, though it is both the recheck model and the segmenter
    assert len(before) == 1 and all(len(r) == 1 for r in rechecks)
    for r in rechecks:  # the rechecks find the person as before the masks were turned on
        np.testing.assert_allclose(r[0].xy, before[0].xy, atol=0.01)
    for m in masks:
        np.testing.assert_array_equal(m[0], alone[0])


def test_an_estimator_made_for_masks_has_its_segmenter_from_the_start():
    # masks=True (the foot track on): the recheck's model is made with its masks on at the start, so asking for
    # the masks loads no model; the masks and the rechecks are those of an estimator that made it again later
    frame = demo_frame()
    prepared = model_image(frame, None)
    with PoseEstimator() as later:
        masks_later = later.person_segmenter()(frame)
        rechecks_later = later._poses("recheck", lambda: later._recheck_detect(prepared.image), prepared)
    with PoseEstimator(masks=True) as est:
        est._create = lambda *a, **k: pytest.fail("a model was made after the start")
        person = est.person_segmenter()
        assert est._segmenter is est._recheck
        masks = person(frame)
        rechecks = est._poses("recheck", lambda: est._recheck_detect(prepared.image), prepared)
    assert len(masks) == len(masks_later) == 1
    np.testing.assert_array_equal(masks[0], masks_later[0])
    assert len(rechecks) == len(rechecks_later) == 1
    np.testing.assert_allclose(rechecks[0].xy, rechecks_later[0].xy, atol=0.01)


def test_a_model_without_masks_still_rechecks_and_the_foot_track_says_why_it_cannot(monkeypatch):
    create = PoseEstimator._create

    def without_masks(self, video: bool, num_poses: int, masks: bool = False):
        if masks:
            raise ModelError("could not load the pose model (no segmentation output)")
        return create(self, video, num_poses)

    monkeypatch.setattr(PoseEstimator, "_create", without_masks)
    prepared = model_image(demo_frame(), None)
    with PoseEstimator(masks=True) as est:
        assert est._recheck is not None and est._segmenter is None
        assert len(est._poses("recheck", lambda: est._recheck_detect(prepared.image), prepared)) == 1
        with pytest.raises(ModelError, match="gives no person masks.*--no-foot-track"):
            est.person_segmenter()


def test_a_start_that_fails_after_the_first_model_closes_it(monkeypatch):
    made = []
    create = PoseEstimator._create

    def counted(self, video: bool, num_poses: int, masks: bool = False):
        made.append(_Counting(create(self, video, num_poses, masks)))
        return made[-1]

    def broken(self, people: int):
        raise RuntimeError("the mask model's warm-up failed")

    monkeypatch.setattr(PoseEstimator, "_create", counted)
    monkeypatch.setattr(PoseEstimator, "_mask_model", broken)
    with pytest.raises(RuntimeError, match="warm-up"):
        PoseEstimator(masks=True)
    assert len(made) == 1 and made[0].closed == 1  # the video model, made before the failure, closed once
