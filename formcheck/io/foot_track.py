"""A foot track that follows the picture: the heel and the toe of both feet refined from the video itself.

MediaPipe's heel compresses a calf raise (its trace reads 0.56-0.83 of the true motion and creeps
through holds); the shoe's outline and texture move exactly with the foot. For each foot, two parts
are registered in every analyzed frame against a picture of themselves taken when the foot stood
still (the anchor): the rear foot (heel to ball, below the ankle), which carries the heel, and the
toes, which carry the foot_index (the toes stay flat while the rear foot tips up, so one rigid
picture of the whole foot would not fit both). Registration is OpenCV's ECC (enhanced correlation
coefficient, a rigid warp, photometrically invariant) with a mask of the part, started from the
previous frame's warp. Registering to the anchor picture, never frame to frame, means errors do
not accumulate: the track does not drift.

The tracked physical point is the one MediaPipe's heel (toe) marks at the anchor, averaged over the
first half second of a still foot, so amplitudes compare with MediaPipe's. A part is reported
missing (NaN), never guessed, when its registration fails (the correlation drops: occlusion, the
foot leaves the picture) or when it disagrees with MediaPipe by half a foot for a second (it is
following something else); after a short failure the same picture is tried again (and taken back only
where MediaPipe's point has moved the part meanwhile), after a long one the part is anchored anew where
MediaPipe puts it once the foot stands still.

A part's mask is the hull of its points grown by a margin, so it takes in some of the surroundings; where
the foot stands on a step, the step's edge inside it can hold the rigid warp still while the foot rises.
Given a segment_person function (MediaPipe's segmentation of the frame, asked for only when a part is
anchored: each person's mask), the mask keeps the pixels of the person whose foot it is (the mask covering
most of the part) grown by a couple of pixels, the foot's outline included.

Measured in bench/foot_track.py. Pure image code: no model (the people's masks come from the caller), no files.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from formcheck.core.landmarks import INDEX, REFINED_POINTS

SIDES = ("left", "right")
FOOT_TRACK_VERSION = 5  # part of the landmark cache key: bump when the tracker's output changes
_ECC_WITH_MASK = getattr(cv2, "findTransformECCWithMask", None)  # OpenCV >= 4.12: a mask on the template


@dataclass(frozen=True)
class FootTrackConfig:
    """Geometry in foot scales S: max(heel-to-toe, 0.6 x knee-to-ankle) in pixels at the anchor."""

    min_visibility: float = 0.5  # MediaPipe's foot points must be seen this well to anchor on them
    still_s: float = 0.3  # MediaPipe's foot stood still this long before an anchor is taken:
    still_max: float = 0.04  # ... the mean of its first and last thirds less than this apart (x S)
    min_texture: float = 4.0  # mean gradient (grey levels per pixel) a part's picture needs to be registered
    anchor_s: float = 0.5  # MediaPipe's point is averaged over this long after the anchor while the foot is still
    rear_pad: float = 0.2  # the rear foot's mask: the hull of heel, ball and instep, grown by this
    ankle_lift: float = 0.3  # the instep: this far from the heel-to-toe line up to the ankle
    ball: float = 0.7  # the ball of the foot, as a fraction of the heel-to-toe line
    toe_pad: float = 0.1  # the toes' mask: ball to toe, grown by this
    search: float = 0.3  # the search window around the predicted part, x the part's size
    min_cc: float = 0.6  # registration below this correlation is a failure
    max_step: float = 0.5  # a part moving more than this (x S) between frames is a failure
    coast_s: float = 0.5  # failures shorter than this: try the same picture again; longer: anchor anew
    rejoin: float = 0.2  # found again after a failure only this near (x S) where MediaPipe's motion carries it
    carry_s: float = 1.0  # a part lost no longer than this re-anchors on its last point moved as MediaPipe moved
    max_dev: float = 0.5  # disagreeing with MediaPipe by this (x S), median over dev_s, ends the track
    dev_s: float = 1.0
    person_grow: int = 2  # a part's picture keeps the person's pixels (MediaPipe's mask) grown by this many pixels ...
    min_person: float = 0.3  # ... if they fill this share of the part's mask; else (the foot missed) all of it
    max_part_px: int = 192  # a part's picture larger than this (long side, pixels) is registered scaled down to it:
    # the time per frame does not grow with the video's resolution
    iterations: int = 50
    epsilon: float = 1e-4


def foot_scale(heel: np.ndarray, toe: np.ndarray, ankle: np.ndarray, knee: np.ndarray) -> float:
    """Pixels of a foot length: the heel-to-toe distance, or from the shank when the foot is foreshortened."""
    shank = float(np.hypot(*(knee - ankle))) if np.isfinite(knee).all() else 0.0
    return max(float(np.hypot(*(toe - heel))), 0.6 * shank)


def hull(points: list[np.ndarray], pad: float) -> np.ndarray:
    """Convex polygon around the points grown by pad pixels (eight offsets around each point)."""
    ang = np.linspace(0.0, 2.0 * np.pi, 8, endpoint=False)
    ring = np.asarray(points, float)[:, None, :] + pad * np.stack([np.cos(ang), np.sin(ang)], axis=1)[None]
    return cv2.convexHull(ring.reshape(-1, 2).astype(np.float32))[:, 0].astype(float)


def part_polygons(
    heel: np.ndarray, toe: np.ndarray, ankle: np.ndarray, scale: float, cfg: FootTrackConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(rear foot, toes) polygons in pixels: the rear foot stays below the ankle (the shin does not tip up)."""
    along = toe - heel
    unit = along / max(float(np.hypot(*along)), 1e-6)
    foot_line = heel + unit * float(np.dot(ankle - heel, unit))
    instep = foot_line + cfg.ankle_lift * (ankle - foot_line)
    ball = heel + cfg.ball * along
    return hull([heel, ball, instep], cfg.rear_pad * scale), hull([ball, toe], cfg.toe_pad * scale)


