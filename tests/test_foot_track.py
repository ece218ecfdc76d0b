"""The foot track (formcheck.io.foot_track) on synthetic image sequences with a known motion.

A textured foot-shaped patch on a textured background is turned about its ball and moved along a known
path (a rise, a hold, a fast reversal, a slow lowering, a bottom pause); MediaPipe's points are the true
ones plus noise. The tracker must follow the true heel and toe to a fraction of a pixel, report an
occlusion as missing (never drift with it) and take up the track again where MediaPipe puts the foot.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from formcheck.core.landmarks import INDEX, N_LANDMARKS, REFINED_POINTS
from formcheck.io.extract import ExtractConfig, extract_landmarks
from formcheck.io.foot_track import FootTrackConfig, FootTracker, part_polygons
from formcheck.io.pose import PoseFrame
from formcheck.io.video import Frame, VideoInfo

W, H = 480, 360
BALL = np.array([300.0, 250.0])  # the foot turns about its ball
HEEL0, TOE0, ANKLE0, KNEE0 = (np.array(p, float) for p in ([200, 240], [340, 250], [215, 185], [225, 20]))
FPS = 30.0


def texture(h: int, w: int, seed: int, blur: float = 2.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.uniform(0, 255, (h, w)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(img, (0, 0), blur) * 3 - 255, 0, 255).astype(np.uint8)


BACKGROUND = texture(H, W, 1, blur=3.0)
FOOT_TEX = texture(H, W, 2, blur=1.5)
FOOT_MASK = np.zeros((H, W), np.uint8)
cv2.fillConvexPoly(
    FOOT_MASK, np.array([[185, 265], [190, 225], [230, 175], [262, 200], [350, 238], [352, 262]], np.int32), 255
)


def pose_at(angle_deg: float, shift: np.ndarray) -> np.ndarray:
    """2x3: the foot turned by angle_deg about its ball (heel up for positive angles), then shifted."""
    m = cv2.getRotationMatrix2D(tuple(BALL), angle_deg, 1.0)
    m[:, 2] += shift
    return m


def frame(m: np.ndarray, occluded: bool = False) -> np.ndarray:
    foot = cv2.warpAffine(FOOT_TEX, m, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(FOOT_MASK, m, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32) / 255
    img = BACKGROUND * (1 - mask) + foot * mask
    if occluded:  # a flat board in front of the foot
        img[150:300, 150:380] = 90
    return cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def apply(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p @ m[:, :2].T + m[:, 2]


def path(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Angle (deg) and shift per frame: stand, rise 0.8 s, hold 0.5 s, fast drop 0.3 s with a reversal
    (a 0.1 s rebound), slow lowering, bottom pause, a second rise; then standing."""
    t = np.arange(n) / FPS
    key_t = [0.0, 1.0, 1.8, 2.3, 2.6, 2.7, 2.8, 4.0, 4.6, 5.4, 6.0, 99]
    key_a = [0.0, 0.0, 25.0, 25.0, 8.0, 12.0, 8.0, -10.0, -10.0, 20.0, 0.0, 0.0]
    angle = np.interp(t, key_t, key_a)
    shift = np.stack([0.8 * np.sin(t * 2.1), 0.5 * np.cos(t * 1.3)], axis=1)  # the body sways a little
    return angle, shift


def mediapipe_xy(m: np.ndarray, rng: np.random.Generator, noise: float) -> tuple[np.ndarray, np.ndarray]:
    xy = np.full((N_LANDMARKS, 2), np.nan)
    vis = np.zeros(N_LANDMARKS)
    for name, p in (("heel", HEEL0), ("foot_index", TOE0), ("ankle", ANKLE0)):
        xy[INDEX[f"right_{name}"]] = apply(m, p) + rng.normal(0, noise, 2)
        vis[INDEX[f"right_{name}"]] = 0.95
    xy[INDEX["right_knee"]] = KNEE0
    vis[INDEX["right_knee"]] = 0.95
    return xy, vis


