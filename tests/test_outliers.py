"""Spike rejection decides every sample as the full running median would (core/outliers.py)."""
from __future__ import annotations

import numpy as np
import pytest

from formcheck.core.filters import running_median
from formcheck.core.outliers import interp_formula, reject_outlier_rows, reject_outliers


def full_median_reference(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """One track as it was cleaned before: the running median at every finite sample."""
    out = x.copy()
    good = np.flatnonzero(np.isfinite(x))
    if good.size >= 5:
        med = running_median(t[good], x[good], window_s)
        out[good[np.abs(x[good] - med) > max_dev]] = np.nan
    return out


def awkward_tracks(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Tracks that make the cheap bounds fail often: fast motion, spikes, unseen runs, a burst of
    near-duplicate timestamps (a variable-frame-rate hiccup) and a jump of minutes in time."""
    rng = np.random.default_rng(seed)
    n, k = 600, 4
    steps = rng.uniform(0.025, 0.042, n) if seed % 2 else np.full(n, 1 / 30)
    if seed % 3 == 0:
        steps[200:215] = 0.002  # a burst of frames 2 ms apart
    if seed % 4 == 0:
        steps[400] = 300.0  # five minutes without frames: the median runs on separate grids
    t = np.cumsum(steps)
    x = np.cumsum(rng.normal(0, 4, (n, k)), axis=0) + 40 * np.sin(t[:, None] * rng.uniform(1, 6, k))
    spikes = rng.random((n, k)) < 0.04
    x[spikes] += rng.choice([-60.0, 60.0], size=int(spikes.sum()))
    x[rng.random(n) < 0.03] = np.nan
    x[100:130, 1] = np.nan  # a second unseen on one track
    x[rng.random((n, k)) < 0.02] = np.nan
    return t, x


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("window,max_dev", [(0.15, 8.0), (0.6, 25.0), (0.15, 0.5), (0.3, 0.0)])
def test_every_decision_equals_the_full_running_median(seed, window, max_dev):
    t, x = awkward_tracks(seed)
    out = reject_outliers(t, x, window, max_dev)
    for k in range(x.shape[1]):
        np.testing.assert_array_equal(out[:, k], full_median_reference(t, x[:, k], window, max_dev))


def test_a_track_with_too_few_samples_keeps_them_and_rows_are_changed_in_place():
    t = np.arange(8) / 30.0
    rows = np.array([[0.0, 50.0, 0.0, np.nan, np.nan, np.nan, np.nan, np.nan],  # 3 samples: not judged
                     [0.0, 0.0, 0.0, 90.0, 0.0, 0.0, 0.0, 0.0]])  # a spike
    reject_outlier_rows(t, rows, 0.15, 10.0)
    np.testing.assert_array_equal(rows[0, :3], [0.0, 50.0, 0.0])
    assert np.isnan(rows[1, 3]) and np.isfinite(np.delete(rows[1], 3)).all()


def test_interp_formula_is_np_interp():
    rng = np.random.default_rng(1)
    xp = np.cumsum(rng.uniform(0.01, 0.05, 500))
    fp = rng.normal(0, 300, 500)
    x = np.concatenate([rng.uniform(xp[0], xp[-1] + 0.1, 2000), xp[::7]])
    a = np.minimum(np.searchsorted(xp, x, "right") - 1, len(xp) - 1)
    b = np.minimum(a + 1, len(xp) - 1)
    got = interp_formula(x, xp[a], xp[b], fp[a], fp[b], (a == len(xp) - 1) | (xp[a] == x))
    np.testing.assert_array_equal(got, np.interp(x, xp, fp))


def test_median_by_counting_is_the_median():
    """_median_if returns the median whatever the guess: right guesses are confirmed by counting, wrong ones
    (a neighbour value, a value between the two middle ones, NaN) fall back to computing it."""
    from formcheck.core.filters import median_of
    from formcheck.core.outliers import _median_if

    rng = np.random.default_rng(3)
    for n in range(1, 40):
        for x in (rng.choice([1 / 30, 1 / 30 + 1e-12, 2 / 30, 0.02], n), rng.uniform(0, 1, n), np.full(n, 0.04)):
            want = median_of(x)
            s = np.sort(x)
            for guess in (want, s[n // 2], s[(n - 1) // 2], s[0], s[-1], np.nextafter(want, 1), np.nan):
                assert _median_if(x, float(guess)) == want


@pytest.mark.parametrize("seed", range(5))
def test_grid_index_is_searchsorted_on_the_grid(seed):
    """Piece.grid_index finds a time's grid point without making the grid: the same index as searching it,
    for times on grid points, between them, before and after the grid, at awkward origins and steps."""
    from formcheck.core.outliers import _piece

    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1e4) * (seed % 2) + np.cumsum(rng.uniform(0.01, 0.05, 800))  # far from 0 on odd seeds
    p = _piece(t, np.arange(len(t)), 0.3)
    grid = p.grid
    x = np.concatenate([t, grid, np.nextafter(grid, np.inf), np.nextafter(grid, -np.inf), [t[0] - 1, grid[-1] + 1]])
    want = np.clip(np.searchsorted(grid, x, "right") - 1, 0, len(grid) - 1)
    np.testing.assert_array_equal(p.grid_index(x), want)
    np.testing.assert_array_equal(p.grid_at(np.arange(len(grid))), grid)


@pytest.mark.parametrize("kind", ["even", "jitter", "bursts"])
def test_the_running_median_lies_within_the_samples_the_reach_allows(kind):
    from formcheck.core.outliers import _sample_reach

    rng = np.random.default_rng(7)
    for _ in range(30):
        n = 200
        steps = np.full(n, 1 / 30) if kind == "even" else rng.uniform(0.02, 0.045, n)
        if kind == "bursts":
            steps[rng.random(n) < 0.1] = 0.003
        t = np.cumsum(steps)
        x = rng.normal(0, 1, n) * rng.choice([1.0, 100.0], n)
        window = float(rng.choice([0.1, 0.15, 0.3, 0.6]))
        med = running_median(t, x, window)
        d = np.diff(t)
        dt = float(np.median(d))
        h = max(1, min(int(round(window / dt)), 2 * n + 1) | 1) // 2
        w = _sample_reach(h, bool(np.allclose(d, dt, rtol=0.1)), dt, float(d.min()))
        lo = np.array([x[max(0, k - w):k + w + 1].min() for k in range(n)])
        hi = np.array([x[max(0, k - w):k + w + 1].max() for k in range(n)])
        assert np.all((lo - 1e-9 <= med) & (med <= hi + 1e-9))
