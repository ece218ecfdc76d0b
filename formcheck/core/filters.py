"""Signal cleaning on possibly uneven timestamps: gaps, outliers, zero-phase and causal low-pass."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from formcheck.errors import InputError


def finite_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where mask is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def interpolate_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Fill NaN runs no longer than max_gap_s (in time) linearly; longer gaps stay NaN.

    x may be (T,) or (T, K); each column is filled on its own.
    """
    if x.ndim > 1:
        return np.stack([interpolate_gaps(t, x[:, k], max_gap_s) for k in range(x.shape[1])], axis=1)
    out = x.astype(float).copy()
    good = np.isfinite(out)
    if good.sum() < 2:
        return out
    for start, stop in finite_runs(~good):
        if start == 0 or stop == len(out):
            continue  # no value on one side: leave the edge alone
        if t[stop] - t[start - 1] <= max_gap_s:
            out[start:stop] = np.interp(t[start:stop], [t[start - 1], t[stop]], [out[start - 1], out[stop]])
    return out


def reject_outliers(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """NaN out samples further than max_dev from the running median over window_s (spikes, glitches)."""
    out = x.astype(float).copy()
    good = np.flatnonzero(np.isfinite(out))
    if good.size < 5:
        return out
    med = running_median(t[good], out[good], window_s)
    bad = np.abs(out[good] - med) > max_dev
    out[good[bad]] = np.nan
    return out


MAX_GRID_GROWTH = 4  # a uniform resampling grid may hold at most this many times the samples (+ 64)


def grid_pieces(t: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) pieces of t, split at its largest time gaps until each piece's uniform grid (at its median
    step) stays small: a jump of hours in a clip sampled every millisecond must not become a billion-point grid.
    Ordinary clips (VFR jitter, a dropped second) stay one piece."""
    pending, out = [(0, len(t))], []
    while pending:
        a, b = pending.pop()
        steps = np.diff(t[a:b])
        if b - a < 3 or (t[b - 1] - t[a]) / float(np.median(steps)) + 1 <= MAX_GRID_GROWTH * (b - a) + 64:
            out.append((a, b))
            continue
        k = a + 1 + int(np.argmax(steps))
        pending += [(a, k), (k, b)]
    return sorted(out)


def running_median(t: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    """Centred running median over a time window (uneven t allowed)."""
    pieces = grid_pieces(t)
    if len(pieces) > 1:
        return np.concatenate([running_median(t[a:b], x[a:b], window_s) for a, b in pieces])
    n = len(x)
    if n < 3:
        return x.astype(float).copy()
    steps = np.diff(t)
    dt = float(np.median(steps))
    size = max(1, min(int(round(window_s / dt)), 2 * n + 1) | 1)  # a window beyond the series adds nothing
    if np.allclose(steps, dt, rtol=0.1):  # (nearly) even steps: filter in place
        return median_filter(x.astype(float), size=size, mode="nearest")
    grid = t[0] + dt * np.arange(int(round((t[-1] - t[0]) / dt)) + 1)  # uneven: via a uniform grid
    return np.interp(t, grid, median_filter(np.interp(grid, t, x), size=size, mode="nearest"))


def lowpass(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass with the cut-off in Hz, on each finite run.

    Uneven timestamps are resampled to a uniform grid at the median step,
    filtered, and read back at the original times, so the filter behaves the
    same at 25, 30 or 60 fps and on variable-frame-rate clips.
    """
    if cutoff_hz <= 0:
        raise InputError("the low-pass cut-off must be a positive number of Hz")
    out = np.full(len(x), np.nan)
    for start, stop in finite_runs(np.isfinite(x)):
        for a, b in grid_pieces(t[start:stop]):
            out[start + a:start + b] = _lowpass_run(t[start + a:start + b], x[start + a:start + b], cutoff_hz, order)
    return out


def _lowpass_run(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int) -> np.ndarray:
    n = len(x)
    if n < 4:
        return x.astype(float)
    dt = float(np.median(np.diff(t)))
    fs = 1.0 / dt
    wn = cutoff_hz / (fs / 2)
    if wn >= 0.99:
        return x.astype(float)  # the cut-off is above what this frame rate can carry
    grid_n = int(round((t[-1] - t[0]) / dt)) + 1
    uniform = abs(grid_n - n) == 0 and np.allclose(np.diff(t), dt, rtol=0.05, atol=1e-4)
    grid = t if uniform else t[0] + dt * np.arange(grid_n)
    y = x if uniform else np.interp(grid, t, x)
    sos = butter(order, wn, output="sos")
    padlen = min(3 * (2 * len(sos) + 1), len(y) - 1)
    smooth = sosfiltfilt(sos, y, padlen=padlen)
    return smooth if uniform else np.interp(t, grid, smooth)


def gradient(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """dx/dt on uneven timestamps; NaN where x is NaN."""
    out = np.full(len(x), np.nan)
    for start, stop in finite_runs(np.isfinite(x)):
        if stop - start >= 2:
            out[start:stop] = np.gradient(x[start:stop], t[start:stop])
    return out


@dataclass(frozen=True)
class OneEuroConfig:
    min_cutoff_hz: float = 1.5
    beta: float = 0.5
    d_cutoff_hz: float = 1.0


class OneEuroFilter:
    """Causal adaptive low-pass for live drawing (Casiez et al. 2012); NaN resets it."""

    def __init__(self, config: OneEuroConfig | None = None) -> None:
        self.config = config or OneEuroConfig()
        self._t: float | None = None
        self._x: float | np.ndarray | None = None
        self._dx: float | np.ndarray = 0.0

    @staticmethod
    def _alpha(dt: float, cutoff: float | np.ndarray) -> float | np.ndarray:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: float | np.ndarray) -> float | np.ndarray:
        x = np.asarray(x, dtype=float)
        if self._x is None or self._t is None or not np.all(np.isfinite(x)) or t <= self._t:
            self._t, self._x, self._dx = t, (x if np.all(np.isfinite(x)) else None), np.zeros_like(x)
            return x
        cfg, dt = self.config, t - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(dt, cfg.d_cutoff_hz)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = cfg.min_cutoff_hz + cfg.beta * np.abs(self._dx)
        a = self._alpha(dt, cutoff)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x
