"""The track filters (core/signal/filters.py, core/signal/clean.py) on inputs with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import median_filter
from scipy.signal import butter, sosfiltfilt

from formcheck.core.signal.clean import spikes
from formcheck.core.signal.filters import gradient, interpolate_gaps, lowpass, running_median, window_median


def test_gap_filling_is_np_interp_across_each_short_gap():
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.9, 1.0])
    x = np.array([1.0, np.nan, np.nan, 4.0, np.nan, np.nan, 7.0])
    out = interpolate_gaps(t, x, 0.35)
    np.testing.assert_array_equal(out[:4], np.interp(t[:4], [0.0, 0.3], [1.0, 4.0]))
    assert np.isnan(out[4:6]).all() and out[6] == 7.0  # 0.3 -> 1.0 is longer than 0.35 s: stays a gap
    cols = interpolate_gaps(t, np.stack([x, x[::-1]], axis=1), 0.35)
    np.testing.assert_array_equal(cols[:, 0], out)


def test_leading_and_trailing_gaps_are_never_filled():
    t = np.arange(6) / 10.0
    out = interpolate_gaps(t, np.array([np.nan, 1.0, 2.0, np.nan, 4.0, np.nan]), 1.0)
    assert np.isnan(out[[0, 5]]).all() and out[3] == 3.0


def test_lowpass_on_even_steps_is_scipy_filtfilt():
    t = np.arange(300) / 30.0
    x = np.sin(t * 7) + np.random.default_rng(0).normal(0, 0.1, 300)
    fs = 1.0 / float(np.median(np.diff(t)))
    sos = butter(2, 6.0 / (fs / 2), output="sos")
    np.testing.assert_array_equal(lowpass(t, x, 6.0), sosfiltfilt(sos, x, padlen=9))  # 3 x (2 x sections + 1)


def test_lowpass_passes_slow_motion_and_removes_jitter_at_any_frame_rate():
    for fps in (25.0, 30.0, 60.0, 240.0):
        t = np.arange(0, 10, 1 / fps)
        slow = np.sin(2 * np.pi * 0.5 * t)  # a 2 s rep
        noisy = slow + 0.2 * np.sin(2 * np.pi * 11.0 * t)  # 11 Hz jitter
        out = lowpass(t, noisy, 6.0)
        assert np.max(np.abs(out - slow)[int(fps) : -int(fps)]) < 0.02, fps  # 11 Hz: 8 % left after both passes


def test_lowpass_on_uneven_steps_filters_on_a_grid_and_keeps_gaps():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.02, 0.045, 400))
    x = np.sin(t * 3)
    x[200:210] = np.nan
    out = lowpass(t, x, 6.0)
    assert np.isnan(out[200:210]).all()
    good = np.isfinite(out)
    assert np.max(np.abs(out[good] - x[good])[20:-20]) < 0.03  # (the grid's interpolation)


def test_running_median_on_even_steps_is_scipys_and_on_uneven_steps_follows_a_step():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(0, 2, 200))
    t = np.arange(200) / 30.0
    np.testing.assert_array_equal(running_median(t, x, 0.15), median_filter(x, size=5, mode="nearest"))
    tu = np.cumsum(rng.uniform(0.02, 0.05, 200))
    step = (tu > tu[100]).astype(float)
    away = np.abs(np.arange(200) - 100) > 2  # (the grid's interpolation smears the step over a sample or two)
    assert np.array_equal(running_median(tu, step, 0.3)[away], step[away])


def test_a_time_jump_keeps_the_grid_small_and_the_values_right():
    t = np.concatenate([np.arange(100) / 1000.0, 3600.0 + np.arange(100) / 1000.0])  # an hour's gap at 1 kHz
    x = np.concatenate([np.zeros(100), np.ones(100)])
    np.testing.assert_array_equal(running_median(t, x, 0.005), x)
    np.testing.assert_allclose(lowpass(t, x, 6.0), x, atol=1e-12)


def test_spikes_are_rejected_and_real_motion_is_not():
    t = np.arange(120) / 30.0
    x = 20 * np.sin(2 * np.pi * 0.5 * t)  # a heel rising 40 px every 2 s, the shank 100 px long
    x[40] += 30.0  # a one-frame spike
    x[80:84] -= 50.0  # four frames thrown off (a brief leg swap)
    assert np.flatnonzero(spikes(t, x, 0.15, 10.0)).tolist() == [40]  # 0.15 s cannot judge 4 frames ...
    assert np.flatnonzero(spikes(t, x, 0.6, 30.0)).tolist() == [80, 81, 82, 83]  # ... 0.6 s can
    few = np.full(120, np.nan)
    few[:4] = [0.0, 90.0, 0.0, 0.0]
    assert not spikes(t, few, 0.15, 10.0).any()  # under 5 seen samples: nothing is judged


def test_gradient_is_per_finite_run():
    t = np.arange(10) / 10.0
    x = 2.0 * t
    x[5] = np.nan
    g = gradient(t, x)
    assert np.isnan(g[5]) and np.allclose(np.delete(g, 5), 2.0)


def test_window_median_spans_the_window_pushed_inward_at_the_ends_and_is_nan_aware():
    t = np.array([0.0, 0.1, 0.2, 0.35, 0.5, 0.6, 0.9, 1.0])
    x = np.array([1.0, 9.0, 2.0, np.nan, 4.0, 5.0, 7.0, 3.0])
    out = window_median(t, x, 0.4)
    for k in range(len(t)):
        start = min(max(t[k] - 0.2, t[0]), t[-1] - 0.4)
        inside = (t >= start - 1e-9) & (t <= start + 0.4 + 1e-9)
        assert out[k] == pytest.approx(np.nanmedian(x[inside]))
    assert out[-1] == np.median([5.0, 7.0, 3.0])  # the newest sample: the last 0.4 s (0.6 s exactly is in)
    assert out[0] == np.median([1.0, 9.0, 2.0])  # the first: the first 0.4 s
    assert np.isnan(window_median(t, np.full(len(t), np.nan), 0.4)).all()
    dense = np.arange(0, 2.0, 0.001)  # a dense stretch: worked on in pieces, the same answer
    np.testing.assert_allclose(
        window_median(dense, np.sin(dense), 0.4)[::97],
        [
            np.median(np.sin(dense[(dense >= s - 1e-9) & (dense <= s + 0.4 + 1e-9)]))
            for s in np.clip(dense[::97] - 0.2, 0.0, dense[-1] - 0.4)
        ],
    )
