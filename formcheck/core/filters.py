"""Signal cleaning on possibly uneven timestamps: gaps, outliers, zero-phase and causal low-pass."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfilt, sosfilt_zi

from formcheck.core.parallel import PARALLEL_VALUES, beside
from formcheck.errors import InputError


def finite_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges where mask is True."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def mask_groups(x: np.ndarray) -> list[tuple[np.ndarray, list[int]]]:
    """Columns of a (T, K) array grouped by their pattern of finite values: [(finite mask, columns)].

    Columns that share a pattern (x and y of a landmark, landmarks seen in the same frames) are
    filtered together: every filter here works column by column, so batching changes no value.
    """
    finite = np.isfinite(x)
    groups: dict[bytes, list[int]] = {}
    for k in range(x.shape[1]):
        groups.setdefault(finite[:, k].tobytes(), []).append(k)
    return [(finite[:, cols[0]], cols) for cols in groups.values()]


def interp_columns(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp(x, xp, fp[:, k]) for every column k of fp (fp may be 1-D)."""
    if fp.ndim == 1:
        return np.interp(x, xp, fp)
    rows = np.ascontiguousarray(fp.T)  # one contiguous row per column: np.interp copies strided input
    return np.stack([np.interp(x, xp, row) for row in rows], axis=1)


