"""Filters for landmark tracks on possibly uneven timestamps: gaps, running median, zero-phase low-pass.

Each works column by column on x of shape (T,) or (T, K), over each column's own finite samples,
with the cut-offs and windows in seconds, so a filter behaves the same at 25, 30, 60 or 240 fps and on
variable-frame-rate clips (uneven steps are resampled to a uniform grid at the median step).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from formcheck.errors import InputError

MAX_GRID_GROWTH = 4  # a uniform resampling grid may hold at most this many times the samples (+ 64)


def finite_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where mask is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def value_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) runs of equal values of a boolean array, in order, covering it."""
    edges = np.flatnonzero(np.diff(np.asarray(mask, bool).astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), len(mask)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def nanmedian(x: np.ndarray, axis: int | None = None) -> float | np.ndarray:
    """np.nanmedian without the warning for an all-NaN input (which gives NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanmedian(np.asarray(x, dtype=float), axis=axis)
    return float(out) if axis is None else out


def columns(x: np.ndarray) -> np.ndarray:
    """x (T,) or (T, K) as a float (T, K) copy, so every filter can work column by column."""
    x = np.array(x, dtype=float)
    return x[:, None] if x.ndim == 1 else x


def interpolate_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Fill NaN runs between two seen samples no further apart than max_gap_s (linearly); others stay NaN."""
    out = columns(x)
    for col in out.T:
        seen = np.flatnonzero(np.isfinite(col))
        for a, b in zip(seen[:-1], seen[1:]):
            if b > a + 1 and t[b] - t[a] <= max_gap_s:
                col[a + 1 : b] = np.interp(t[a + 1 : b], t[[a, b]], col[[a, b]])
    return out.reshape(np.shape(x))


def grid_pieces(t: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) pieces of t, split at its largest time gaps until each piece's uniform grid (at its median
    step) stays small: a jump of hours in a clip sampled every millisecond must not become a billion-point grid.
    Ordinary clips (VFR jitter, a dropped second) stay one piece."""
    pending, out = [(0, len(t))], []
    while pending:
        a, b = pending.pop()
        steps = np.diff(t[a:b])
        if b - a < 3 or (t[b - 1] - t[a]) / np.median(steps) + 1 <= MAX_GRID_GROWTH * (b - a) + 64:
            out.append((a, b))
            continue
        k = a + 1 + int(np.argmax(steps))
        pending += [(a, k), (k, b)]
    return sorted(out)


def uniform_grid(t: np.ndarray) -> np.ndarray | None:
    """The uniform grid at t's median step from t[0] to t[-1], or None when t is (nearly) uniform already."""
    steps = np.diff(t)
    dt = np.median(steps)
    if np.allclose(steps, dt, rtol=0.1):
        return None
    return t[0] + dt * np.arange(int(round((t[-1] - t[0]) / dt)) + 1)