def run(n: int, noise: float = 0.0, occluded=lambda k: False, mp_offset=lambda k: np.zeros(2), seed: int = 0):
    angle, shift = path(n)
    rng = np.random.default_rng(seed)
    tracker = FootTracker()
    got, true = [], []
    for k in range(n):
        m = pose_at(angle[k], shift[k])
        xy, vis = mediapipe_xy(m, rng, noise)
        xy[INDEX["right_heel"]] += mp_offset(k)
        got.append(tracker.update(frame(m, occluded(k)), k / FPS, xy, vis))
        true.append([apply(m, HEEL0), apply(m, TOE0)])
    got = np.array(got)
    return got[:, [REFINED_POINTS.index("right_heel"), REFINED_POINTS.index("right_foot_index")]], np.array(true)


def test_the_masks_cover_the_rear_foot_and_the_toes_apart():
    rear, toes = part_polygons(HEEL0, TOE0, ANKLE0, 150.0, FootTrackConfig())
    assert cv2.pointPolygonTest(rear.astype(np.float32), tuple(HEEL0), False) > 0
    assert cv2.pointPolygonTest(toes.astype(np.float32), tuple(TOE0), False) > 0
    assert cv2.pointPolygonTest(rear.astype(np.float32), tuple(ANKLE0), False) < 0  # the shin does not tip up


def test_it_follows_the_heel_and_toe_to_a_fraction_of_a_pixel_through_holds_and_a_fast_reversal():
    got, true = run(200)
    tracked = np.isfinite(got).all(axis=(1, 2))
    assert tracked[10:].all()  # from the anchor (MediaPipe's foot still for 0.3 s) on, every frame
    err = np.hypot(*(got[tracked] - true[tracked]).reshape(-1, 2).T)
    assert np.median(err) < 0.15 and err.max() < 0.6
    rise = true[tracked, 0, 1].max() - true[tracked, 0, 1].min()
    assert rise > 50  # the heel really travels (tens of pixels) while the error stays sub-pixel


def test_mediapipe_noise_at_the_anchor_is_averaged_out():
    got, true = run(120, noise=2.0, seed=3)
    tracked = np.isfinite(got).all(axis=(1, 2))
    offset = np.median(got[tracked] - true[tracked], axis=0)  # the anchor's error, constant along the track
    assert np.hypot(*offset.T).max() < 1.2  # one noisy frame would leave ~2-3 px; 15 averaged frames ~0.5


def test_an_occlusion_is_reported_missing_and_the_track_is_taken_up_again_afterwards():
    hidden = range(60, 100)  # 1.3 s behind a board, during the hold and the fast drop
    got, true = run(200, occluded=lambda k: k in hidden)
    tracked = np.isfinite(got).all(axis=(1, 2))
    assert not tracked[60:100].any()  # a failure reported, not a guess
    assert tracked[150:].all()  # anchored anew once MediaPipe's foot stood still again
    err = np.hypot(*(got[150:] - true[150:]).reshape(-1, 2).T)
    assert err.max() < 0.6


def test_a_short_occlusion_keeps_the_same_picture_and_point():
    got, true = run(140, occluded=lambda k: k in (70, 71, 72))
    tracked = np.isfinite(got).all(axis=(1, 2))
    assert not tracked[70:73].any() and tracked[73:].all()
    assert np.hypot(*(got[73:] - true[73:]).reshape(-1, 2).T).max() < 0.6


def test_following_something_else_than_mediapipe_ends_the_track_instead_of_drifting():
    # from frame 60 MediaPipe's heel is 120 px away (on someone else's foot, say): the picture still fits,
    # but a track that disagrees with MediaPipe by half a foot (70 px here) for a second is ended, not kept
    offset = np.array([120.0, 0.0])
    got, true = run(150, mp_offset=lambda k: offset if k >= 60 else np.zeros(2))
    heel, mp_heel = got[:, 0], true[:, 0] + np.where(np.arange(150)[:, None] >= 60, offset, 0.0)
    far = np.hypot(*(heel - mp_heel).T) > 70  # NaN (not reported) is not far
    assert np.isfinite(heel[10:60]).all() and np.isnan(heel[60:]).any()  # ended...
    assert far.sum() <= 30  # ... within a second of disagreeing
    ended = 60 + int(np.argmax(np.isnan(heel[60:, 0])))
    again = ended + int(np.argmax(np.isfinite(heel[ended:, 0])))
    assert again > ended and np.hypot(*(heel[again] - mp_heel[again])) < 3  # taken up again where MediaPipe puts it


