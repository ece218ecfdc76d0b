"""`formcheck analyze`: outputs, report.json vs reps.csv, --json, config files, errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from formcheck.api import load_config
from formcheck.cli import main
from formcheck.core.config import AnalysisConfig
from formcheck.errors import InputError
from formcheck.io.landmarks_csv import save_landmarks_csv
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def landmarks_csv(tmp_path_factory) -> tuple[Path, object]:
    series, truth = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=11)
    path = tmp_path_factory.mktemp("lm") / "set.csv"
    save_landmarks_csv(series, path)
    return path, truth


def test_analyze_csv_writes_the_outputs_that_agree(landmarks_csv, tmp_path, capsys):
    path, truth = landmarks_csv
    out = tmp_path / "out"
    assert main(["analyze", str(path), "-o", str(out), "--quiet"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 1 and report["input"]["kind"] == "landmarks"
    assert report["rep_count"] == truth.n_reps == len(report["reps"])
    assert report["side"] == truth.side and report["views"][0]["view"] == "side"
    assert [r["index"] for r in report["reps"]] == list(range(1, truth.n_reps + 1))
    rows = list(csv.DictReader((out / "reps.csv").open()))
    assert len(rows) == report["rep_count"]
    for row, rep in zip(rows, report["reps"]):
        for key in ("t_start", "concentric_s", "eccentric_s", "top_pause_s", "bottom_pause_s"):
            assert float(row[key]) == pytest.approx(rep[key])
        assert float(row["heel_range_foot_angle_deg"]) == pytest.approx(rep["heel_range"]["foot_angle_deg"])
    assert (out / "landmarks.csv").exists()
    assert "reps" in capsys.readouterr().out


def test_json_flag_prints_the_report(landmarks_csv, tmp_path):
    path, truth = landmarks_csv
    proc = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(path), "-o", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["rep_count"] == truth.n_reps


def test_side_override_and_scale(landmarks_csv, tmp_path):
    path, _ = landmarks_csv
    out = tmp_path / "o"
    assert main(["analyze", str(path), "-o", str(out), "--quiet", "--side", "left", "--foot-cm", "26"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["side"] == "left" and report["config"]["scale"]["foot_cm"] == 26.0


def test_default_config_file_documents_exactly_the_defaults():
    assert load_config(ROOT / "formcheck" / "default_config.toml") == AnalysisConfig()


@pytest.mark.parametrize(
    "text, message",
    [
        ("[reps]\nhysteresis = 0.3\n", "unknown config key 'reps.hysteresis'"),
        ("[reps]\nhysteresis_frac = 'high'\n", "must be a number"),
        ("side = 'up'\n", "side must be"),
        ("[cleaning]\nlowpass_hz = 0\n", "config key 'cleaning.lowpass_hz' must be a positive number of Hz, got 0"),
        ("[stance]\nspeed_lowpass_hz = 0.0\n", "config key 'stance.speed_lowpass_hz' must be a positive number"),
        ("[reps\n", "not valid TOML"),
        ("[scale]\nfoot_cm = 250\n", r"config key 'scale.foot_cm' must be a foot's length in cm \(10-40\), got 250"),
        ("[scale]\nheight_cm = 5\n", r"config key 'scale.height_cm' must be a person's height in cm \(10-300\)"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_config(path)


def test_config_changes_the_analysis(landmarks_csv, tmp_path):
    path, truth = landmarks_csv
    cfg = tmp_path / "c.toml"
    cfg.write_text("[reps]\nmin_range = 5.0\n")  # no heel moves five shank lengths: no reps
    out = tmp_path / "o"
    assert main(["analyze", str(path), "-o", str(out), "--quiet", "--config", str(cfg)]) == 0
    assert json.loads((out / "report.json").read_text())["rep_count"] == 0


def test_nothing_to_analyze_exits_3_and_keeps_the_landmarks(tmp_path, capsys):
    series, _ = make_series(preset("clean_side"), view="side", seed=12)
    vis = series.vis.copy()
    vis[:, 23:] = 0.05
    import dataclasses

    path = save_landmarks_csv(dataclasses.replace(series, vis=vis), tmp_path / "legs_unseen.csv")
    assert main(["analyze", str(path), "-o", str(tmp_path / "o"), "--quiet"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "hips to the feet" in err[0]


def test_missing_input_and_bad_scale(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.mp4"), "--quiet"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "x.csv"), "--height-cm", "2", "--quiet"]) == 2


@pytest.mark.parametrize("px", ["50", "-1"])
def test_bad_video_size_is_a_one_line_error_before_any_work(tmp_path, capsys, px):
    assert main(["analyze", str(tmp_path / "x.mp4"), "--video-size", px, "--quiet", "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--video-size must be 0" in err[0]
    assert not (tmp_path / "o").exists()
