"""End to end on the rendered sample videos: video -> MediaPipe -> reps, against exact truth."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from formcheck.cli import main
from formcheck.synth import load_truth

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


@pytest.fixture(scope="module")
def clean_side_report(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("clean_side")
    assert main(["analyze", str(SAMPLES / "clean_side.mp4"), "-o", str(out), "--quiet", "--no-video"]) == 0
    return json.loads((out / "report.json").read_text())


def test_clean_side_video_matches_its_truth(clean_side_report):
    truth = load_truth(SAMPLES / "clean_side.truth.json")
    report = clean_side_report
    assert report["input"]["kind"] == "video" and report["input"]["detection_rate"] > 0.95
    assert report["rep_count"] == truth.n_reps
    assert report["side"] == truth.side and [v["view"] for v in report["views"]] == ["side"]
    for key in ("concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s"):
        errors = [rep[key] - getattr(tr, key) for rep, tr in zip(report["reps"], truth.reps)]
        assert abs(np.median(errors)) <= 0.2, (key, errors)
    np.testing.assert_allclose([r["t_start"] for r in report["reps"]], [r.t_start for r in truth.reps], atol=0.2)