def two_feet(m_real: np.ndarray, m_decoy: np.ndarray) -> np.ndarray:
    """The foot, and a second picture of it (what the part's picture may fit after a cut) on the background."""
    img = BACKGROUND.astype(np.float32)
    for m in (m_decoy, m_real):
        foot = cv2.warpAffine(FOOT_TEX, m, (W, H), flags=cv2.INTER_LINEAR)
        mask = person_of(m)
        img = img * (1 - mask) + foot * mask
    return cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


@pytest.mark.parametrize("unseen_after_the_cut", [0, 3])
def test_after_a_failure_the_part_is_taken_back_only_where_mediapipe_moved_it(unseen_after_the_cut):
    # a cut: the picture goes dark for 5 frames, then the foot is 60 px lower (0.43 foot scales, within one
    # frame's allowed move) and MediaPipe follows it; a picture like the foot's stays at the old place. MediaPipe
    # may not see the heel in the first frames after the cut: nothing to check against, so nothing is taken back
    tracker, rng = FootTracker(), np.random.default_rng(1)
    still, moved = pose_at(0.0, np.zeros(2)), pose_at(0.0, np.array([0.0, 60.0]))
    heel = REFINED_POINTS.index("right_heel")
    got = []
    for k in range(80):
        m = still if k < 40 else moved
        image = frame(still) if k < 40 else two_feet(moved, still)
        if 40 <= k < 45:
            image = np.full_like(image, 90)
        xy, vis = mediapipe_xy(m, rng, 0.0)
        if 45 <= k < 45 + unseen_after_the_cut:
            vis[INDEX["right_heel"]] = 0.2
        got.append(tracker.update(image, k / FPS, xy, vis)[heel])
    got = np.array(got)
    assert np.isfinite(got[10:40]).all()
    after = got[45:][np.isfinite(got[45:, 0])]
    assert len(after) > 0  # taken up again once the foot stands still ...
    assert np.hypot(*(after - apply(moved, HEEL0)).T).max() < 3  # ... on the foot, never on the picture left behind


STEP = np.full((H, W), 190, np.float32)  # a wall, and a step whose dark face starts at the sole's level
STEP[262:] = 60
STEP[262:, 330:] = 120
FAINT_SHOE = (FOOT_TEX.astype(np.float32) - 128) * 0.1 + 150