def interpolate_gaps(t: np.ndarray, x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Fill NaN runs no longer than max_gap_s (in time) linearly; longer gaps stay NaN.

    x may be (T,) or (T, K); each column is filled on its own.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return interpolate_gap_rows(t, x[None, :], max_gap_s)[0]
    return np.ascontiguousarray(interpolate_gap_rows(t, np.ascontiguousarray(x.T), max_gap_s).T)


def interpolate_gap_rows(t: np.ndarray, rows: np.ndarray, max_gap_s: float) -> np.ndarray:
    """interpolate_gaps for tracks stored as rows (K, T): a filled copy."""
    out = np.array(rows, dtype=float)
    for mask, ks in mask_groups(out.T):
        _fill_gaps(t, out, mask, ks, max_gap_s)
    return out


def _fill_gaps(t: np.ndarray, out: np.ndarray, good: np.ndarray, ks: list[int], max_gap_s: float) -> None:
    """Fill the short inner gaps of rows `ks` (which share the finite pattern `good`) in place.

    Every gap sample at once, with np.interp's arithmetic for a point strictly inside [t0, t1]:
    (y1 - y0) / (t1 - t0) * (t - t0) + y0.
    """
    seen = np.flatnonzero(good)
    cols = np.flatnonzero(~good)
    k = np.searchsorted(seen, cols)  # the first good sample after each unseen one
    inner = (k > 0) & (k < seen.size)
    cols, k = cols[inner], k[inner]
    b, a = seen[k - 1], seen[k]
    short = t[a] - t[b] <= max_gap_s
    cols, b, a = cols[short], b[short], a[short]
    if cols.size == 0:
        return
    y0, y1 = out[np.ix_(ks, b)], out[np.ix_(ks, a)]
    slope = (y1 - y0) / (t[a] - t[b])
    out[np.ix_(ks, cols)] = slope * (t[cols] - t[b]) + y0


def reject_outliers(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """NaN out samples further than max_dev from the running median over window_s (spikes, glitches).

    x may be (T,) or (T, K); each column on its own (over its own finite samples). See core/outliers.py.
    """
    from formcheck.core.outliers import reject_outliers as reject  # it builds on this module

    return reject(t, x, window_s, max_dev)


MAX_GRID_GROWTH = 4  # a uniform resampling grid may hold at most this many times the samples (+ 64)


def grid_pieces(t: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) pieces of t, split at its largest time gaps until each piece's uniform grid (at its median
    step) stays small: a jump of hours in a clip sampled every millisecond must not become a billion-point grid.
    Ordinary clips (VFR jitter, a dropped second) stay one piece."""
    pending, out = [(0, len(t))], []
    while pending:
        a, b = pending.pop()
        steps = np.diff(t[a:b])
        if b - a < 3 or (t[b - 1] - t[a]) / median_of(steps) + 1 <= MAX_GRID_GROWTH * (b - a) + 64:
            out.append((a, b))
            continue
        k = a + 1 + int(np.argmax(steps))
        pending += [(a, k), (k, b)]
    return sorted(out)


def running_median(t: np.ndarray, x: np.ndarray, window_s: float) -> np.ndarray:
    """Centred running median over a time window (uneven t allowed); x (T,) or (T, K) column-wise."""
    pieces = grid_pieces(t)
    if len(pieces) > 1:
        return np.concatenate([running_median(t[a:b], x[a:b], window_s) for a, b in pieces])
    n = len(x)
    if n < 3:
        return x.astype(float).copy()
    steps = np.diff(t)
    dt = median_of(steps)
    size = max(1, min(int(round(window_s / dt)), 2 * n + 1) | 1)  # a window beyond the series adds nothing
    if np.allclose(steps, dt, rtol=0.1):  # (nearly) even steps: filter in place
        return _median_columns(x.astype(float), size)
    grid = t[0] + dt * np.arange(int(round((t[-1] - t[0]) / dt)) + 1)  # uneven: via a uniform grid
    return interp_columns(t, grid, _median_columns(interp_columns(grid, t, x), size))


def _median_columns(x: np.ndarray, size: int) -> np.ndarray:
    if size == 5 and np.isfinite(x).all():
        return _median5(x)
    if x.ndim == 1:
        return median_filter(x, size=size, mode="nearest")
    # one column at a time: scipy's 1-D running median is several times faster than its 2-D filter
    rows = np.ascontiguousarray(x.T)
    return np.stack([median_filter(row, size=size, mode="nearest") for row in rows], axis=1)


def _median5(x: np.ndarray) -> np.ndarray:
    """Running median of 5 (edges repeated, as median_filter's mode="nearest"), all columns at once.

    A min/max network: the median of a..e is the median of e and the middle two of a..d.
    Every output is one of the inputs, so it equals median_filter's exactly (finite x only).
    """
    n = len(x)
    pad = np.concatenate([x[:1], x[:1], x, x[-1:], x[-1:]])
    a, b, c, d, e = (pad[k:k + n] for k in range(5))
    lo = np.maximum(np.minimum(a, b), np.minimum(c, d))
    hi = np.minimum(np.maximum(a, b), np.maximum(c, d))
    return np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), e))


def lowpass(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass with the cut-off in Hz, on each finite run.

    Uneven timestamps are resampled to a uniform grid at the median step,
    filtered, and read back at the original times, so the filter behaves the
    same at 25, 30 or 60 fps and on variable-frame-rate clips. x may be (T,) or (T, K).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return lowpass_rows(t, x[None, :], cutoff_hz, order)[0]
    return np.ascontiguousarray(lowpass_rows(t, np.ascontiguousarray(x.T), cutoff_hz, order).T)


def lowpass_rows(t: np.ndarray, rows: np.ndarray, cutoff_hz: float, order: int = 2) -> np.ndarray:
    """lowpass for signals stored as rows (K, T): each row on its own.

    Many long rows are split in two halves filtered at once, one in a helper thread: np.interp and
    scipy's filter loop release the GIL, and each row is filtered on its own, so the values are the same."""
    if cutoff_hz <= 0:
        raise InputError("the low-pass cut-off must be a positive number of Hz")
    if len(rows) >= 4 and rows.size >= PARALLEL_VALUES:
        half = len(rows) // 2
        first = beside(_lowpass_rows, t, rows[:half], cutoff_hz, order)
        rest = _lowpass_rows(t, rows[half:], cutoff_hz, order)
        return np.concatenate([first.result(), rest])
    return _lowpass_rows(t, rows, cutoff_hz, order)


def _lowpass_rows(t: np.ndarray, rows: np.ndarray, cutoff_hz: float, order: int) -> np.ndarray:
    out = np.full(rows.shape, np.nan)
    for mask, ks in mask_groups(rows.T):
        every = len(ks) == len(rows)  # then the rows are slices, not copies
        for start, stop in finite_runs(mask):
            for a, b in grid_pieces(t[start:stop]):  # huge time jumps split the run (no giant grid)
                sl = slice(start + a, start + b)
                if every:
                    _lowpass_run(t[sl], rows[:, sl], cutoff_hz, order, out[:, sl])
                else:
                    part = np.empty((len(ks), b - a))
                    _lowpass_run(t[sl], rows[ks, sl], cutoff_hz, order, part)
                    out[ks, sl] = part
    return out


@functools.lru_cache(maxsize=256)
def _butter(order: int, wn: float) -> tuple[np.ndarray, np.ndarray]:
    """(sos, its step-response initial state shaped (sections, 1, 2)); shared between calls: never modified."""
    sos = butter(order, wn, output="sos")
    return sos, sosfilt_zi(sos)[:, None, :]


def filtfilt_rows(filt: tuple[np.ndarray, np.ndarray], x: np.ndarray, padlen: int) -> np.ndarray:
    """scipy.signal.sosfiltfilt(sos, x, padlen=padlen) along the rows of x (K, n), the same values, with the
    initial state computed once per filter (scipy solves for it on every call: half the time on short rows).
    Odd extension by padlen (1 <= padlen < n) at both ends, forward and backward passes from the step response."""
    sos, zi = filt
    ext = np.concatenate([2 * x[:, :1] - x[:, padlen:0:-1], x, 2 * x[:, -1:] - x[:, -2:-(padlen + 2):-1]], axis=1)
    y, _ = sosfilt(sos, ext, zi=zi * ext[None, :, :1])
    y, _ = sosfilt(sos, y[:, ::-1], zi=zi * y[None, :, -1:])
    return y[:, ::-1][:, padlen:-padlen]


def _lowpass_run(t: np.ndarray, x: np.ndarray, cutoff_hz: float, order: int, out: np.ndarray) -> None:
    """One finite run; x (K, n), each row filtered on its own, into out (K, n)."""
    n = x.shape[1]
    if n < 4:
        out[:] = x
        return
    dt = median_of(np.diff(t))
    fs = 1.0 / dt
    wn = cutoff_hz / (fs / 2)
    if wn >= 0.99:
        out[:] = x  # the cut-off is above what this frame rate can carry
        return
    grid_n = int(round((t[-1] - t[0]) / dt)) + 1
    uniform = abs(grid_n - n) == 0 and np.allclose(np.diff(t), dt, rtol=0.05, atol=1e-4)
    filt = _butter(order, wn)
    padlen = min(3 * (2 * len(filt[0]) + 1), (n if uniform else grid_n) - 1)  # sosfiltfilt's default, at most n - 1
    if uniform:
        out[:] = filtfilt_rows(filt, x, padlen)
        return
    grid = t[0] + dt * np.arange(grid_n)
    on_grid = np.empty((len(x), grid_n))
    for row, dest in zip(x, on_grid):
        dest[:] = np.interp(grid, t, row)
    for row, dest in zip(filtfilt_rows(filt, on_grid, padlen), out):
        dest[:] = np.interp(t, grid, row)


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


def time_window(t: np.ndarray, a: float, b: float) -> slice:
    """The samples with a - 1e-9 <= t <= b + 1e-9 (t increasing): O(log n), no mask over the series."""
    return slice(int(t.searchsorted(a - 1e-9, "left")), int(t.searchsorted(b + 1e-9, "right")))


def small_median(x: np.ndarray) -> float:
    """np.median of a short array of finite values (same value, without np.median's overhead); NaN if empty."""
    n = x.size
    if n == 0:
        return float("nan")
    s = np.sort(x)
    m = n // 2
    return float(s[m]) if n % 2 else float((s[m - 1] + s[m]) / 2)


def window_nanmax(x: np.ndarray, starts: list[int] | np.ndarray, stops: list[int] | np.ndarray) -> np.ndarray:
    """np.nanmax(x[a:b]) for each non-empty window [a, b) (NaN where a window has no number), in one pass."""
    if len(starts) == 0:
        return np.zeros(0)
    idx = np.empty(2 * len(starts), dtype=np.intp)
    idx[0::2], idx[1::2] = starts, stops
    return np.fmax.reduceat(np.append(x, np.nan), idx)[0::2]  # the NaN end lets a window end at len(x)


def median_of(x: np.ndarray) -> float:
    """np.median of a 1-D array (NaN if it holds a NaN), the same value without its overhead."""
    n = x.size
    if n == 0 or np.isnan(x).any():
        return float("nan")
    m = n // 2
    part = np.partition(x, m)
    return float(part[m]) if n % 2 else float((part[:m].max() + part[m]) / 2)


def nanmedian_of(x: np.ndarray) -> float:
    """np.nanmedian of a 1-D array (NaN if it has no numbers), without the warning."""
    x = x[~np.isnan(x)]
    return median_of(x) if x.size else float("nan")


def nanmedian_across(x: np.ndarray, axis: int) -> np.ndarray:
    """np.nanmedian(x, axis) along a short axis (a few signals side by side), the same values, faster.

    Sorts along the axis (NaN last) and takes (low + high) / 2 of the middle finite values, as numpy
    does for short axes; all-NaN slices give NaN. Three, four or five signals: a min/max network
    picks the same middle values (slices with a NaN among four or five still go through the sort).
    """
    x = np.moveaxis(np.asarray(x, dtype=float), axis, 0)
    if len(x) == 3:
        return _nanmedian3(*x)
    if len(x) in (4, 5):
        out = _median45(x)
        gaps = np.isnan(out)
        if gaps.any():
            out[gaps] = _nanmedian_sorted(x[:, gaps])
        return out
    return _nanmedian_sorted(x)


def _nanmedian_sorted(x: np.ndarray) -> np.ndarray:
    """nanmedian_across along axis 0 by sorting."""
    s = np.sort(np.moveaxis(x, 0, -1), axis=-1)
    m = np.sum(~np.isnan(s), axis=-1)
    h = m // 2
    low = np.where(m % 2 == 1, h, np.maximum(h - 1, 0))
    pick = lambda k: np.take_along_axis(s, k[..., None], axis=-1)[..., 0]  # noqa: E731
    with np.errstate(invalid="ignore"):
        out = (pick(low) + pick(np.minimum(h, s.shape[-1] - 1))) / 2.0
    out[m == 0] = np.nan
    return out


def _median45(x: np.ndarray) -> np.ndarray:
    """Median of four ((s1 + s2) / 2) or five ((s2 + s2) / 2) signals along axis 0, NaN wherever one is NaN.

    The middle two of a..d are max(min(a, b), min(c, d)) and min(max(a, b), max(c, d)); with a fifth e,
    the median is the middle of those two and e."""
    a, b, c, d = x[:4]
    lo, hi = np.maximum(np.minimum(a, b), np.minimum(c, d)), np.minimum(np.maximum(a, b), np.maximum(c, d))
    if len(x) == 4:
        return (lo + hi) / 2.0
    m = np.maximum(np.minimum(lo, hi), np.minimum(np.maximum(lo, hi), x[4]))
    return (m + m) / 2.0


def _nanmedian3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """nanmedian_across three signals with a min/max network: (s[low] + s[high]) / 2.0 of the sorted finite
    values, as there (the middle one twice for three, the two for two, the one twice for one)."""
    lo, hi = np.fmin(np.fmin(a, b), c), np.fmax(np.fmax(a, b), c)
    mid = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    three = ~(np.isnan(a) | np.isnan(b) | np.isnan(c))
    with np.errstate(invalid="ignore"):
        return np.where(three, (mid + mid) / 2.0, (lo + hi) / 2.0)
