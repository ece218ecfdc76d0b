"""Every rep measured at once (core/fault_measure.py, core/windows.py) gives, value for value, what the
one-rep functions of core/fault_rules.py give."""
from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
import pytest

from formcheck.core.analyze import Analysis, analyze_series
from formcheck.core.fault_measure import dwells, holds_all, posture_changes_all, rep_levels_all
from formcheck.core.fault_rules import dwell, holds, posture_changes, rep_levels, smooth_heel
from formcheck.core.filters import small_median, time_window
from formcheck.core.metrics import forward_sign
from formcheck.core.windows import windows, windows_in_time
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset


@lru_cache(maxsize=None)
def analysis(name: str, view: str) -> Analysis:
    series, _ = make_series(preset(name), view=view, corruption=MEDIAPIPE_LIKE, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return analyze_series(series)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@pytest.mark.parametrize("name,view", [("faults_side", "side"), ("step_on_off", "side"), ("front_faults", "front")])
def test_all_reps_at_once_equal_one_rep_at_a_time(name, view):
    a = analysis(name, view)
    t, side = a.t, a.signal_side
    h = np.where(np.isfinite(a.h), a.h, np.nan)
    hs = smooth_heel(t, h)
    # the reps' times, and the same times shifted so the windows run off the stance and the series
    times = [r.times for r in a.reps] + [type(r.times)(*(x + dt if isinstance(x, float) else x
                                                           for x in vars(r.times).values()))
                                         for r in a.reps for dt in (-2.0, 40.0)]
    batch = rep_levels_all(t, hs, times, h)
    single = [rep_levels(t, hs, p, h) for p in times]
    assert [b is None for b in batch] == [s is None for s in single] and any(s is not None for s in single)
    for b, s in zip(batch, single):
        if s is not None:
            assert all(same(x, y) for x, y in zip(vars(b).values(), vars(s).values()))
    levels = [s for s in single if s is not None]
    keep = [p for p, s in zip(times, single) if s is not None]
    nxt = [lev.rise_s * 1.5 for lev in levels]
    travel = float(np.median([lev.top - lev.bottom for lev in levels]))
    top, bottom = holds_all(t, hs, levels, nxt, travel)
    assert np.isfinite(top).sum() >= 5 and np.isfinite(bottom).sum() >= 5
    for k, lev in enumerate(levels):
        assert all(same(x, y) for x, y in zip((top[k], bottom[k]), holds(t, hs, lev, nxt[k], travel)))
    forward = forward_sign(a.tracks, side, 0, len(t))
    for b, s in zip(posture_changes_all(a.tracks, side, forward, keep, levels),
                    [posture_changes(a.tracks, side, forward, p, lev) for p, lev in zip(keep, levels)]):
        assert b.keys() == s.keys() and all(same(b[k], s[k]) for k in s)


def test_dwells_longer_than_the_scan_and_at_the_ends():
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.02, 0.04, 400))
    hs = np.concatenate([np.zeros(150), np.linspace(0, 1, 50), np.ones(200)]) + rng.normal(0, 0.01, 400)
    hs[rng.random(400) < 0.02] = np.nan
    i0 = np.array([0, 5, 100, 149, 175, 260, 399, 300])
    for sign, level in ((-1.0, 0.0), (1.0, 1.0)):
        got = dwells(t, hs, i0, np.full(len(i0), level), 0.05, sign)
        assert list(got) == [dwell(t, hs, int(i), level, 0.05, sign) for i in i0]


def test_window_statistics_equal_the_one_window_ones():
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.uniform(0.02, 0.04, 300))
    x = rng.normal(size=300)
    x[rng.random(300) < 0.2] = np.nan
    x[:20] = np.nan
    x[50] = np.inf
    a = rng.uniform(-1, t[-1] + 1, 200)
    b = a + rng.uniform(-0.1, 0.5, 200)
    w = windows_in_time(t, x, a, b)
    for k in range(200):
        part = x[time_window(t, a[k], b[k])]
        part = part[np.isfinite(part)]
        if part.size:
            assert (w.min()[k], w.max()[k], w.median()[k]) == (part.min(), part.max(), small_median(part))
        else:
            assert np.isnan([w.min()[k], w.max()[k], w.median()[k]]).all()
    starts = rng.integers(0, 300, 100)
    ww = windows(x, starts, starts + rng.integers(0, 30, 100))
    for k, (s, e) in enumerate(zip(starts, starts + np.diff(ww.bounds))):
        pos = ww.pos[ww.bounds[k]:ww.bounds[k + 1]]
        if pos.size:
            assert ww.argmax()[k] == pos[np.argmax(x[pos])] and ww.argmin()[k] == pos[np.argmin(x[pos])]


def test_windows_without_samples():
    x = np.array([np.nan, 1.0, np.nan, np.nan])
    w = windows(x, np.array([0, 2, 3]), np.array([1, 4, 3]))
    assert list(w.argmax()) == [-1, -1, -1] and np.isnan(w.min()).all() and np.isnan(w.median()).all()
    assert list(windows(x, np.array([0]), np.array([4])).argmin()) == [1]


def test_set_level_running_statistics_match_their_per_window_definitions():
    """best_of (largest 3-value running median) and running_mean3 (np.mean of each centred window, two
    values at the ends) computed at once give the per-window values exactly, at any length."""
    from formcheck.core.fault_rules import best_of, running_mean3

    rng = np.random.default_rng(5)
    for n in range(3, 40):
        v = rng.normal(0.8, 0.2, n) * 10.0 ** rng.integers(-3, 3)
        v[rng.random(n) < 0.2] = v[0]  # ties
        assert best_of(v) == max(float(np.median(v[k - 1:k + 2])) for k in range(1, n - 1))
        want = [float(np.mean(v[max(0, k - 1):k + 2])) for k in range(n)]
        np.testing.assert_array_equal(running_mean3(v), want)


def test_rep_metrics_of_reps_from_stances_facing_both_ways_equal_one_rep_at_a_time():
    """rep_metrics of all reps at once, each with its own stance's forward sign and foot length, gives what
    measuring each rep alone with those values gives (as when stances were measured one by one)."""
    from formcheck.core.config import ScaleConfig
    from formcheck.core.metrics import foot_length_px, rep_metrics

    a = analysis("faults_side", "side")
    side, times = a.signal_side, [r.times for r in a.reps]
    views = [r.view for r in a.reps]
    forward = np.array([1.0 if k % 3 else -1.0 for k in range(len(times))])
    foot = foot_length_px(a.tracks, side, 0, len(a.t))
    foot_px = np.array([foot if k % 4 else np.nan for k in range(len(times))])  # NaN: no foot length there
    scale = ScaleConfig()
    together = rep_metrics(a.tracks, side, views, a.h, foot_px, forward, scale, times)
    for k in range(len(times)):
        one = slice(k, k + 1)
        alone = rep_metrics(a.tracks, side, views[one], a.h, float(foot_px[k]), float(forward[k]), scale, times[one])
        assert together[k] == alone[0]
    assert together[0]["heel_range"]["foot_angle_deg"] is None and together[1]["heel_range"]["foot_angle_deg"] is not None
    facing_on = rep_metrics(a.tracks, side, views[:1], a.h, foot, 1.0, scale, times[:1])[0]
    assert together[0]["trunk_lean_top_deg"] == -facing_on["trunk_lean_top_deg"]