def on_step(m: np.ndarray) -> np.ndarray:
    """A faint shoe on a step's edge: the edge is the strongest thing in the rear foot's picture."""
    foot = cv2.warpAffine(FAINT_SHOE, m, (W, H), flags=cv2.INTER_LINEAR)
    mask = person_of(m)
    return cv2.cvtColor(np.clip(STEP * (1 - mask) + foot * mask, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def person_of(m: np.ndarray) -> np.ndarray:
    return cv2.warpAffine(FOOT_MASK, m, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32) / 255


def heel_on_step(person_mask, several: bool = False) -> tuple[np.ndarray, np.ndarray, int]:
    """(tracked heel, true heel, how often the people's masks were asked for) over a rise, hold and lowering;
    person_mask(m) is the one person's mask, or with several the list of everyone's."""
    n = 100
    angle, shift = path(n)
    rng = np.random.default_rng(0)
    asked, current = [0], {}

    def ask(image: np.ndarray) -> list[np.ndarray]:
        asked[0] += 1
        masks = person_mask(current["m"])
        return masks if several else [masks]

    tracker = FootTracker(segment_person=ask if person_mask is not None else None)
    got, true = [], []
    for k in range(n):
        current["m"] = m = pose_at(angle[k], shift[k])
        xy, vis = mediapipe_xy(m, rng, 0.0)
        got.append(tracker.update(on_step(m), k / FPS, xy, vis)[REFINED_POINTS.index("right_heel")])
        true.append(apply(m, HEEL0))
    risen = angle >= 10.0
    return np.array(got)[risen], np.array(true)[risen], asked[0]


def test_a_step_edge_in_the_picture_holds_the_heel_unless_the_persons_mask_leaves_it_out():
    got, true, _ = heel_on_step(None)
    assert np.median(np.hypot(*(got - true).T)) > 8  # the edge holds the warp: the heel reads 10-15 px low
    got, true, asked = heel_on_step(person_of)
    assert np.median(np.hypot(*(got - true).T)) < 4  # the picture without the step follows the shoe
    assert 1 <= asked <= 4  # asked for only when a part is anchored (the heel's and the toe's anchor frame)


def test_the_persons_mask_is_not_asked_for_while_the_foot_is_hidden_by_something_flat():
    # a still foot behind a flat board: every frame could anchor but for the flat picture, checked first
    asked = []
    tracker = FootTracker(segment_person=lambda image: asked.append(1) or [np.ones((H, W), np.float32)])
    rng = np.random.default_rng(0)
    for k in range(60):
        m = pose_at(0.0, np.zeros(2))
        assert np.isnan(tracker.update(frame(m, occluded=True), k / FPS, *mediapipe_xy(m, rng, 0.0))).all()
    assert not asked


def test_a_persons_mask_smaller_than_the_frame_is_scaled_to_it():
    full, true, _ = heel_on_step(person_of)
    half, _, _ = heel_on_step(lambda m: cv2.resize(person_of(m), (W // 2, H // 2), interpolation=cv2.INTER_AREA))
    assert np.median(np.hypot(*(half - true).T)) < 4  # as with the full-size mask
    assert np.median(np.hypot(*(half - full).T)) < 1


def test_a_persons_mask_that_misses_the_foot_leaves_the_parts_whole_picture():
    got, true, _ = heel_on_step(None)
    missed, _, asked = heel_on_step(lambda m: np.zeros((H, W), np.float32))
    assert asked >= 1
    np.testing.assert_array_equal(missed, got)


def test_of_several_peoples_masks_the_one_covering_the_foot_is_kept():
    # the foot's own person among others (in any order): someone standing away from the foot, someone whose leg
    # passes behind the heel, and someone all around the foot and over its upper half
    def away(m: np.ndarray) -> np.ndarray:
        other = np.zeros((H, W), np.float32)
        other[:, : W // 4] = 1.0
        return other

    def behind(m: np.ndarray) -> np.ndarray:
        other = np.zeros((H, W), np.float32)
        other[:, 150:215] = 1.0
        return other

    def around(m: np.ndarray) -> np.ndarray:  # more of the part's box than the foot's person, less of the part
        other = 1.0 - person_of(m)
        other[:240] = 1.0
        return other

    alone, true, _ = heel_on_step(person_of)
    for order in ((away, person_of, behind, around), (person_of, around, behind), (around, behind, away, person_of)):
        got, _, _ = heel_on_step(lambda m, order=order: [f(m) for f in order], several=True)
        np.testing.assert_array_equal(got, alone)
    only_others, _, _ = heel_on_step(lambda m: [away(m)], several=True)  # the foot's person missed: whole picture
    assert np.median(np.hypot(*(only_others - true).T)) > 8


@pytest.mark.parametrize("bad", ["no foot seen", "foot moving", "foot outside the frame"])
def test_no_anchor_without_a_still_well_seen_foot(bad):
    tracker = FootTracker()
    rng = np.random.default_rng(0)
    for k in range(10):
        m = pose_at(3.0 * k if bad == "foot moving" else 0.0, np.zeros(2))
        xy, vis = mediapipe_xy(m, rng, 0.0)
        if bad == "no foot seen":
            vis[INDEX["right_heel"]] = 0.2
        if bad == "foot outside the frame":  # MediaPipe's landmarks can lie past the frame's edges, still "seen"
            xy += (W + 400.0, H + 300.0)
        out = tracker.update(frame(m), k / FPS, xy, vis)
        assert np.isnan(out).all()


class _Model:
    """A pose model that returns the synthetic foot's MediaPipe points of each frame (and can be Ctrl-C'd)."""

    def __init__(self, poses: list[tuple[np.ndarray, np.ndarray]], stop_at: int | None = None) -> None:
        self.poses, self.stop_at = poses, stop_at

    def detect(self, image, t: float) -> PoseFrame:
        k = int(round(t * FPS))
        if k == self.stop_at:
            raise KeyboardInterrupt
        xy, vis = self.poses[k]
        return PoseFrame(xy, np.zeros(N_LANDMARKS), vis, vis, np.zeros((N_LANDMARKS, 3)))


def extraction_input(n: int, draw, seed: int) -> tuple[list[np.ndarray], list, list[Frame]]:
    """(the foot's matrices, MediaPipe's points of each frame, the frames) along the path, drawn by `draw`."""
    angle, shift = path(n)
    rng = np.random.default_rng(seed)
    matrices = [pose_at(angle[k], shift[k]) for k in range(n)]
    poses = [mediapipe_xy(m, rng, 0.5) for m in matrices]
    return matrices, poses, [Frame(k, k / FPS, draw(m)) for k, m in enumerate(matrices)]


def test_extraction_tracks_the_feet_a_frame_behind_the_model_with_the_same_points():
    """extract_landmarks runs the foot track in a worker thread behind the pose model: the refined points are
    the ones a tracker fed frame by frame gives, also when Ctrl-C stops the extraction (nothing lost)."""
    n = 90
    matrices, poses, frames = extraction_input(n, frame, seed=3)
    tracker = FootTracker()
    expected = np.array([tracker.update(f.image, f.t, *poses[k]) for k, f in enumerate(frames)])
    heel = REFINED_POINTS.index("right_heel")
    assert np.isfinite(expected[:, heel]).all(axis=1).sum() > n / 2  # the track is really there to compare
    info = VideoInfo(None, "file", FPS, n, W, H, 0, n / FPS, "synthetic")
    config = ExtractConfig(max_fps=None)
    whole = extract_landmarks(frames, info, _Model(poses), config=config)
    np.testing.assert_array_equal(whole.series.refined, expected)
    assert not whole.interrupted and list(whole.series.frame) == list(range(n))
    stopped = extract_landmarks(frames, info, _Model(poses, stop_at=70), config=config)
    assert stopped.interrupted and len(stopped.series) == 70
    np.testing.assert_array_equal(stopped.series.refined, expected[:70])


class _ModelWithMasks(_Model):
    """The stand-in pose model, also giving the person's mask of a frame (the foot's, as drawn)."""

    def __init__(self, poses, masks: dict[int, np.ndarray]) -> None:
        super().__init__(poses)
        self.masks, self.asked = masks, 0

    def person_segmenter(self):
        def people(image: np.ndarray) -> list[np.ndarray]:
            self.asked += 1
            return [self.masks[id(image)]]

        return people


def test_extraction_gives_the_foot_track_the_models_person_masks():
    n = 60
    matrices, poses, frames = extraction_input(n, on_step, seed=5)
    masks = {id(f.image): person_of(m) for f, m in zip(frames, matrices, strict=True)}
    expected_tracker = FootTracker(segment_person=lambda image: [masks[id(image)]])
    expected = np.array([expected_tracker.update(f.image, f.t, *poses[k]) for k, f in enumerate(frames)])
    without = FootTracker()
    plain = np.array([without.update(f.image, f.t, *poses[k]) for k, f in enumerate(frames)])
    assert not np.allclose(expected, plain, equal_nan=True)  # the masks change the track here
    info = VideoInfo(None, "file", FPS, n, W, H, 0, n / FPS, "synthetic")
    model = _ModelWithMasks(poses, masks)
    got = extract_landmarks(frames, info, model, config=ExtractConfig(max_fps=None))
    np.testing.assert_array_equal(got.series.refined, expected)
    assert 1 <= model.asked <= 4  # only on the frames where a part is anchored
