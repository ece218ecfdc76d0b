"""report.json text is exactly json.dumps(indent=2, ensure_ascii=False, allow_nan=False), written faster."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from formcheck.core.analyze import analyze_series
from formcheck.core.report import analysis_to_dict
from formcheck.io.report_files import report_json_text
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset


def reference(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.mark.parametrize("obj", [
    {"a": 1, "b": [1.5, None, True, False, "x\u00e9\n\"\\", [], {}], "c": {"d": [{"e": 1e-05}, {"f": -0.0}]}},
    {"t": (1, 2), "big": 2 ** 70, "tiny": 5e-324, "s": "nan", "nested": [[[{}]]]},
    [], {}, "text", 1.0, 3, None, True,
])
def test_the_same_text_as_json(obj):
    assert report_json_text(obj) == reference(obj)


@pytest.mark.parametrize("obj", [{"k": math.nan}, [math.inf], {"a": {"b": -math.inf}}, {1: "key not a str"},
                                 {"np": np.float64(0.1)}, {"np": np.int64(3)}, {"set": {1}}])
def test_values_json_treats_its_own_way_are_left_to_it(obj):
    try:
        expected = reference(obj)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            report_json_text(obj)
    else:
        assert report_json_text(obj) == expected


def test_a_real_report():
    series, _ = make_series(preset("faults_side"), corruption=MEDIAPIPE_LIKE, seed=1)
    data = analysis_to_dict(analyze_series(series))
    assert report_json_text(data) == reference(data)
