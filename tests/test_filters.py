"""The column-batched filters give, value for value, what the one-column numpy/scipy versions give."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from formcheck.core.filters import (_median5, finite_runs, interp_columns, interpolate_gaps, lowpass, nanmedian_across,
                                    reject_outliers, running_median, small_median)


def columns(seed: int, n: int, k: int, even: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.033, 0.0334, n) if even else rng.uniform(0.02, 0.05, n))
    x = np.cumsum(rng.normal(0, 3, (n, k)), axis=0)
    x[rng.random(n) < 0.05] = np.nan  # frames without a pose: every column
    x[rng.random((n, k)) < 0.03] = np.nan  # one landmark unseen
    x[rng.random((n, k)) < 0.01] += 80  # spikes
    return t, x


def one_column_reference(t: np.ndarray, x: np.ndarray, window_s: float, max_dev: float) -> np.ndarray:
    """reject_outliers as written for one track: running median over the finite samples (scipy)."""
    out = x.copy()
    good = np.flatnonzero(np.isfinite(x))
    if good.size < 5:
        return out
    tg, xg = t[good], x[good]
    dt = float(np.median(np.diff(tg)))
    size = max(1, int(round(window_s / dt)) | 1)
    if np.allclose(np.diff(tg), dt, rtol=0.1):
        med = median_filter(xg, size=size, mode="nearest")
    else:
        grid = tg[0] + dt * np.arange(int(round((tg[-1] - tg[0]) / dt)) + 1)
        med = np.interp(tg, grid, median_filter(np.interp(grid, tg, xg), size=size, mode="nearest"))
    out[good[np.abs(xg - med) > max_dev]] = np.nan
    return out


@pytest.mark.parametrize("seed", range(12))
def test_batched_cleaning_equals_one_column_at_a_time(seed):
    t, x = columns(seed, n=50 + 40 * seed, k=1 + seed % 5, even=seed % 3 == 0)
    for window in (0.15, 0.6):
        batched = reject_outliers(t, x, window, 10.0)
        for k in range(x.shape[1]):
            np.testing.assert_array_equal(batched[:, k], one_column_reference(t, x[:, k], window, 10.0))
            np.testing.assert_array_equal(batched[:, k], reject_outliers(t, x[:, k], window, 10.0))
    filled = interpolate_gaps(t, x, 0.2)
    smooth = lowpass(t, filled, 6.0)
    for k in range(x.shape[1]):
        np.testing.assert_array_equal(filled[:, k], interpolate_gaps(t, x[:, k], 0.2))
        np.testing.assert_array_equal(smooth[:, k], lowpass(t, filled[:, k], 6.0))


def test_gap_filling_is_np_interp_across_each_short_gap():
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.9, 1.0])
    x = np.array([1.0, np.nan, np.nan, 4.0, np.nan, np.nan, 7.0])
    out = interpolate_gaps(t, x, 0.35)
    np.testing.assert_array_equal(out[:4], np.interp(t[:4], [0.0, 0.3], [1.0, 4.0]))
    assert np.isnan(out[4])  # 0.3 -> 1.0 is longer than 0.35 s: stays a gap


def test_lowpass_on_even_steps_is_scipy_filtfilt():
    t = np.arange(300) / 30.0
    x = np.sin(t * 7) + np.random.default_rng(0).normal(0, 0.1, 300)
    fs = 1.0 / float(np.median(np.diff(t)))
    sos = butter(2, 6.0 / (fs / 2), output="sos")
    np.testing.assert_array_equal(lowpass(t, x, 6.0), sosfiltfilt(sos, x, padlen=9))  # 3 x (2 x sections + 1)


def test_median_of_5_equals_scipy_including_ties_and_short_inputs():
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 4, 5, 9, 200):
        x = np.round(rng.normal(0, 2, (n, 3)))
        ref = np.stack([median_filter(x[:, k], size=5, mode="nearest") for k in range(3)], axis=1)
        np.testing.assert_array_equal(_median5(x), ref)
    t = np.arange(200) / 30.0
    np.testing.assert_array_equal(running_median(t, x[:, 0], 0.15), median_filter(x[:, 0], size=5, mode="nearest"))


def test_interp_columns_and_medians_match_numpy():
    rng = np.random.default_rng(4)
    xp = np.sort(rng.uniform(0, 10, 40))
    fp = rng.normal(size=(40, 3))
    x = np.concatenate([rng.uniform(-1, 11, 50), xp[:5]])
    for k in range(3):
        np.testing.assert_array_equal(interp_columns(x, xp, fp)[:, k], np.interp(x, xp, fp[:, k]))
    for n in range(1, 9):
        v = rng.normal(size=n)
        assert small_median(v) == np.median(v)
    assert np.isnan(small_median(np.array([])))
    a = rng.normal(size=(300, 5))
    a[rng.random(a.shape) < 0.3] = np.nan
    a[7] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(nanmedian_across(a, 1), np.nanmedian(a, axis=1))
        np.testing.assert_array_equal(nanmedian_across(a.T, 0), np.nanmedian(a.T, axis=0))
        for k in (3, 4):  # the min/max networks, with and without NaN, and ties
            b = np.round(a[:, :k] * 2)
            np.testing.assert_array_equal(nanmedian_across(b, 1), np.nanmedian(b, axis=1))
            b = rng.normal(size=(300, k))
            np.testing.assert_array_equal(nanmedian_across(b, 1), np.nanmedian(b, axis=1))


@pytest.mark.parametrize("seed", range(8))
def test_fill_wobbles_compares_the_nanmedian_positions_around_each_movement(seed):
    """All movements at once give what comparing np.nanmedian of the 5 samples before and after each one
    gives (runs at the edges kept, a short lead-in, unseen samples, a side wholly unseen)."""
    from formcheck.core.signals import _fill_wobbles

    rng = np.random.default_rng(seed)
    n = 400
    still = rng.random(n) < 0.7
    still[:3] = [True, False, True]
    pos = np.cumsum(rng.normal(0, 0.05, (n, 2)), axis=0)
    pos[rng.random((n, 2)) < 0.1] = np.nan
    pos[100:112] = np.nan
    t = np.arange(n) / 30.0
    want = still.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a, b in finite_runs(~still):
            if a == 0 or b == n:
                continue
            moved = float(np.hypot(*(np.nanmedian(pos[b:b + 5], axis=0) - np.nanmedian(pos[max(0, a - 5):a], axis=0))))
            if np.isfinite(moved) and moved < 0.1:
                want[a:b] = True
    got = _fill_wobbles(t, still, pos, 0.1)
    assert (got != still).any() and not got.all()  # some movements filled, some not
    np.testing.assert_array_equal(got, want)


def _lowpass_in_child(args):
    from formcheck.core.filters import lowpass_rows

    return lowpass_rows(*args)


def test_long_rows_are_lowpassed_in_two_threads_with_the_same_values():
    """lowpass_rows splits many long rows between two threads: the values are those of filtering each row
    alone, also in a process forked after the parent started its helper thread."""
    import multiprocessing

    from formcheck.core.filters import _lowpass_rows, lowpass_rows
    from formcheck.core.parallel import PARALLEL_VALUES

    for even in (True, False):
        t, x = columns(11, 6000, 12, even)
        rows = np.ascontiguousarray(x.T)
        assert rows.size >= PARALLEL_VALUES
        got = lowpass_rows(t, rows, 6.0)
        for k in (0, 5, 6, 11):  # rows of both halves
            np.testing.assert_array_equal(got[k], _lowpass_rows(t, rows[k:k + 1], 6.0, 2)[0])
        np.testing.assert_array_equal(got, _lowpass_rows(t, rows, 6.0, 2))
    with multiprocessing.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_lowpass_in_child, ((t, rows, 6.0),)).get(timeout=60)
    np.testing.assert_array_equal(child, got)


def test_beside_runs_in_the_helper_and_hands_back_errors():
    """parallel.beside: the work runs in the helper thread and .result() gives its value or re-raises its
    error; work started from the helper itself runs at once (it must never wait for its own thread)."""
    import threading

    from formcheck.core.parallel import NAME, beside

    def where():
        return threading.current_thread().name

    def nested():
        inner = beside(where)
        assert inner.done()  # ran at once, in the helper
        return inner.result()

    helper = (os.cpu_count() or 1) >= 2  # (a one-core machine runs it all at once, in this thread)
    assert beside(where).result().startswith(NAME) == helper
    assert beside(nested).result().startswith(NAME) == helper

    def fails():
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        beside(fails).result()


@pytest.mark.parametrize("order", [1, 2, 3, 4, 6])
def test_filtfilt_rows_is_scipys_sosfiltfilt(order):
    """The zero-phase filter with its initial state computed once gives scipy's sosfiltfilt values exactly,
    for 1-3 second-order sections and odd orders, any padding from 1 to n - 1, one row or several."""
    from scipy.signal import sosfilt_zi

    from formcheck.core.filters import filtfilt_rows

    rng = np.random.default_rng(order)
    sos = butter(order, 0.3, output="sos")
    filt = (sos, sosfilt_zi(sos)[:, None, :])
    for n in (4, 9, 40, 500):
        x = np.cumsum(rng.normal(0, 1, (3, n)), axis=1)
        for padlen in sorted({1, 2, min(9, n - 1), n - 1}):
            want = sosfiltfilt(sos, x, padlen=padlen)
            np.testing.assert_array_equal(filtfilt_rows(filt, x, padlen), want)
            np.testing.assert_array_equal(filtfilt_rows(filt, x[1:2], padlen)[0], want[1])
