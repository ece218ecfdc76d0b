"""The per-rep measures the fault rules judge (core/faults/measure.py), on signals with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.faults.detect import best_of
from formcheck.core.faults.measure import dwell, ramp_time
from formcheck.core.faults.verdict import running_mean3


def trapezoid(fps: float, rise: float, hold: float, lower: float, pause: float) -> tuple[np.ndarray, np.ndarray]:
    """A heel going 0 -> 1 linearly in `rise` s, holding `hold` s, back to 0 in `lower` s, resting `pause` s
    (with `pause` s of rest before it too)."""
    knots_t = np.cumsum([0.0, pause, rise, hold, lower, pause])
    t = np.arange(0.0, knots_t[-1] + 1e-9, 1.0 / fps)
    return t, np.interp(t, knots_t, [0, 0, 1, 1, 0, 0])


@pytest.mark.parametrize("fps", [30.0, 60.0, 25.0])
def test_ramp_time_of_a_linear_ramp_is_its_10_to_90_percent_time(fps):
    t, h = trapezoid(fps, rise=1.0, hold=0.5, lower=2.0, pause=0.5)
    up = np.flatnonzero(t <= 1.5)
    down = np.flatnonzero((t >= 2.0) & (t <= 4.0))
    assert ramp_time(t, h, up, 0.0, 1.0) == pytest.approx(0.8, abs=1e-9)
    assert ramp_time(t, h, down, 1.0, 0.0) == pytest.approx(1.6, abs=1e-9)
    assert math.isnan(ramp_time(t, h, up[:5], 0.0, 1.0))  # never reaches 90 %


def test_dwell_is_the_time_within_the_band_and_nan_counts_as_outside():
    t = np.arange(100) / 10.0
    hs = np.where((t >= 3.0) & (t <= 5.0), 1.0, 0.0)
    assert dwell(t, hs, 40, 1.0, 0.1, +1.0) == pytest.approx(2.0)
    assert dwell(t, hs, 10, 1.0, 0.1, +1.0) == 0.0  # not inside at i0
    assert dwell(t, hs, 10, 0.0, 0.1, -1.0) == pytest.approx(2.9)  # from the series' start
    hs[45] = np.nan
    assert dwell(t, hs, 40, 1.0, 0.1, +1.0) == pytest.approx(1.4)


def test_best_of_is_the_largest_3_rep_running_median_and_ignores_one_high_rep():
    assert best_of(np.array([1.0, 1.0, 5.0, 1.0, 1.0])) == 1.0
    assert best_of(np.array([1.0, 2.0, 3.0, 2.0])) == 2.0
    assert best_of(np.array([1.0, 3.0])) == 2.0


def test_running_mean3_takes_two_values_at_the_ends():
    np.testing.assert_allclose(running_mean3(np.array([3.0, 6.0, 9.0, 3.0])), [4.5, 6.0, 6.0, 6.0])
