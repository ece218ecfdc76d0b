"""The command line: one-line errors with exit codes, extract writes the documented CSV."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from conftest import write_clip
from formcheck.cli import main
from formcheck.io.landmarks_csv import load_landmarks_csv


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "formcheck", *args], capture_output=True, text=True, timeout=300)


def test_extract_writes_a_csv_with_a_gap_per_frame_without_a_person(tmp_path):
    clip = write_clip(tmp_path / "empty.mp4", 12, 30.0)
    out = tmp_path / "lm.csv"
    proc = run_cli("extract", str(clip), "-o", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "12 frames, pose found in 0.0%" in proc.stdout
    assert "Traceback" not in proc.stderr and "INFO:" not in proc.stderr  # MediaPipe's log lines are hidden
    series = load_landmarks_csv(out)
    assert len(series) == 12 and not series.found.any()
    np.testing.assert_allclose(series.t, np.arange(12) / 30, atol=1e-3)


def test_bad_input_is_one_line_with_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "notes.mp4"
    bad.write_text("hello")
    assert main(["extract", str(bad), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error:") and "notes.mp4" in err[0]


def test_missing_model_exit_code_4(tmp_path, capsys):
    clip = write_clip(tmp_path / "c.mp4", 3, 30.0)
    assert main(["extract", str(clip), "--model", str(tmp_path / "x.task"), "--quiet"]) == 4
    assert "--model" in capsys.readouterr().err


def test_core_never_imports_cv2_or_mediapipe():
    code = ("import sys, pkgutil, importlib, formcheck.core as c\n"
            "for m in pkgutil.walk_packages(c.__path__, 'formcheck.core.'): importlib.import_module(m.name)\n"
            "bad = [m for m in ('cv2', 'mediapipe') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_extract_twice_uses_the_landmark_cache_unless_no_cache(tmp_path, landmark_cache_in_tmp):
    clip = write_clip(tmp_path / "c.mp4", 6, 30.0)
    out = tmp_path / "lm.csv"
    first = run_cli("extract", str(clip), "-o", str(out), "--quiet")
    assert first.returncode == 0 and "cache" not in first.stdout
    second = run_cli("extract", str(clip), "-o", str(out), "--quiet")
    assert second.returncode == 0 and "landmarks from the cache" in second.stdout
    third = run_cli("extract", str(clip), "-o", str(out), "--quiet", "--no-cache")
    assert third.returncode == 0 and "cache" not in third.stdout
    assert len(load_landmarks_csv(out)) == 6


def test_max_fps_keeps_frames_by_timestamp_and_rejects_nonsense(tmp_path):
    clip = write_clip(tmp_path / "c60.mp4", 12, 60.0)
    out = tmp_path / "lm.csv"
    assert run_cli("extract", str(clip), "-o", str(out), "--quiet", "--max-fps", "30").returncode == 0
    assert load_landmarks_csv(out).frame.tolist() == [0, 2, 4, 6, 8, 10]
    assert run_cli("extract", str(clip), "-o", str(out), "--quiet", "--max-fps", "0").returncode == 0
    assert len(load_landmarks_csv(out)) == 12
    bad = run_cli("extract", str(clip), "-o", str(out), "--max-fps", "-3")
    assert bad.returncode == 2 and "--max-fps" in bad.stderr and "Traceback" not in bad.stderr
