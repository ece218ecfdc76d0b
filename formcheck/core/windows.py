"""Statistics of many short windows of one signal at once: one pass of numpy instead of a loop of
small calls per rep. Each gives, window by window, the value the one-window code gives (over the
window's finite samples: filters.small_median, min, max, argmax, ...)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def time_windows(t: np.ndarray, a: np.ndarray | list[float], b: np.ndarray | list[float]) -> tuple[np.ndarray, np.ndarray]:
    """(starts, stops) of the samples with a - 1e-9 <= t <= b + 1e-9, window by window (filters.time_window)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return t.searchsorted(a - 1e-9, "left"), t.searchsorted(b + 1e-9, "right")


@dataclass(frozen=True, eq=False)
class Windows:
    """The finite samples of x in each window [starts[i], stops[i]), laid end to end."""

    x: np.ndarray
    pos: np.ndarray  # sample indices, window after window, in order
    owner: np.ndarray  # the window of each
    bounds: np.ndarray  # window i's samples are pos[bounds[i]:bounds[i + 1]]

    @property
    def count(self) -> np.ndarray:
        return np.diff(self.bounds)

    @property
    def values(self) -> np.ndarray:
        return self.x[self.pos]

    def reduce(self, op: np.ufunc) -> np.ndarray:
        """op (np.minimum / np.maximum) over each window; NaN for a window without samples."""
        out = np.full(len(self.bounds) - 1, np.nan)
        full = self.count > 0
        if full.any():
            out[full] = op.reduceat(self.values, self.bounds[:-1][full])
        return out

    def min(self) -> np.ndarray:
        return self.reduce(np.minimum)

    def max(self) -> np.ndarray:
        return self.reduce(np.maximum)

    def argmax(self) -> np.ndarray:
        """The first sample index of each window's max (-1 for an empty window)."""
        return self._first_equal(self.max())

    def argmin(self) -> np.ndarray:
        return self._first_equal(self.min())

    def _first_equal(self, target: np.ndarray) -> np.ndarray:
        out = np.full(len(target), -1)
        hit = np.flatnonzero(self.values == target[self.owner])
        if hit.size == 0:
            return out
        owners = self.owner[hit]
        first = np.concatenate([[True], owners[1:] != owners[:-1]])
        out[owners[first]] = self.pos[hit[first]]
        return out

    def median(self) -> np.ndarray:
        """filters.small_median of each window (NaN for an empty one)."""
        n, count = len(self.bounds) - 1, self.count
        width = int(count.max()) if n else 0
        table = np.full((n, max(width, 1)), np.inf)
        table[self.owner, np.arange(len(self.pos)) - self.bounds[self.owner]] = self.values
        table.sort(axis=1)
        m = count // 2
        rows = np.arange(n)
        low = table[rows, np.maximum(m - 1, 0)]
        high = table[rows, np.minimum(m, table.shape[1] - 1)]
        with np.errstate(invalid="ignore"):
            out = np.where(count % 2 == 1, high, (low + high) / 2)
        out[count == 0] = np.nan
        return out


@dataclass(frozen=True, eq=False)
class Spans:
    """Windows of sample indices laid end to end, before looking at any signal: one set of rep windows
    measures several signals."""

    pos: np.ndarray
    owner: np.ndarray
    bounds: np.ndarray

    def of(self, x: np.ndarray) -> Windows:
        """The finite samples of x in each window."""
        keep = np.isfinite(x[self.pos])
        if keep.all():
            return Windows(x, self.pos, self.owner, self.bounds)
        owner = self.owner[keep]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(self.bounds) - 1))])
        return Windows(x, self.pos[keep], owner, bounds)


def spans(starts: np.ndarray, stops: np.ndarray, size: int) -> Spans:
    """The windows [starts[i], stops[i]) of a signal of `size` samples (an empty or reversed one holds none)."""
    starts = np.clip(np.asarray(starts, dtype=np.intp), 0, size)  # as slices clip
    lens = np.maximum(np.minimum(np.asarray(stops, dtype=np.intp), size) - starts, 0)
    owner = np.repeat(np.arange(len(lens)), lens)
    ends = np.cumsum(lens)
    pos = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - lens, lens) + starts[owner]
    return Spans(pos, owner, np.concatenate([[0], ends]))


def spans_in_time(t: np.ndarray, a: np.ndarray | list[float], b: np.ndarray | list[float]) -> Spans:
    """The windows of samples with a - 1e-9 <= t <= b + 1e-9."""
    return spans(*time_windows(t, a, b), len(t))


def windows(x: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> Windows:
    """The finite samples of x in each [starts[i], stops[i]) (an empty or reversed window holds none)."""
    return spans(starts, stops, len(x)).of(x)


def windows_in_time(t: np.ndarray, x: np.ndarray, a: np.ndarray | list[float], b: np.ndarray | list[float]) -> Windows:
    """The finite samples of x with a - 1e-9 <= t <= b + 1e-9, window by window."""
    return spans_in_time(t, a, b).of(x)
