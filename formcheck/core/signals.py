"""Signals from cleaned tracks: still feet (stance), the heel-height signal, foot and joint angles."""
from __future__ import annotations

import warnings

import numpy as np

from formcheck.core.clean import CleanTracks
from formcheck.core.config import StanceConfig
from formcheck.core.filters import finite_runs, gradient, lowpass_rows, median_of, nanmedian_across, nanmedian_of


def foot_still(tracks: CleanTracks, side: str, cfg: StanceConfig) -> np.ndarray:
    """(T,) True where this foot is not travelling (on the step, not stepping or walking).

    The foot's position is the median of ankle, heel and toe (the toe alone is hidden from
    behind), low-passed at 2 Hz: a step takes half a second or more, a rep's heel motion
    moves this point little.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        foot = nanmedian_across(np.stack([tracks.p(f"{side}_{n}") for n in ("ankle", "heel", "foot_index")]), 0)
    x, y = lowpass_rows(tracks.t, np.ascontiguousarray(foot.T), cfg.speed_lowpass_hz)
    speed = np.hypot(gradient(tracks.t, x), gradient(tracks.t, y)) / tracks.shank_px
    still = speed < cfg.max_foot_speed  # NaN speed (foot unseen) is not still
    still = _fill_short(tracks.t, still, cfg.fill_s, value=False)
    toe = tracks.p(f"{side}_foot_index") / tracks.shank_px  # the ball/toe stays put through a rep
    return _fill_wobbles(tracks.t, still, toe, cfg.min_relocation)


WOBBLE_SAMPLES = 5  # samples either side of a movement whose median positions are compared


def _fill_wobbles(t: np.ndarray, still: np.ndarray, pos: np.ndarray, min_move: float) -> np.ndarray:
    """A movement that leaves the foot where it was (a wobble, a knee dip) does not end the stance: the
    median position of the 5 samples after it is within min_move of the 5 before (NaN-aware, all runs at once)."""
    out = still.copy()
    runs = np.array([(a, b) for a, b in finite_runs(~still) if a > 0 and b < len(still)], dtype=np.intp).reshape(-1, 2)
    if not len(runs):
        return out
    before = _window_nanmedian(pos, runs[:, :1] - WOBBLE_SAMPLES + np.arange(WOBBLE_SAMPLES))
    after = _window_nanmedian(pos, runs[:, 1:] + np.arange(WOBBLE_SAMPLES))
    with np.errstate(invalid="ignore"):
        stayed = np.hypot(*(after - before).T) < min_move  # NaN (a side unseen): moved
    for a, b in runs[stayed].tolist():
        out[a:b] = True
    return out


def _window_nanmedian(pos: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(R, 2) np.nanmedian over axis 0 of pos[idx[r]] for each row of sample indices (those outside pos left out)."""
    vals = pos[np.clip(idx, 0, len(pos) - 1)]
    vals[(idx < 0) | (idx >= len(pos))] = np.nan
    return nanmedian_across(vals, 1)


def _fill_short(t: np.ndarray, mask: np.ndarray, max_s: float, value: bool) -> np.ndarray:
    """Flip runs of `value` shorter than max_s that sit between two runs of the other value."""
    out = mask.copy()
    for a, b in finite_runs(mask == value):
        if a > 0 and b < len(mask) and t[b] - t[a - 1] <= max_s:
            out[a:b] = not value
    return out


def stance_segments(t: np.ndarray, still: np.ndarray, cfg: StanceConfig) -> list[tuple[int, int]]:
    """[start, stop) runs of a still working foot lasting at least min_stance_s."""
    return [(a, b) for a, b in finite_runs(still) if t[b - 1] - t[a] >= cfg.min_stance_s]


