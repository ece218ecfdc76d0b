"""The person lock (formcheck.io.person_lock) on made-up poses with known answers, and the old
several-people chooser (`--people N`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from formcheck.core.landmarks import INDEX
from formcheck.io.person_lock import Identity, LockConfig, PersonLock, TrackChooser, grow, overlap, pose_box
from formcheck.io.pose import PoseConfig, PoseFrame


def person(cx: float, cy: float, torso: float = 100.0, legs: float = 1.7) -> PoseFrame:
    """A standing person: torso centre (cx, cy), torso length `torso` px, hip-knee-ankle `legs` torso lengths."""
    p = PoseFrame.missing()
    xy = np.full((33, 2), np.nan)
    for s, dx in (("left", -0.1), ("right", 0.1)):
        hip = np.array([cx + dx * torso, cy + 0.5 * torso])
        xy[INDEX[f"{s}_shoulder"]] = (cx + dx * torso, cy - 0.5 * torso)
        xy[INDEX[f"{s}_hip"]] = hip
        xy[INDEX[f"{s}_knee"]] = hip + (0.0, legs * torso / 2)
        xy[INDEX[f"{s}_ankle"]] = hip + (0.0, legs * torso)
    xy[INDEX["nose"]] = (cx, cy - 0.8 * torso)
    return PoseFrame(xy=xy, z=p.z * 0, vis=p.vis * 0 + 1, presence=p.presence * 0 + 1, world=p.world)


NOBODY = PoseFrame.missing()


def following(x: float = 300.0, t: float = 0.0, torso: float = 100.0) -> PersonLock:
    """A lock that picked up the person at (x, 400) on a first, rechecked frame and has seen them on every
    frame since, the last at t (past its probation)."""
    lock = PersonLock()
    me = person(x, 400, torso)
    t0 = t - (LockConfig().settle_frames - 1) / 30
    assert lock.check(me, t0) == "recheck"  # the first pose of a track is always checked against everyone
    assert lock.resolve(me, [me], t0) is me
    for k in range(1, LockConfig().settle_frames):
        assert lock.check(me, t0 + k / 30) == "accept"
    return lock


def test_identity_measures_the_torso_and_the_legs():
    i = Identity.of(person(300, 400, torso=120, legs=1.8).xy)
    np.testing.assert_allclose(i.centre, (300, 400))
    assert i.torso == pytest.approx(120) and i.legs == pytest.approx(1.8)


def test_the_first_person_taken_is_the_largest():
    lock = PersonLock()
    small, big = person(800, 400, torso=80), person(300, 400, torso=150)
    assert lock.check(small, 0.0) == "recheck"
    assert lock.resolve(small, [small, big], 0.0) is big
    assert lock.mask and overlap(lock.mask[0], pose_box(small.xy))  # the model is steered off the small one


def test_a_first_glimpse_that_the_next_frames_do_not_continue_is_replaced():
    """The first pose taken was half a body (or one the model made up): the next poses do not fit it, and
    while the person is on probation the largest person is taken again instead of leaving a gap."""
    lock = PersonLock()
    glimpse, real = person(300, 400, torso=180), person(305, 400, torso=120)
    assert lock.check(glimpse, 0.0) == "recheck" and lock.resolve(glimpse, [glimpse], 0.0) is glimpse
    assert lock.check(real, 1 / 30) == "recheck"
    assert lock.resolve(real, [real], 1 / 30) is real
    for k in range(2, 8):
        assert lock.check(person(305, 400, torso=120), k / 30) == "accept"


@pytest.mark.parametrize(
    "pose, verdict",
    [
        (person(305, 402), "accept"),  # still the person: a few pixels on
        (
            person(340, 400),
            "recheck",
        ),  # the torso jumped 0.4 of its length in one frame (more than 0.25 + 3/s x 0.033 s)
        (person(300, 400, torso=125), "recheck"),  # 1.25x larger: someone nearer the camera
        (person(300, 400, torso=80), "recheck"),  # smaller
        (person(300, 400, legs=2.2), "recheck"),  # another build: legs 1.3x longer against the torso
        (NOBODY, "missing"),  # the model's own detector found nobody: nothing to search for
    ],
)
def test_each_pose_is_checked_against_the_person(pose, verdict):
    assert following().check(pose, 1 / 30) == verdict


def test_a_person_reappearing_after_a_short_gap_may_have_moved_a_little():
    lock = following()
    assert lock.check(NOBODY, 0.1) == "missing"
    back = person(370, 400)  # 0.7 torso lengths on, 0.5 s later: within 0.25 + 3/s x 0.5 s (at most 1.0)
    assert lock.check(back, 0.5) == "recheck"  # a fresh detection after a loss is always rechecked ...
    assert lock.resolve(back, [back], 0.5) is back  # ... and it is the person
    far = person(490, 400)  # 1.2 torso lengths on after a 0.4 s gap: more than the 1.0 cap
    assert lock.check(NOBODY, 0.6) == "missing"
    assert lock.check(far, 0.9) == "recheck" and lock.resolve(far, [far], 0.9) is None


def test_a_recheck_picks_the_person_among_others_and_masks_the_one_the_model_followed():
    lock = following()
    intruder = person(600, 380, torso=150)  # the model jumped to someone nearer the camera
    assert lock.check(intruder, 1 / 30) == "recheck"
    me = person(302, 401)
    assert lock.resolve(intruder, [intruder, me], 1 / 30) is me
    [box] = lock.mask
    assert box == grow(pose_box(intruder.xy), LockConfig().mask_margin) and not overlap(box, pose_box(me.xy))
    assert lock.off_person == 1 and lock.rechecks == 2
    # next frame: the model's view of the masked region is not the person, even if it looked like it
    ghost = person(330, 400)
    ghost.xy[INDEX["nose"]] = (600, 200)  # half of it inside the masked box
    assert lock.check(ghost, 2 / 30) == "recheck"
    # the model found the person again: back to one model run a frame, no mask
    assert lock.check(person(303, 401), 3 / 30) == "accept" and lock.mask == []


def test_someone_overlapping_the_person_is_not_masked_and_only_others_is_a_gap():
    lock = following()
    near = person(320, 400, torso=140)  # in front of the person, their boxes overlap
    me = person(301, 400)
    assert lock.resolve(near, [near, me], 1 / 30) is me and lock.mask == []  # masking it would hide the person
    assert lock.resolve(near, [near], 2 / 30) is None  # only someone else: a gap, never a jump


def test_after_two_seconds_without_the_person_the_largest_in_view_is_taken():
    lock = following()
    other = person(700, 400, torso=110)
    assert lock.check(other, 1.0) == "recheck" and lock.resolve(other, [other], 1.0) is None
    assert lock.check(other, 2.5) == "recheck"
    assert lock.resolve(other, [other], 2.5) is other
    assert lock.check(person(702, 400, torso=110), 2.53) == "accept"


def test_the_person_can_walk_slowly_and_change_size_gradually():
    lock = following()
    for k in range(1, 90):  # 3 s walking towards the camera: 1.5 torso lengths a second, growing 0.3 % a frame
        t = k / 30
        assert lock.check(person(300 + 5 * k, 400, torso=100 * 1.003**k), t) == "accept", k


def test_the_several_people_chooser_stays_on_the_same_person():
    est = TrackChooser()
    big, small = person(300, 400, torso=150), person(800, 400, torso=80)
    assert est.choose([small, big], 0.0) is big  # first frame: the largest person
    moved = person(320, 405, torso=150)
    assert est.choose([small, moved], 0.033) is moved  # then whoever continues the track
    assert est.choose([small], 0.066) is None  # only the other person is left: a gap, not a jump
    assert est.choose([small], 0.5) is None  # still within the re-acquire window
    assert est.choose([small], 3.0) is small  # the first person has been gone for > 2 s


# --- a second person walks through a real extraction ------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
WALK_FPS, WALK_FRAMES, CANVAS = 10.0, 40, (1280, 960)
OURS_X = (CANVAS[0] - 540) // 2  # clean_side (540x960) in the middle of the canvas


def read_frames(path: Path, start_s: float, n: int, fps: float) -> tuple[list[np.ndarray], list[int]]:
    """n frames of a 30 fps sample video from start_s at fps (and their source indices)."""
    import cv2

    want = [int(round((start_s + k / fps) * 30)) for k in range(n)]
    cap, out, i = cv2.VideoCapture(str(path)), [], 0
    try:
        while len(out) < n:
            ok, frame = cap.read()
            assert ok, f"{path.name} ended early"
            out += [frame] * want[len(out) :].count(i) if i in want else []
            i += 1
    finally:
        cap.release()
    return out, want


@pytest.fixture(scope="module")
def walk_through(tmp_path_factory) -> tuple[Path, list[int]]:
    """clean_side's person doing calf raises; front_faults' person, pasted in 1.5x larger (nearer the camera),
    walks across the whole frame in front of them, hiding them for about a second."""
    import cv2

    ours, source_index = read_frames(SAMPLES / "clean_side.mp4", 2.0, WALK_FRAMES, WALK_FPS)
    other, _ = read_frames(SAMPLES / "front_faults.mp4", 2.0, WALK_FRAMES, WALK_FPS)
    x0, y0, x1, y1 = 130, 100, 470, 830  # front_faults' person with a margin
    pw, ph = int(1.5 * (x1 - x0)), int(1.5 * (y1 - y0))
    w, h = CANVAS
    path = tmp_path_factory.mktemp("walk") / "walk_through.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), WALK_FPS, CANVAS)
    for k in range(WALK_FRAMES):
        canvas = np.empty((h, w, 3), np.uint8)
        canvas[:] = ours[k][5, 5]
        canvas[:, OURS_X : OURS_X + 540] = ours[k]
        patch = cv2.resize(other[k][y0:y1, x0:x1], (pw, ph))[ph - h :]
        left = int(-pw + (w + pw) * k / (WALK_FRAMES - 1))  # from just off the left edge to just off the right
        a, b = max(0, left), min(w, left + pw)
        if b > a:
            canvas[:, a:b] = patch[:, a - left : b - left]
        writer.write(canvas)
    writer.release()
    return path, source_index


def on_whom(path: Path, source_index: list[int], pose_config: PoseConfig) -> str:
    """Per frame: 'o' on the first person, 'X' on someone else, '.' no pose."""
    from formcheck.inputs import extract_video
    from formcheck.io.extract import ExtractConfig
    from formcheck.synth import load_truth

    s = extract_video(
        path, show_progress=False, use_cache=False, extract=ExtractConfig(max_fps=None, pose=pose_config)
    ).series
    truth = load_truth(SAMPLES / "clean_side.truth.json")
    true_xy = truth.landmarks_px[source_index] + (OURS_X, 0.0)
    assert len(s) == WALK_FRAMES
    marks = []
    for k in range(WALK_FRAMES):
        if not s.found[k]:
            marks.append(".")
            continue
        got, want = Identity.of(s.xy[k]), Identity.of(true_xy[k])
        leg = [INDEX[f"right_{p}"] for p in ("hip", "knee", "ankle", "heel")]  # clean_side's working leg
        leg_err = np.median(np.hypot(*(s.xy[k, leg] - true_xy[k, leg]).T)) / want.torso
        marks.append("o" if np.hypot(*(got.centre - want.centre)) < 0.5 * want.torso and leg_err < 0.3 else "X")
    return "".join(marks)


def test_someone_walking_through_never_becomes_the_analyzed_person(walk_through):
    path, source_index = walk_through
    locked = on_whom(path, source_index, PoseConfig())
    assert "X" not in locked, locked  # every pose given is the first person's
    assert locked[:12].count("o") >= 11 and locked[-8:].count("o") >= 7, locked  # before, and picked up after


def test_without_the_lock_one_person_model_jumps_to_the_walker(walk_through):
    """The clip does provoke a jump: MediaPipe's one-person model, with nothing checking it, follows the
    walker off across the frame (so the lock's test above can fail)."""
    path, source_index = walk_through
    plain = on_whom(path, source_index, PoseConfig(lock=None))
    assert plain.count("X") >= 5, plain
