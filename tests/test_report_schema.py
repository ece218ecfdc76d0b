"""report.json's published JSON Schema: the reports formcheck makes match it, and broken ones do not.

Every report.json the other tests write is validated too (conftest.py sets FORMCHECK_VALIDATE_REPORTS=1)."""

from __future__ import annotations

import copy
import json

import pytest

pytest.importorskip("jsonschema")

from formcheck.core.config import AnalysisConfig
from formcheck.inputs import LoadedInput, series_info
from formcheck.pipeline import analyze_loaded
from formcheck.schema import ReportSchemaError, report_errors, report_schema, validate_report
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset


@pytest.fixture(scope="module")
def report() -> dict:
    """A report with faults (the faults_side set, synthetic with MediaPipe-like noise)."""
    series, _ = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    data = analyze_loaded(LoadedInput(series, series_info(series, None, None, "series")), AnalysisConfig()).to_dict()
    assert data["rep_count"] > 0 and any(r["faults"] for r in data["reps"])
    return data


def test_the_schema_is_shipped_in_the_package_and_is_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(report_schema())
    assert report_schema()["properties"]["schema_version"]["const"] == 1


def test_a_real_report_matches(report: dict) -> None:
    assert report_errors(report) == []


def test_the_sample_video_report_matches(clean_side_report: dict) -> None:
    assert report_errors(clean_side_report["report"]) == []


def broken(report: dict, change) -> dict:
    data = copy.deepcopy(report)
    change(data)
    return data


def _faulty_rep(d: dict) -> dict:
    return next(r for r in d["reps"] if r["faults"])


@pytest.mark.parametrize(
    "what,change,where",
    [
        ("a rep without its start", lambda d: d["reps"][0].pop("t_start"), "reps/0"),
        ("a negative phase time", lambda d: d["reps"][0].update(eccentric_s=-0.5), "reps/0/eccentric_s"),
        ("a fault of an unknown severity", lambda d: _faulty_rep(d)["faults"][0].update(severity="huge"), "severity"),
        ("a fault without its cue", lambda d: _faulty_rep(d)["faults"][0].pop("cue"), "faults/0"),
        ("a side that is no side", lambda d: d.update(side="middle"), "side"),
        ("a misspelt top-level field", lambda d: d.update(rep_cuont=3), "rep_cuont"),
        ("a sha256 that is not one", lambda d: d["input"].update(sha256="abc"), "input/sha256"),
        ("another schema version", lambda d: d.update(schema_version=2), "schema_version"),
        ("a summary without its clean reps", lambda d: d["summary"].pop("clean_reps"), "summary"),
    ],
)
def test_broken_reports_do_not_match(report: dict, what: str, change, where: str) -> None:
    errors = report_errors(broken(report, change))
    assert errors, what
    assert any(where in e for e in errors), errors
    with pytest.raises(ReportSchemaError, match="does not match report.schema.json"):
        validate_report(broken(report, change))


def test_new_fields_may_appear_on_reps_faults_and_the_summary(report: dict) -> None:
    def add(d: dict) -> None:
        rep = _faulty_rep(d)
        rep.update(vs_set={"rise_vs_best": 0.9}, tracking_quality=0.8, lowering_speed=1.2, start_level=0.1)
        rep["uncertain"] = [dict(rep["faults"][0], confidence=0.4)]
        rep["faults"][0].update(
            measure="lower_s",
            confidence=0.9,
            **{"and": [{"measure": "bottom_pause_s", "value": 0.05, "threshold": 0.15}]},
        )
        d["summary"]["new_figure"] = 1

    assert report_errors(broken(report, add)) == []


def test_the_test_switch_validates_every_report_written(report: dict, tmp_path, monkeypatch) -> None:
    from formcheck.io.report_files import save_report_json

    monkeypatch.setenv("FORMCHECK_VALIDATE_REPORTS", "1")
    with pytest.raises(ReportSchemaError):
        save_report_json(broken(report, lambda d: d.pop("reps")), tmp_path / "report.json")
    assert not (tmp_path / "report.json").exists()
    save_report_json(report, tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_text())["rep_count"] == report["rep_count"]