def heel_height(tracks: CleanTracks, side: str, start: int, stop: int,
                frontal: np.ndarray | None = None) -> np.ndarray:
    """Heel height over [start, stop) in shank lengths, up positive, zero at the run's median.

    The median of several views of the same rise, each centred on its own median, so one glitching
    landmark cannot fake or hide a rep. From the side: heel above toe, heel, ankle and hip heights.
    From the front or back (`frontal` True for those frames), where MediaPipe's heel and ankle are
    its worst points: the whole body's rise (both hips, both shoulders) and the ankle.
    Each run of one composition is centred on its own, so a camera cut does not make a step.
    """
    sl = slice(start, stop)
    y = lambda name: tracks.p(name)[sl, 1]  # noqa: E731
    sagittal = np.stack([y(f"{side}_foot_index") - y(f"{side}_heel"), -y(f"{side}_heel"), -y(f"{side}_ankle"),
                         -y(f"{side}_hip")], axis=1)
    coronal = np.stack([-y("left_hip"), -y("right_hip"), -y("left_shoulder"), -y("right_shoulder"),
                        -y(f"{side}_ankle")], axis=1)
    front = np.zeros(stop - start, bool) if frontal is None else np.asarray(frontal[sl], bool)
    out = np.full(stop - start, np.nan)
    for a, b in finite_runs(front):
        out[a:b] = _centred_median(coronal[a:b])
    for a, b in finite_runs(~front):
        out[a:b] = _centred_median(sagittal[a:b])
    return out / tracks.shank_px


def _centred_median(comps: np.ndarray) -> np.ndarray:
    if np.all(np.isnan(comps)):
        return np.full(len(comps), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, as they should
        return nanmedian_across(comps - [nanmedian_of(comps[:, k]) for k in range(comps.shape[1])], 1)


def foot_tilt(tracks: CleanTracks, side: str, start: int, stop: int) -> np.ndarray:
    """Heel height above the toe in shank lengths (up positive): only a calf raise changes it."""
    sl = slice(start, stop)
    heel, toe = tracks.p(f"{side}_heel")[sl, 1], tracks.p(f"{side}_foot_index")[sl, 1]
    return (toe - heel) / tracks.shank_px


def foot_angle(tracks: CleanTracks, side: str) -> np.ndarray:
    """Heel-to-toe line against the image horizontal, degrees, positive when the heel is above the toe."""
    def compute() -> np.ndarray:
        heel, toe = tracks.p(f"{side}_heel"), tracks.p(f"{side}_foot_index")
        return np.degrees(np.arctan2(toe[:, 1] - heel[:, 1], np.abs(toe[:, 0] - heel[:, 0])))

    return tracks.cached(("foot_angle", side), compute)


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at b between b->a and b->c, degrees (180 = straight)."""
    u, v = a - b, c - b
    with np.errstate(all="ignore"):
        cos = np.sum(u * v, axis=1) / (np.hypot(*u.T) * np.hypot(*v.T))
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def knee_flexion(tracks: CleanTracks, side: str) -> np.ndarray:
    """Knee bend in degrees (0 = straight leg), as seen in the image."""
    p = lambda n: tracks.p(f"{side}_{n}")  # noqa: E731
    return tracks.cached(("knee_flexion", side), lambda: 180.0 - joint_angle(p("hip"), p("knee"), p("ankle")))


def trunk_lean(tracks: CleanTracks) -> np.ndarray:
    """Hip-mid -> shoulder-mid line against the vertical, degrees (0 = upright; sign: image x)."""
    def compute() -> np.ndarray:
        p = tracks.p
        d = (p("left_shoulder") + p("right_shoulder")) / 2 - (p("left_hip") + p("right_hip")) / 2
        return np.degrees(np.arctan2(d[:, 0], -d[:, 1]))

    return tracks.cached(("trunk_lean",), compute)


def noise_level(x: np.ndarray) -> float:
    """Robust std of frame-to-frame noise (MAD of second differences / sqrt(6))."""
    d2 = np.diff(x[np.isfinite(x)], n=2)
    if d2.size < 5:
        return 0.0
    return float(1.4826 * median_of(np.abs(d2 - median_of(d2))) / np.sqrt(6))
