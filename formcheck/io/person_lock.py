"""Which person's landmarks a frame gives: the person lock (pure numpy; formcheck.io.pose runs the model).

The pose model is run for one person (its detector then runs only when it has lost its person, and
MediaPipe applies its landmark filter). One person's model may still jump to someone else: a person
walking between the camera and the athlete, or someone it prefers after losing the athlete. So every
pose it returns is checked against the person being followed (where the torso is, how large it is, the
legs' length against the torso). A pose that does not fit, the first pose of a track, and any frame
while the model is off the person are *rechecked*: that frame alone is searched for several people and
the followed person is picked out of them (or the frame has no pose: a gap, never a jump). While the
model is on someone else, the others are masked out of its next frame so that it finds the followed
person again (`mask_boxes`) instead of paying for a recheck on every frame.

With `num_poses` > 1 (the model looks for several people on every frame) `choose()` picks among them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from formcheck.core.landmarks import INDEX

HIPS = [INDEX["left_hip"], INDEX["right_hip"]]
SHOULDERS = [INDEX["left_shoulder"], INDEX["right_shoulder"]]
TORSO = HIPS + SHOULDERS
LEGS = tuple((INDEX[f"{s}_hip"], INDEX[f"{s}_knee"], INDEX[f"{s}_ankle"]) for s in ("left", "right"))

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


class Pose(Protocol):
    xy: np.ndarray  # (33, 2) pixels

    @property
    def found(self) -> bool: ...


@dataclass(frozen=True)
class LockConfig:
    """How far one frame's pose may differ from the followed person's and still be that person."""

    # the torso centre moved more than this many torso lengths, plus speed_torsos_s for every second since
    # the person was last seen (3 torso lengths a second is a brisk walk), up to gap_torsos (about 50 cm): someone else
    jump_torsos: float = 0.25
    speed_torsos_s: float = 3.0
    gap_torsos: float = 1.0
    size_ratio: float = 1.2  # the torso this much longer or shorter than the person's: someone else
    leg_ratio: float = 1.25  # the legs (hip-knee-ankle against the torso) this much longer or shorter
    reacquire_after_s: float = 2.0  # after the person is gone this long, take the largest person in view
    # a person just taken is followed on probation for this many frames: a pose that does not fit them then
    # means the first pick was a glimpse (half a body, or one the model made up), and the largest is taken again
    settle_frames: int = 5
    mask_margin: float = 0.2  # a masked person's box grows by this fraction of its size on every side
    memory: float = 0.2  # weight of a new frame in the person's running torso and leg sizes


@dataclass(frozen=True)
class Identity:
    """What a pose says about who it is: torso centre and length (pixels), legs against the torso."""

    centre: np.ndarray
    torso: float
    legs: float  # the longer leg's hip-knee-ankle length / torso length (NaN when not seen)

    @classmethod
    def of(cls, xy: np.ndarray) -> Identity:
        hips, shoulders = xy[HIPS].mean(axis=0), xy[SHOULDERS].mean(axis=0)
        torso = float(np.hypot(*(shoulders - hips)))
        legs = [float(np.hypot(*(xy[h] - xy[k])) + np.hypot(*(xy[k] - xy[a]))) for h, k, a in LEGS]
        longest = np.nanmax(legs) if np.isfinite(legs).any() else math.nan
        return cls(xy[TORSO].mean(axis=0), torso, float(longest / torso) if torso > 0 else math.nan)


def _log_ratio(a: float, b: float) -> float:
    """|log(a / b)|; 0 when either is unknown (no evidence against)."""
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        return 0.0
    return abs(math.log(a / b))


def pose_box(xy: np.ndarray) -> Box | None:
    """The landmarks' bounding box in pixels (None without landmarks)."""
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return None
    lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def grow(box: Box, margin: float) -> Box:
    dx, dy = margin * (box[2] - box[0]), margin * (box[3] - box[1])
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class PersonLock:
    """Follows one person through a video: `check()` each pose the one-person model gives; on "recheck"
    search the frame for several people and `resolve()` them. `mask` holds the boxes to blank out of the
    model's next frame (others it might follow instead of the person), empty when none."""

    def __init__(self, config: LockConfig | None = None) -> None:
        self.config = config or LockConfig()
        self._who: Identity | None = None  # the person followed: last seen centre, running sizes
        self._seen_t = -math.inf
        self._settled = 0  # frames the person was seen since they were taken
        self._lost = False  # the model lost the person: its next pose comes from a fresh detection
        self.mask: list[Box] = []
        self.rechecks = 0  # frames searched for several people
        self.off_person = 0  # rechecked frames where the one-person model was on someone else

    @property
    def following(self) -> bool:
        return self._who is not None

    def _expired(self, t: float) -> bool:
        return self._who is None or t - self._seen_t > self.config.reacquire_after_s

    def _taking(self, t: float) -> bool:
        """Nobody is followed yet, the person has been gone too long, or was taken only just now."""
        return self._expired(t) or self._settled < self.config.settle_frames

    def fits(self, pose: Pose, t: float) -> bool:
        """Whether this pose continues the followed person (near enough, the same size and build)."""
        return self._who is not None and self._misfit(Identity.of(pose.xy), t) is not None

    def _misfit(self, new: Identity, t: float) -> float | None:
        """How far a pose is from the followed person (torso lengths moved + size change), None if too far."""
        c, who = self.config, self._who
        moved = float(np.hypot(*(new.centre - who.centre))) / who.torso
        size = _log_ratio(new.torso, who.torso)
        reach = min(c.jump_torsos + c.speed_torsos_s * max(t - self._seen_t, 0.0), c.gap_torsos)
        if moved > reach or size > math.log(c.size_ratio) or _log_ratio(new.legs, who.legs) > math.log(c.leg_ratio):
            return None
        return moved + size

    def check(self, pose: Pose, t: float) -> str:
        """The verdict on the model's pose: accept it, missing (no pose, nothing to search for), or recheck."""
        if self._expired(t):
            self._who = None
            return "recheck" if pose.found else "missing"
        if not pose.found:
            if self.mask:
                return "recheck"  # the model is masked off someone else: look for the person meanwhile
            self._lost = True
            return "missing"  # the model's own detector found nobody on this frame
        if not self._lost and self.fits(pose, t) and not self._in_mask(pose):
            self.mask = []  # (if the model's frame was masked: it worked, the model is back on the person)
            self._remember(pose, t)
            return "accept"
        return "recheck"  # someone else, or a fresh detection after a loss (whoever the detector liked best)

    def _in_mask(self, pose: Pose) -> bool:
        """The pose overlaps a box masked out of the model's frame: the model's view of someone else, half
        painted over (the person followed was outside every masked box)."""
        box = pose_box(pose.xy)
        return box is not None and any(overlap(box, m) for m in self.mask)

    def resolve(self, model_pose: Pose, candidates: list[Pose], t: float) -> Pose | None:
        """The followed person among the people found on a rechecked frame (None: not among them).

        Sets `mask` to the others' boxes that do not overlap the person, so the one-person model
        loses them and finds the person on its next frames."""
        self.rechecks += 1
        fresh = self._taking(t)
        pick = self.choose(candidates, t)
        if pick is None:
            self.mask = []
            self.off_person += model_pose.found
            return None
        if model_pose.found and self._same(model_pose, pick):
            pick = model_pose  # the model's own (filtered) landmarks of the same person
            self.mask = []
        else:
            self.off_person += model_pose.found
            others = [c for c in candidates if c is not pick and c.found]
            if model_pose.found and not any(self._same(model_pose, c) for c in others):
                others.append(model_pose)  # the model's view of someone the recheck did not find
            self.mask = self._others(pick, others)
        self._remember(pick, t, fresh and not (self._who is not None and self._same_as_followed(pick, t)))
        self._lost = False
        return pick

    def choose(self, candidates: list[Pose], t: float) -> Pose | None:
        """The followed person among several (the largest when no one is followed; None: only others)."""
        found = [c for c in candidates if c.found]
        if not found:
            return None
        ids = [Identity.of(c.xy) for c in found]
        cost = [None if self._who is None else self._misfit(i, t) for i in ids]
        if self._taking(t) and (self._expired(t) or all(m is None for m in cost)):
            return found[int(np.argmax([i.torso for i in ids]))]  # the nearest / largest person
        fit = [k for k, m in enumerate(cost) if m is not None]
        return found[min(fit, key=lambda k: cost[k])] if fit else None

    def _same_as_followed(self, pose: Pose, t: float) -> bool:
        return not self._expired(t) and self._misfit(Identity.of(pose.xy), t) is not None

    def _same(self, a: Pose, b: Pose) -> bool:
        ia, ib = Identity.of(a.xy), Identity.of(b.xy)
        return float(np.hypot(*(ia.centre - ib.centre))) <= 0.25 * ib.torso and _log_ratio(
            ia.torso, ib.torso
        ) <= math.log(1.15)

    def _others(self, person: Pose, others: list[Pose]) -> list[Box]:
        mine = pose_box(person.xy)
        boxes = []
        for o in others:
            box = pose_box(o.xy)
            if box is None or mine is None or self._same(o, person):
                continue
            box = grow(box, self.config.mask_margin)
            if not overlap(box, mine):
                boxes.append(box)
        return boxes

    def _remember(self, pose: Pose, t: float, fresh: bool = False) -> None:
        new = Identity.of(pose.xy)
        old, w = self._who, self.config.memory
        if old is None or fresh or self._expired(t):
            self._who, self._settled = new, 0
        else:
            legs = (
                new.legs
                if not math.isfinite(old.legs)
                else old.legs
                if not math.isfinite(new.legs)
                else (1 - w) * old.legs + w * new.legs
            )
            self._who = Identity(new.centre, (1 - w) * old.torso + w * new.torso, legs)
        self._settled += 1
        self._seen_t = t


class TrackChooser:
    """`--people N` (N > 1): the model gives everyone it tracks on every frame; keep the one that continues
    the track (the largest at the start or after the person was gone for `reacquire_after_s`), and a gap
    when only others are in view."""

    def __init__(self, max_jump_torsos: float = 1.5, reacquire_after_s: float = 2.0) -> None:
        self.max_jump_torsos, self.reacquire_after_s = max_jump_torsos, reacquire_after_s
        self._track: np.ndarray | None = None
        self._torso: float | None = None
        self._track_t = -math.inf

    def choose(self, candidates: list[Pose], t: float) -> Pose | None:
        found = [c for c in candidates if c.found]
        if not found:
            return None
        ids = [Identity.of(c.xy) for c in found]
        if self._track is None or t - self._track_t > self.reacquire_after_s:
            pick = int(np.argmax([i.torso for i in ids]))
        else:
            dists = [float(np.hypot(*(i.centre - self._track))) for i in ids]
            pick = int(np.argmin(dists))
            if dists[pick] > self.max_jump_torsos * (self._torso or 1.0):
                return None  # only someone else is visible: a gap, not a jump
        self._track, self._track_t, self._torso = ids[pick].centre, t, ids[pick].torso
        return found[pick]
