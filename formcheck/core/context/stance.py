"""When the working foot stands still on the step (a stance): only then can it hold a set of reps."""

from __future__ import annotations

import numpy as np

from formcheck.core.config import StanceConfig
from formcheck.core.landmarks import FOOT_IDX
from formcheck.core.signal.clean import CleanTracks
from formcheck.core.signal.filters import finite_runs, gradient, lowpass, nanmedian

WOBBLE_SAMPLES = 5  # samples either side of a movement whose median positions are compared


def foot_point(xy: np.ndarray, side: str) -> np.ndarray:
    """(..., 2) the foot's position: the median of ankle, heel and toe (the toe alone is hidden from behind)."""
    return nanmedian(xy[..., FOOT_IDX[side], :], axis=-2)


def foot_still(tracks: CleanTracks, side: str, cfg: StanceConfig) -> np.ndarray:
    """(T,) True where this foot is not travelling (on the step, not stepping or walking).

    The foot's position, low-passed at 2 Hz, moves slower than max_foot_speed: a step takes half a second or
    more, a rep's heel motion moves this point little. Moments of movement shorter than fill_s, or that leave
    the ball of the foot where it was (a wobble, a knee dip), do not end a stance."""
    foot = lowpass(tracks.t, foot_point(tracks.smooth, side), cfg.speed_lowpass_hz)
    speed = np.hypot(gradient(tracks.t, foot[:, 0]), gradient(tracks.t, foot[:, 1])) / tracks.shank_px
    still = speed < cfg.max_foot_speed  # NaN speed (foot unseen) is not still
    still = fill_short(tracks.t, still, cfg.fill_s, value=False)
    toe = tracks.p(f"{side}_foot_index") / tracks.shank_px  # the ball/toe stays put through a rep
    return fill_wobbles(still, toe, cfg.min_relocation)


def fill_wobbles(still: np.ndarray, pos: np.ndarray, min_move: float) -> np.ndarray:
    """A movement that leaves the foot where it was does not end the stance: the median position of the 5 samples
    after it is within min_move of the 5 before (NaN-aware; a side unseen counts as moved)."""
    out = still.copy()
    n = len(still)
    for a, b in finite_runs(~still):
        if a == 0 or b == n:
            continue
        before = nanmedian(pos[max(0, a - WOBBLE_SAMPLES) : a], axis=0)
        after = nanmedian(pos[b : b + WOBBLE_SAMPLES], axis=0)
        if np.hypot(*(after - before)) < min_move:
            out[a:b] = True
    return out


def fill_short(t: np.ndarray, mask: np.ndarray, max_s: float, value: bool) -> np.ndarray:
    """Flip runs of `value` shorter than max_s that sit between two runs of the other value."""
    out = mask.copy()
    for a, b in finite_runs(mask == value):
        if a > 0 and b < len(mask) and t[b] - t[a - 1] <= max_s:
            out[a:b] = not value
    return out


def stance_segments(t: np.ndarray, still: np.ndarray, min_stance_s: float) -> list[tuple[int, int]]:
    """[start, stop) runs of a still working foot lasting at least min_stance_s."""
    return [(a, b) for a, b in finite_runs(still) if t[b - 1] - t[a] >= min_stance_s]