def _affine(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _apply(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    return p @ m[:, :2].T + m[:, 2]


def _shift(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])


def _scale(k: float) -> np.ndarray:
    return np.array([[k, 0.0, 0.0], [0.0, k, 0.0]])


def _zoomed(gray: np.ndarray, zoom: float) -> np.ndarray:
    if zoom >= 1.0:
        return gray
    size = (max(1, round(gray.shape[1] * zoom)), max(1, round(gray.shape[0] * zoom)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _gray(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    crop = image[y0:y1, x0:x1]
    return crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)


def picture_box(polygon: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the pixels of the frame a part's picture is taken from (its polygon's box and a margin,
    cut to the frame); empty (x1 <= x0 or y1 <= y0) when MediaPipe puts the part outside the frame."""
    h, w = shape[:2]
    x0, y0 = np.maximum(np.floor(polygon.min(axis=0)).astype(int) - 2, 0)
    x1, y1 = np.minimum(np.ceil(polygon.max(axis=0)).astype(int) + 3, [w, h])
    return int(x0), int(y0), int(x1), int(y1)


def mask_crop(mask: np.ndarray, frame_shape: tuple[int, ...], box: tuple[int, int, int, int]) -> np.ndarray:
    """The pixels of a mask at the frame's size or smaller that lie under box (x0, y0, x1, y1: frame pixels)."""
    sy, sx = mask.shape[0] / frame_shape[0], mask.shape[1] / frame_shape[1]
    r0, c0 = int(box[1] * sy), int(box[0] * sx)
    return mask[r0 : max(int(np.ceil(box[3] * sy)), r0 + 1), c0 : max(int(np.ceil(box[2] * sx)), c0 + 1)]


class Part:
    """One rigid part of a foot: its picture and mask at the anchor, and the warp to the current frame."""

    def __init__(self, image: np.ndarray, polygon: np.ndarray, point: np.ndarray, cfg: FootTrackConfig) -> None:
        x0, y0, x1, y1 = picture_box(polygon, image.shape)
        self.zoom = min(1.0, cfg.max_part_px / max(x1 - x0, y1 - y0, 1))  # template pixels per frame pixel
        self.template = _zoomed(_gray(image, x0, y0, x1, y1), self.zoom).copy()
        self.mask = np.zeros_like(self.template)
        cv2.fillConvexPoly(self.mask, np.round((polygon - (x0, y0)) * self.zoom).astype(np.int32), 255)
        self._box = (x0, y0, x1, y1)
        self.point = (np.asarray(point, float) - (x0, y0)) * self.zoom  # the tracked point, template pixels
        self.warp = _shift(x0, y0) @ _affine(_scale(1.0 / self.zoom))  # template pixels -> frame pixels
        self.cfg = cfg
        self.cc = 1.0
        # fixed for the part's life, so not recomputed every frame: the template's corners and the search margin
        th, tw = self.template.shape
        self._corners = np.array([[0, 0], [tw, 0], [0, th], [tw, th]], float)
        self._margin = cfg.search * max(th, tw) / self.zoom
        self._criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, cfg.iterations, cfg.epsilon)

    @property
    def position(self) -> np.ndarray:
        return _apply(self.warp, self.point[None])[0]

    def register(self, image: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Align the part's picture with this frame, starting from the last warp: (correlation, the new warp),
        None if it cannot be done. The caller decides whether to keep the warp (accept())."""
        th, tw = self.template.shape
        corners = _apply(self.warp, self._corners)
        h, w = image.shape[:2]
        x0, y0 = np.maximum(np.floor(corners.min(axis=0) - self._margin).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(corners.max(axis=0) + self._margin).astype(int), [w, h])
        if (x1 - x0) * self.zoom < tw // 2 or (y1 - y0) * self.zoom < th // 2:
            return None  # the part has left the picture
        search = _zoomed(_gray(image, x0, y0, x1, y1), self.zoom)
        # template pixels -> search pixels: a rigid motion (both are scaled by the same zoom). Written out rather
        # than as a product of shift and scale matrices (the same numbers: those products only add zeros and
        # multiply by ones), as it runs four times a frame.
        start = (self.zoom * (self.warp - [[0.0, 0.0, x0], [0.0, 0.0, y0]])).astype(np.float32)
        try:
            if _ECC_WITH_MASK is not None:  # no input mask: every pixel of the search window may be used
                cc, found = _ECC_WITH_MASK(
                    self.template, search, self.mask, None, start, cv2.MOTION_EUCLIDEAN, self._criteria, 1
                )
            else:  # pragma: no cover - older OpenCV: the part's predicted place masks the search window
                cc, found = self._register_without_template_mask(search, start, self._criteria)
        except cv2.error:
            return None  # ECC did not converge (a flat or vanished picture)
        # search pixels -> frame pixels: undo the zoom, then the window's offset
        warp = found.astype(float) * (1.0 / self.zoom)
        warp[:, 2] += (x0, y0)
        return float(cc), warp

    def accept(self, cc: float, warp: np.ndarray) -> None:
        self.cc, self.warp = cc, warp

    def keep_the_person(self, people: list[np.ndarray], frame_shape: tuple[int, ...]) -> None:
        """Leave the surroundings out of the part's mask: the step's edge or the floor inside it would otherwise hold
        the warp still while the foot moves (a rigid warp cannot follow two motions). `people` are the frame's
        people's masks (0-1) at the frame's size or smaller: the one whose pixels cover most of the part's mask is
        the foot's person (the first, the most prominent, on a tie). The part's mask is kept whole if that person
        fills under min_person of it (the segmentation missed the foot) or leaves its picture flat."""
        cfg = self.cfg
        x0, y0, x1, y1 = self._box
        insides = []  # each person's pixels (>= 0.5) in the part's picture, frame pixels
        for person in people:
            crop = (mask_crop(person, frame_shape, self._box) >= 0.5).astype(np.uint8) * 255
            if crop.size:
                insides.append(cv2.resize(crop, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST))
        if not insides:
            return
        shape = self.mask.shape[::-1]

        def covered(inside: np.ndarray) -> int:
            return np.count_nonzero(cv2.resize(inside, shape, interpolation=cv2.INTER_NEAREST) & self.mask)

        inside = max(insides, key=covered)  # max keeps the first of equal ones
        grown = cv2.dilate(inside, np.ones((3, 3), np.uint8), iterations=cfg.person_grow)
        grown = cv2.resize(grown, shape, interpolation=cv2.INTER_NEAREST)
        whole, self.mask = self.mask, cv2.bitwise_and(self.mask, grown)
        if np.count_nonzero(self.mask) < cfg.min_person * np.count_nonzero(whole) or not self.textured():
            self.mask = whole

    def textured(self) -> bool:
        """Enough contrast inside the mask to register on (a flat board in front of the foot has none)."""
        gx = cv2.Sobel(self.template, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(self.template, cv2.CV_32F, 0, 1, ksize=3)
        inside = self.mask > 0
        return bool(inside.any() and float(np.mean(np.hypot(gx, gy)[inside])) >= self.cfg.min_texture)

    def _register_without_template_mask(
        self, search: np.ndarray, start: np.ndarray, criteria: tuple
    ) -> tuple[float, np.ndarray]:  # pragma: no cover
        h, w = search.shape
        predicted = cv2.warpAffine(self.mask, start, (w, h), flags=cv2.INTER_NEAREST)
        return cv2.findTransformECC(self.template, search, start, cv2.MOTION_EUCLIDEAN, criteria, predicted, 1)


@dataclass
class PointTrack:
    """The state of one tracked point (a heel or a toe)."""

    part: Part | None = None
    scale: float = 0.0
    anchor_t: float = -np.inf
    anchor_sum: np.ndarray = field(default_factory=lambda: np.zeros(2))
    anchor_n: int = 0
    failed_since: float | None = None
    last: np.ndarray | None = None  # last reported position, and MediaPipe's point then (for a carried re-anchor)
    last_mp: np.ndarray | None = None
    last_t: float = -np.inf
    # (t, px from MediaPipe's point) over the last dev_s, oldest first
    deviations: deque[tuple[float, float]] = field(default_factory=deque)

    def carried(self, mp_point: np.ndarray) -> np.ndarray:
        """The last reported point moved as MediaPipe's point has moved since: where the part should be now."""
        return self.last + (mp_point - self.last_mp)


class FootTracker:
    """Refines MediaPipe's heel and toe of both feet frame by frame from the picture (see the module doc).

    update() takes each analyzed frame (BGR or gray, upright) with MediaPipe's landmarks of it and
    returns the refined points in REFINED_POINTS order, (4, 2) pixels, NaN where not tracked.
    """

    def __init__(
        self,
        config: FootTrackConfig | None = None,
        segment_person: Callable[[np.ndarray], list[np.ndarray]] | None = None,
    ) -> None:
        self.cfg = config or FootTrackConfig()
        self._segment_person = segment_person
        self._frame_masks: list[np.ndarray] | None = None  # this frame's people's masks, once asked for
        self._tracks = {name: PointTrack() for name in REFINED_POINTS}
        self._recent: dict[str, list[tuple[float, np.ndarray]]] = {side: [] for side in SIDES}
        self._foot_index = {  # (heel, toe, ankle, knee) in MediaPipe's landmarks, per side
            side: np.array([INDEX[f"{side}_{p}"] for p in ("heel", "foot_index", "ankle", "knee")]) for side in SIDES
        }

    def update(self, image: np.ndarray, t: float, xy: np.ndarray, vis: np.ndarray) -> np.ndarray:
        out = np.full((len(REFINED_POINTS), 2), np.nan)
        try:
            for side in SIDES:
                foot = self._foot(side, xy, vis)
                still = self._still(side, t, foot)
                for part_index, name in enumerate((f"{side}_heel", f"{side}_foot_index")):
                    mp_point = None if foot is None else foot[part_index]
                    out[REFINED_POINTS.index(name)] = self._step(
                        self._tracks[name], part_index, image, t, foot, mp_point, still
                    )
        finally:
            self._frame_masks = None  # asked for again on another frame (never kept with an old one)
        return np.round(out, 3)  # as the landmarks: 0.001 px

    # ------------------------------------------------------------------ MediaPipe's foot
    def _foot(self, side: str, xy: np.ndarray, vis: np.ndarray) -> np.ndarray | None:
        """(heel, toe, ankle, knee) of one side when MediaPipe sees the foot well, else None."""
        idx = self._foot_index[side]
        pts = xy[idx]
        seen = vis[idx[:3]] >= self.cfg.min_visibility  # a NaN visibility (no pose) compares False: not seen
        return pts if seen.all() and np.isfinite(pts[:3]).all() else None

    def _still(self, side: str, t: float, foot: np.ndarray | None) -> bool:
        """MediaPipe's foot has been seen and has not moved for still_s (jitter averaged out: the mean of the
        window's first third against its last third)."""
        recent = self._recent[side]
        if foot is None:
            recent.clear()
            return False
        recent.append((t, foot))
        while recent and recent[0][0] < t - self.cfg.still_s:
            recent.pop(0)
        if len(recent) < 3 or t - recent[0][0] < 0.8 * self.cfg.still_s:
            return False
        pts = np.stack([f[:3] for _, f in recent])
        third = max(1, len(pts) // 3)
        moved = np.hypot(*(pts[-third:].mean(axis=0) - pts[:third].mean(axis=0)).T).max()
        return bool(moved < self.cfg.still_max * foot_scale(*foot))

    # ------------------------------------------------------------------ one point
    def _step(
        self,
        tr: PointTrack,
        part_index: int,
        image: np.ndarray,
        t: float,
        foot: np.ndarray | None,
        mp_point: np.ndarray | None,
        still: bool,
    ) -> np.ndarray:
        nan = np.full(2, np.nan)
        if tr.part is None:
            if foot is None or not still or not self._anchor(tr, part_index, image, t, foot):
                return nan
            return self._report(tr, t, mp_point)
        if not self._registered(tr, image, mp_point):
            tr.failed_since = t if tr.failed_since is None else tr.failed_since
            if t - tr.failed_since > self.cfg.coast_s:
                tr.part = None  # lost: anchored anew once MediaPipe's foot stands still
            return nan
        tr.failed_since = None
        if foot is not None and still and t - tr.anchor_t < self.cfg.anchor_s and tr.anchor_n:
            self._average_anchor(tr, mp_point)
        if mp_point is not None and self._disagrees(tr, t, mp_point):
            tr.part, tr.last = None, None  # following something else: never carried over
            return nan
        return self._report(tr, t, mp_point)

    def _registered(self, tr: PointTrack, image: np.ndarray, mp_point: np.ndarray | None) -> bool:
        """Register the part; keep the new warp only if it fits well and does not jump, and after a failure only
        where MediaPipe's point has moved the part meanwhile: after a cut or an occlusion the part's picture can fit
        something else nearby (on a real clip with a cut, the shin 0.4 foot scales above the heel)."""
        found = tr.part.register(image)
        if found is None or found[0] < self.cfg.min_cc:
            return False
        new = _apply(found[1], tr.part.point[None])[0]
        if np.hypot(*(new - tr.part.position)) > self.cfg.max_step * tr.scale:
            return False
        if tr.failed_since is not None and tr.last is not None:
            if mp_point is None:
                return False  # nothing to check a found-again part against: keep coasting
            if np.hypot(*(new - tr.carried(mp_point))) > self.cfg.rejoin * tr.scale:
                return False
        tr.part.accept(*found)
        return True

    def _anchor(self, tr: PointTrack, part_index: int, image: np.ndarray, t: float, foot: np.ndarray) -> bool:
        """Start a track on the picture of the part where MediaPipe puts it; False if that picture is flat or
        outside the frame."""
        heel, toe, ankle, knee = foot
        scale = foot_scale(heel, toe, ankle, knee)
        carried = tr.last is not None and t - tr.last_t <= self.cfg.carry_s
        point = foot[part_index]
        if carried:  # a short loss: the same physical point, moved as MediaPipe's point moved meanwhile
            point = tr.carried(point)
            heel, toe = (point, toe) if part_index == 0 else (heel, point)
        polygon = part_polygons(heel, toe, ankle, scale, self.cfg)[part_index]
        x0, y0, x1, y1 = picture_box(polygon, image.shape)
        if x1 <= x0 or y1 <= y0:
            return False  # MediaPipe puts the foot outside the frame (its landmarks can lie past the edges)
        part = Part(image, polygon, point, self.cfg)
        if not part.textured():
            return False  # (checked first: the person's mask is asked for only where a part will be anchored)
        part.keep_the_person(self._people(image), image.shape)
        tr.part, tr.scale, tr.anchor_t, tr.failed_since, tr.deviations = part, scale, t, None, deque()
        tr.anchor_sum, tr.anchor_n = (np.zeros(2), 0) if carried else (part.point.copy(), 1)
        return True

    def _people(self, image: np.ndarray) -> list[np.ndarray]:
        """The people's masks (0-1) in this frame, asked for at most once a frame and only when a part is anchored:
        a few times a set, so its cost (a run of the pose model) hardly counts."""
        if self._segment_person is None:
            return []
        if self._frame_masks is None:
            self._frame_masks = list(self._segment_person(image))
        return self._frame_masks

    def _average_anchor(self, tr: PointTrack, mp_point: np.ndarray) -> None:
        """While the foot still stands, MediaPipe's point (in the part's own pixels) is averaged: its jitter
        at the one anchor frame would otherwise offset the whole track."""
        local = _apply(np.linalg.inv(_affine(tr.part.warp))[:2], mp_point[None])[0]
        tr.anchor_sum = tr.anchor_sum + local
        tr.anchor_n += 1
        tr.part.point = tr.anchor_sum / tr.anchor_n

    def _disagrees(self, tr: PointTrack, t: float, mp_point: np.ndarray) -> bool:
        tr.deviations.append((t, float(np.hypot(*(tr.part.position - mp_point)))))
        while tr.deviations and tr.deviations[0][0] <= t - self.cfg.dev_s:  # times only grow: old ones first
            tr.deviations.popleft()
        # statistics.median: the same number as np.median, about ten times faster on a list this short
        return len(tr.deviations) >= 3 and statistics.median(d for _, d in tr.deviations) > self.cfg.max_dev * tr.scale

    def _report(self, tr: PointTrack, t: float, mp_point: np.ndarray | None) -> np.ndarray:
        pos = tr.part.position
        if mp_point is not None:
            tr.last, tr.last_mp, tr.last_t = pos.copy(), np.asarray(mp_point, float).copy(), t
        return pos