def interp_columns(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp(x, xp, fp[:, k]) for every column k of fp (T, K)."""
    return np.stack([np.interp(x, xp, col) for col in fp.T], axis=1)


def running_median(t: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    """Centred running median over a time window (uneven t via a uniform grid); x (T,) or (T, K) column-wise.
    x must be finite: scipy's median_filter has no NaN handling and pulls the values beside a gap (callers pass
    each finite run on its own, as signal/filters.finite_runs gives them)."""
    cols = columns(x)
    out = np.concatenate([_running_median_piece(t[a:b], cols[a:b], window_s) for a, b in grid_pieces(t)])
    return out.reshape(np.shape(x))


def _running_median_piece(t: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    n = len(x)
    if n < 3:
        return x
    dt = np.median(np.diff(t))
    size = max(1, min(int(round(window_s / dt)), 2 * n + 1) | 1)  # odd; a window beyond the series adds nothing
    grid = uniform_grid(t)
    if grid is None:
        return np.stack([median_filter(col, size=size, mode="nearest") for col in x.T], axis=1)
    on_grid = interp_columns(grid, t, x)
    filtered = np.stack([median_filter(col, size=size, mode="nearest") for col in on_grid.T], axis=1)
    return interp_columns(t, grid, filtered)


WINDOW_EPS_S = 1e-9  # times this close to a window's edge are inside it (0.2 s is 6 frames at 30 fps, give or take)
WINDOW_ROWS = 4096  # window_median works on this many samples at a time (its matrix is rows x the widest window)


def window_median(t: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    """(T,) the median of x (T,) over a window_s span around each sample, NaN-aware: centred, but pushed inward at
    the series' ends so it always spans window_s (or the whole series). At the newest sample it is the median of
    the last window_s, which a reader of the past alone finds too. NaN where the window holds no finite sample.
    t: strictly increasing seconds."""
    t, x = np.asarray(t, dtype=float), np.asarray(x, dtype=float)
    out = np.full(len(t), np.nan)
    if not len(t):
        return out
    start = np.maximum(np.minimum(t - window_s / 2, t[-1] - window_s), t[0])
    lo = np.searchsorted(t, start - WINDOW_EPS_S)
    hi = np.searchsorted(t, start + window_s + WINDOW_EPS_S, side="right")
    for r in range(0, len(t), WINDOW_ROWS):
        rows = slice(r, r + WINDOW_ROWS)
        width = int((hi[rows] - lo[rows]).max())
        idx = lo[rows, None] + np.arange(width)[None, :]
        inside = idx < hi[rows, None]
        out[rows] = nanmedian(np.where(inside, x[np.minimum(idx, len(x) - 1)], np.nan), axis=1)
    return out


def lowpass(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass (scipy's sosfiltfilt) with the cut-off in Hz, on each finite run of
    each column; NaN stays NaN. Uneven timestamps are filtered on a uniform grid and read back."""
    if not cutoff_hz > 0:
        raise InputError("the low-pass cut-off must be a positive number of Hz")
    cols = columns(x)
    out = np.full(cols.shape, np.nan)
    for k, col in enumerate(cols.T):
        for start, stop in finite_runs(np.isfinite(col)):
            for a, b in grid_pieces(t[start:stop]):  # huge time jumps split the run (no giant grid)
                sl = slice(start + a, start + b)
                out[sl, k] = _lowpass_run(t[sl], col[sl], cutoff_hz, order)
    return out.reshape(np.shape(x))


def _lowpass_run(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int) -> np.ndarray:
    """One finite run of one column."""
    n = len(x)
    if n < 4:
        return x
    steps = np.diff(t)
    dt = np.median(steps)
    wn = cutoff_hz / ((1.0 / dt) / 2)
    if wn >= 0.99:
        return x  # the cut-off is above what this frame rate can carry
    sos = butter(order, wn, output="sos")
    grid_n = int(round((t[-1] - t[0]) / dt)) + 1
    if grid_n == n and np.allclose(steps, dt, rtol=0.05, atol=1e-4):
        return sosfiltfilt(sos, x, padlen=min(3 * (2 * len(sos) + 1), n - 1))
    grid = t[0] + dt * np.arange(grid_n)
    filtered = sosfiltfilt(sos, np.interp(grid, t, x), padlen=min(3 * (2 * len(sos) + 1), grid_n - 1))
    return np.interp(t, grid, filtered)


def gradient(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dt on uneven timestamps, on each finite run; NaN where x is NaN."""
    out = np.full(len(x), np.nan)
    for start, stop in finite_runs(np.isfinite(x)):
        if stop - start >= 2:
            out[start:stop] = np.gradient(x[start:stop], t[start:stop])
    return out


def time_window(t: np.ndarray, a: float, b: float) -> slice:
    """The samples with a - 1e-9 <= t <= b + 1e-9 (t increasing)."""
    return slice(int(t.searchsorted(a - 1e-9, "left")), int(t.searchsorted(b + 1e-9, "right")))


def noise_level(x: np.ndarray) -> float:
    """Robust std of frame-to-frame noise (MAD of second differences / sqrt(6))."""
    d2 = np.diff(x[np.isfinite(x)], n=2)
    if d2.size < 5:
        return 0.0
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / np.sqrt(6))
