"""Spike rejection against a running median, deciding almost every sample without computing the median.

A sample is rejected when it lies further than max_dev from the running median of its own
track's finite samples over window_s (on uneven timestamps: median-filtered on a uniform grid
at the median step and read back at the sample's time; filters.running_median). That median
is a value of the window, up to the interpolations, so it lies within the window's min and
max. Where a sample is within max_dev of both (block minima and maxima, three blocks wide,
one reduction over all tracks), it cannot be rejected; the few samples left are decided with
the running median itself, computed at just those samples with the same arithmetic as
np.interp and scipy's median filter. Every decision equals the full computation's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formcheck.core.filters import MAX_GRID_GROWTH, grid_pieces, mask_groups, median_of
from formcheck.core.parallel import PARALLEL_VALUES, beside

MARGIN = 1e-9  # relative slack of the bounds: the interpolations move a value by ~1e-15 of its size


ALLOWANCE = 2  # unseen frames a sample's window may hold (at least; or half its reach) before it is computed


@dataclass(frozen=True, eq=False)
class Piece:
    """One stretch of a track's finite samples that gets one running median."""

    t: np.ndarray  # sample times
    frames: np.ndarray  # their column indices in the rows
    dt: float  # the grid step (median sample step)
    h: int  # half the median window, in grid steps (or samples when uniform)
    uniform: bool  # even steps: the median runs over the samples themselves
    radius: int  # columns on either side that bound a sample's median ...
    far: np.ndarray  # ... except for these samples (next to unseen frames): always computed

    @property
    def grid_len(self) -> int:
        return int(round((self.t[-1] - self.t[0]) / self.dt)) + 1

    @property
    def grid(self) -> np.ndarray:
        return self.grid_at(np.arange(self.grid_len))

    def grid_at(self, j: np.ndarray) -> np.ndarray:
        """grid[j], the same float as the whole grid's (j within it)."""
        return self.t[0] + self.dt * j

    def grid_index(self, x: np.ndarray) -> np.ndarray:
        """np.searchsorted(grid, x, "right") - 1 clipped to the grid, without making the grid: from the
        quotient, moved onto the last grid point <= x (rounding puts the quotient at most a step off)."""
        m = self.grid_len
        j = np.clip(np.floor((x - self.t[0]) / self.dt), -1, m - 1).astype(np.intp)
        for _ in range(3):
            up = (j + 1 < m) & (self.grid_at(j + 1) <= x)
            down = (j >= 0) & (self.grid_at(j) > x)
            if not (up.any() or down.any()):
                return np.clip(j, 0, m - 1)
            j = j + up - down
        return np.clip(np.searchsorted(self.grid, x, "right") - 1, 0, m - 1)  # (not seen: the quotient was far off)

    def sample_window(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """[lo, hi] (inclusive) of the samples whose min and max bound the running median at samples k:
        the middle h + 1 of a median's 2h + 1 values (see _sample_reach), on a grid the grid values
        around the sample and the samples they are interpolated from."""
        n, c = len(self.t), self.h // 2
        if self.uniform:
            return np.clip(k - c, 0, n - 1), np.clip(k - c + self.h, 0, n - 1)
        j, m = self.grid_index(self.t[k]), self.grid_len

        def sample(i: np.ndarray) -> np.ndarray:  # the last sample at or before grid point i
            return np.clip(np.searchsorted(self.t, self.grid_at(np.clip(i, 0, m - 1)), "right") - 1, 0, n - 1)

        return sample(j - c), np.minimum(sample(j + 1 + self.h - c) + 1, n - 1)


def reject_outliers(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """NaN out samples further than max_dev from the running median over window_s (spikes, glitches).

    x may be (T,) or (T, K); each column on its own (over its own finite samples).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        return reject_outliers(t, x[:, None], window_s, max_dev)[:, 0]
    rows = np.array(x.T, order="C")
    reject_outlier_rows(t, rows, window_s, max_dev)
    return np.ascontiguousarray(rows.T)


def reject_outlier_rows(t: np.ndarray, rows: np.ndarray, window_s: float, max_dev: float) -> None:
    """reject_outliers on tracks stored as rows (K, T), in place."""
    rows[outlier_cells(t, rows, [(window_s, max_dev)])] = np.nan


def outlier_cells(t: np.ndarray, rows: np.ndarray,
                  passes: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) indices of the samples that any pass (window_s, max_dev) of reject_outlier_rows rejects,
    every pass judging these same rows (left as they are). The tracks' groups and steps are found once."""
    guess = median_of(np.diff(t)) if len(t) > 1 else math.nan  # every track's median step, mostly
    tracks = [(ks, track) for mask, ks in mask_groups(rows.T)
              if (track := _track(t, np.flatnonzero(mask), guess)) is not None]
    cells = [_pass_cells(rows, [(ks, p) for ks, tr in tracks for p in _pieces(tr, window_s)], max_dev)
             for window_s, max_dev in passes]
    return np.concatenate([r for r, _ in cells]), np.concatenate([f for _, f in cells])


def _pass_cells(rows: np.ndarray, pieces: list[tuple[list[int], Piece]],
                max_dev: float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the samples further than max_dev from their running median in these pieces."""
    bad_r, bad_f = [np.zeros(0, np.intp)], [np.zeros(0, np.intp)]
    if not pieces:
        return bad_r[0], bad_f[0]
    r, f = _suspects(rows, max(p.radius for _, p in pieces), max_dev)
    for ks, p in pieces:
        sel = np.isin(r, ks) & (f >= p.frames[0]) & (f <= p.frames[-1])
        rr, ff = r[sel], f[sel]
        k = np.searchsorted(p.frames, ff)
        mine = p.frames[k] == ff
        rr, k = np.concatenate([rr[mine], np.repeat(ks, p.far.size)]), np.concatenate([k[mine], np.tile(p.far, len(ks))])
        if k.size:
            rr, k = _undecided(p, rows, rr, k, max_dev)
        if k.size:
            ff = p.frames[k]
            bad = np.abs(rows[rr, ff] - median_at(p, rows, rr, k)) > max_dev
            bad_r.append(rr[bad])
            bad_f.append(ff[bad])
    return np.concatenate(bad_r), np.concatenate(bad_f)


def _undecided(p: Piece, rows: np.ndarray, r: np.ndarray, k: np.ndarray, max_dev: float) -> tuple[np.ndarray, ...]:
    """The samples (row r, piece index k) that the min and max of exactly the samples their median is made
    from cannot decide."""
    lo, hi = p.sample_window(k)
    idx = lo[:, None] + np.arange(int((hi - lo).max()) + 1)
    inside = idx <= hi[:, None]
    win = rows[r[:, None], p.frames[np.minimum(idx, len(p.t) - 1)]]
    w_lo, w_hi = np.where(inside, win, np.inf).min(axis=1), np.where(inside, win, -np.inf).max(axis=1)
    v = rows[r, p.frames[k]]
    limit = max_dev - 2 * MARGIN * (1.0 + np.maximum(np.abs(w_lo), np.abs(w_hi)))
    unsure = ~((v - w_lo <= limit) & (w_hi - v <= limit))
    return r[unsure], k[unsure]


@dataclass(frozen=True, eq=False)
class Track:
    """One group of tracks' finite samples: their columns, times, steps and median step."""

    good: np.ndarray
    t: np.ndarray
    steps: np.ndarray
    dt: float


def _track(t: np.ndarray, good: np.ndarray, guess: float = math.nan) -> Track | None:
    """None when there are too few samples to judge (nothing is rejected). guess: the tracks' median step
    if it is the same as all frames' (checked)."""
    if good.size < 5:
        return None
    tg = t[good]
    steps = np.diff(tg)
    return Track(good, tg, steps, _median_if(steps, guess))


def _pieces(track: Track, window_s: float) -> list[Piece]:
    """The running-median pieces of one track (as filters.running_median splits and sizes them)."""
    tg, good = track.t, track.good
    if (tg[-1] - tg[0]) / track.dt + 1 <= MAX_GRID_GROWTH * len(tg) + 64:  # grid_pieces keeps it whole
        return [_piece(tg, good, window_s, track.steps, track.dt)]
    return [_piece(tg[a:b], good[a:b], window_s) for a, b in grid_pieces(tg)]


def _median_if(x: np.ndarray, guess: float) -> float:
    """median_of(x) for finite x: `guess` when counting shows it is the middle value (or both middle
    values), two passes instead of a partition; else computed."""
    n = x.size
    if n and math.isfinite(guess):
        m = n // 2
        below, upto = int(np.count_nonzero(x < guess)), int(np.count_nonzero(x <= guess))
        if below <= m - (n % 2 == 0) and upto >= m + 1:
            return float(guess)
    return median_of(x)


def _piece(t: np.ndarray, frames: np.ndarray, window_s: float, steps: np.ndarray | None = None,
           dt: float | None = None) -> Piece:
    n = len(t)
    if n < 3:  # the running median of < 3 samples is the samples
        return Piece(t, frames, 1.0, 0, True, 0, np.arange(n))
    steps = np.diff(t) if steps is None else steps
    dt = median_of(steps) if dt is None else dt
    h = max(1, min(int(round(window_s / dt)), 2 * n + 1) | 1) // 2
    lo, hi = float(steps.min()), float(steps.max())
    uniform = max(abs(hi - dt), abs(lo - dt)) <= 1e-8 + 0.1 * abs(dt)  # == np.allclose(steps, dt, rtol=0.1)
    w = min(n - 1, _sample_reach(h, uniform, dt, lo))
    if w == 0:
        return Piece(t, frames, dt, h, uniform, 0, np.zeros(0, int))
    radius = w + max(ALLOWANCE, w // 2)
    span = frames[w:] - frames[:-w]  # columns from a sample to the one w samples on
    far = np.zeros(n, bool)
    far[:n - w] |= span > radius
    far[w:] |= span > radius
    far[n - w:] |= frames[-1] - frames[n - w:] > radius
    return Piece(t, frames, dt, h, uniform, radius, np.flatnonzero(far))


def _sample_reach(h: int, uniform: bool, dt: float, min_step: float) -> int:
    """Samples on either side that bound a sample's running median.

    A median of 2h + 1 values lies within the min and max of any h + 1 of them: take the middle
    ones (from c = h // 2 before). On a grid, the sample's median is read between the medians of
    the grid points around it, each from grid values interpolated between two samples: at most
    max(c + 1, h + 1 - c) grid steps each way, plus a sample, at the shortest sample step."""
    c = h // 2
    if uniform:
        return max(c, h - c)
    return int(math.ceil(max(c + 1, h + 1 - c) * dt / min_step)) + 2


CHUNK = 1 << 17  # values per block of rows: small temporaries are reused, not faulted in afresh


def _suspects(rows: np.ndarray, radius: int, max_dev: float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the finite samples that might be further than max_dev from their running median:
    those not within max_dev of both the min and the max of their row `radius` columns around."""
    out_r, out_f = [], []
    step = max(1, CHUNK // max(1, rows.shape[1]))
    for k in range(0, len(rows), step):
        v = rows[k:k + step]
        lo, hi = _windows(v, radius)
        with np.errstate(invalid="ignore"):
            scale = max(abs(float(np.fmin.reduce(lo, axis=None))), abs(float(np.fmax.reduce(hi, axis=None))))
            limit = max_dev - 2 * MARGIN * (1.0 + scale) if math.isfinite(scale) else -math.inf  # inf: decide all
            unsure = (v - lo > limit) | (hi - v > limit)  # NaN: an unseen sample, nothing to decide
        if not unsure.any():
            continue
        r, f = np.divmod(np.flatnonzero(unsure), unsure.shape[1])
        out_r.append(r + k)
        out_f.append(f)
    if not out_r:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(out_r), np.concatenate(out_f)


def _windows(v: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(_window(np.fmin, ...), _window(np.fmax, ...)); large blocks: the min in the helper thread meanwhile
    (numpy releases the GIL in these loops)."""
    if v.size < PARALLEL_VALUES:
        return _window(np.fmin, v, radius), _window(np.fmax, v, radius)
    lo = beside(_window, np.fmin, v, radius)
    hi = _window(np.fmax, v, radius)
    return lo.result(), hi


def _window(op: np.ufunc, x: np.ndarray, radius: int) -> np.ndarray:
    """op (np.fmin or np.fmax: NaN ignored) over columns c - radius .. c + radius of each row."""
    if radius == 0:
        return x
    width, n = 2 * radius + 1, x.shape[1]
    out = np.full((len(x), n + 2 * radius), np.nan)
    out[:, radius:radius + n] = x
    span = 1
    while 2 * span <= width:  # out[:, i] covers span columns from i
        out = op(out[:, :-span], out[:, span:])
        span *= 2
    rest = width - span
    return op(out[:, :n], out[:, rest:rest + n]) if rest else out[:, :n]


def median_at(p: Piece, rows: np.ndarray, r: np.ndarray, k: np.ndarray) -> np.ndarray:
    """filters.running_median of row r's samples in piece p, at the piece's samples k (value for value)."""
    n = len(p.t)
    vals = lambda idx: rows[r[:, None], p.frames[idx]]  # noqa: E731 - row r's samples at piece indices idx
    if p.uniform:
        win = vals(np.clip(k[:, None] + np.arange(-p.h, p.h + 1), 0, n - 1))
        return np.sort(win, axis=1)[:, p.h]
    m = p.grid_len
    j = p.grid_index(p.t[k])
    gi = np.clip(j[:, None] + np.arange(-p.h, p.h + 2), 0, m - 1)  # the grid points of both medians
    x = p.grid_at(gi)
    a = np.minimum(np.searchsorted(p.t, x, "right") - 1, n - 1)
    at_end = (a == n - 1) | (p.t[a] == x)
    y = interp_formula(x, p.t[a], p.t[np.minimum(a + 1, n - 1)], vals(a), vals(np.minimum(a + 1, n - 1)), at_end)
    m0, m1 = np.sort(y[:, :-1], axis=1)[:, p.h], np.sort(y[:, 1:], axis=1)[:, p.h]
    g0, g1 = p.grid_at(j), p.grid_at(np.minimum(j + 1, m - 1))
    return interp_formula(p.t[k], g0, g1, m0, m1, (j == m - 1) | (g0 == p.t[k]))


def interp_formula(x: np.ndarray, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray,
                   exact: np.ndarray) -> np.ndarray:
    """np.interp's arithmetic for x in [x0, x1) (y0 where `exact`: x on a knot or past the last one)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (y1 - y0) / (x1 - x0)
        out = slope * (x - x0) + y0
        retry = np.isnan(out) & ~exact
        if retry.any():  # as np.interp: from the other knot, then the flat value
            other = slope * (x - x1) + y1
            other = np.where(np.isnan(other) & (y0 == y1), y0, other)
            out = np.where(retry, other, out)
    return np.where(exact, y0, out)
