"""Property-based fuzzing of the analysis core: any landmark series either analyzes into a sane,
JSON-safe report or is refused with one of formcheck's own errors; never another exception, never a hang.

Runs deterministically (derandomized) in CI.  For a long random hunt:
    FORMCHECK_FUZZ_EXAMPLES=2000 FORMCHECK_FUZZ_RANDOM=1 python3 -m pytest tests/test_fuzz_core.py
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formcheck.core.analyze import analyze_series
from formcheck.core.landmarks import N_LANDMARKS, LandmarkSeries
from formcheck.core.report import analysis_to_dict
from formcheck.core.signal.filters import grid_pieces
from formcheck.errors import FormcheckError
from formcheck.io.report_files import report_json_text
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

BASES = [
    make_series(preset(p), view=v, corruption=MEDIAPIPE_LIKE, seed=40)[0]
    for p, v in (
        ("clean_side", "side"),
        ("faults_side", "front"),
        ("step_on_off", "three_quarter"),
        ("front_faults", "back"),
    )
]
FPS = (0.5, 2.0, 10.0, 30.0, 60.0, 240.0, 1000.0, 1e6)
SCALES = (1e-9, 1e-3, 1.0, 1e3, 1e9)
EXAMPLES = int(os.environ.get("FORMCHECK_FUZZ_EXAMPLES", "0"))
FUZZ = dict(
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FORMCHECK_FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)


@st.composite
def timestamps(draw, n: int) -> np.ndarray:
    """Even, jittered or jumpy steps at 0.5 fps to 1 MHz, from t=0 up to t=1e9 s."""
    dt = np.full(n, 1.0 / draw(st.sampled_from(FPS)))
    if draw(st.booleans()):
        dt *= np.exp(np.random.default_rng(draw(st.integers(0, 99))).uniform(-0.4, 0.4, n))
    for _ in range(draw(st.integers(0, 3))):
        if n:
            dt[draw(st.integers(0, n - 1))] += draw(st.sampled_from((0.1, 1.0, 30.0, 1e4)))
    return np.cumsum(dt) - (dt[0] if n else 0.0) + draw(st.sampled_from((0.0, 100.0, 1e6, 1e9)))


def _nan_runs(rng: np.random.Generator, xy: np.ndarray, vis: np.ndarray, count: int) -> None:
    n = len(xy)
    for _ in range(count if n else 0):
        a = int(rng.integers(0, n))
        b = int(min(n, a + rng.integers(1, max(2, n // 2))))
        cols = slice(None) if rng.random() < 0.5 else rng.choice(N_LANDMARKS, rng.integers(1, 10), replace=False)
        xy[a:b, cols] = np.nan
        if rng.random() < 0.5:
            vis[a:b, cols] = np.nan


def _spikes(rng: np.random.Generator, xy: np.ndarray, count: int, size: float) -> None:
    for _ in range(count if len(xy) else 0):
        i = int(rng.integers(0, len(xy)))
        k = rng.choice(N_LANDMARKS, rng.integers(1, N_LANDMARKS), replace=False)
        with np.errstate(invalid="ignore"):  # 0 * inf
            xy[i, k] += rng.normal(size=(len(k), 2)) * size


VIS_MODES = {
    "keep": None,
    "random": lambda r, v: r.uniform(0, 1, v.shape),
    "zero": 0.0,
    "one": 1.0,
    "nan": np.nan,
    "half": 0.5,
    "wild": lambda r, v: r.uniform(-10, 10, v.shape),
}


@st.composite
def landmark_series(draw, deep: bool = False) -> LandmarkSeries:
    """A window of a realistic synthetic set, then NaN runs, frozen or constant signals, spikes (up to inf),
    tiny and huge scales, odd visibilities and timestamps."""
    base = draw(st.sampled_from(BASES))
    n = (
        draw(st.integers(len(base) // 3, len(base)))
        if deep
        else draw(st.one_of(st.integers(0, 6), st.integers(0, 120), st.integers(0, len(base))))
    )
    start = draw(st.integers(0, len(base) - n))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xy, z, vis = (a[start : start + n].copy() for a in (base.xy, base.z, base.vis))
    width, height = base.width, base.height
    if draw(st.booleans()):
        s = draw(st.sampled_from(SCALES))
        xy, z = xy * s, z * s
        width, height = (max(1, int(min(v * s, 1e7))) for v in (width, height))
    if n and draw(st.integers(0, 3 if deep else 1)) == 0:
        xy[:] = xy[0] if draw(st.booleans()) else draw(st.sampled_from((0.0, 1.0, 1e6)))  # frozen / constant
    _nan_runs(rng, xy, vis, draw(st.integers(0, 4)))
    _spikes(rng, xy, draw(st.integers(0, 5)), draw(st.sampled_from((50.0, 1e4, 1e12, np.inf))))
    mode = VIS_MODES[draw(st.sampled_from(["keep"] * (6 if deep else 1) + list(VIS_MODES)))]
    if mode is not None:
        vis = mode(rng, vis) if callable(mode) else np.full_like(vis, mode)
    return LandmarkSeries(t=draw(timestamps(n)), xy=xy, z=z, vis=vis, width=width, height=height)


def check_analysis(series: LandmarkSeries) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "mean of empty slice" on all-NaN input is fine
        try:
            analysis = analyze_series(series)
        except FormcheckError:
            return
    report = analysis_to_dict(analysis)
    text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"  # report.json must be writable
    assert report_json_text(report) == text  # the fast writer (orjson) gives json's own text
    times = [(r.times.t_start, r.times.t_end) for r in analysis.reps]
    assert all(np.isfinite(v) for pair in times for v in pair)
    assert all(a <= b for a, b in times) and all(b0 <= a1 + 1e-9 for (_, b0), (a1, _) in zip(times, times[1:]))
    if times:
        assert series.t[0] - 1e-9 <= times[0][0] and times[-1][1] <= series.t[-1] + 1e-9


@settings(max_examples=EXAMPLES or 150, **FUZZ)
@given(landmark_series())
def test_any_series_analyzes_or_is_refused_with_our_own_error(series):
    check_analysis(series)


@settings(max_examples=EXAMPLES or 60, **FUZZ)
@given(landmark_series(deep=True))
def test_long_perturbed_sets_reach_reps_and_faults_without_crashing(series):
    check_analysis(series)


@pytest.mark.parametrize("jump_s", [3.0, 1e4])
def test_a_time_jump_in_a_densely_sampled_series_does_not_hang(jump_s):
    """Found by the fuzzer: 60 frames a microsecond apart with one jump made a 10^10-point resampling grid."""
    base = BASES[0].slice(300, 360)
    dt = np.full(60, 1e-6)
    dt[30] += jump_s
    series = LandmarkSeries(t=np.cumsum(dt), xy=base.xy, z=base.z, vis=base.vis, width=base.width, height=base.height)
    check_analysis(series)
    assert grid_pieces(series.t) == [(0, 30), (30, 60)]


def test_ordinary_uneven_timestamps_stay_one_piece():
    t = np.cumsum(np.random.default_rng(0).uniform(0.02, 0.05, 900))
    t[500:] += 1.5  # a phone dropping frames for a second and a half
    assert grid_pieces(t) == [(0, 900)]
