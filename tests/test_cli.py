"""The command line: one-line errors with exit codes, extract writes the documented CSV."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
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
    code = (
        "import sys, pkgutil, importlib, formcheck.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'formcheck.core.'): importlib.import_module(m.name)\n"
        "bad = [m for m in ('cv2', 'mediapipe') if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_until_frames(args: list[str], frames: int, timeout: float = 120.0) -> tuple[int, str]:
    """Run the CLI with its stderr on a pseudo-terminal (so the live progress bar is drawn), press Ctrl-C
    (SIGINT) once the bar shows `frames` frames done; returns (exit code, everything it printed on stderr)."""
    import os
    import pty
    import re
    import select
    import signal
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "formcheck", *args], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    text, sent, deadline = "", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 4096).decode("utf-8", "replace")
            except OSError:  # the child closed the terminal
                break
            text += chunk
            done = [int(m) for m in re.findall(r"(\d+)/\d+", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text))]
            if not sent and done and max(done) >= frames:
                proc.send_signal(signal.SIGINT)
                sent = True
        elif proc.poll() is not None:
            break
    code = proc.wait(timeout=30)
    os.close(master)
    assert sent, f"the progress bar never reached {frames} frames:\n{text}"
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def test_ctrl_c_during_extraction_keeps_the_landmarks_and_says_how_to_use_them(tmp_path):
    import json
    from pathlib import Path

    from conftest import ffmpeg

    from formcheck.synth import load_truth

    pytest.importorskip("pty")
    samples = Path(__file__).resolve().parents[1] / "sample_videos"
    clip = tmp_path / "set.mp4"
    ffmpeg(
        "-t",
        "7.5",
        "-i",
        str(samples / "clean_side.mp4"),
        "-vf",
        "fps=10",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        str(clip),
    )  # 75 frames
    out = tmp_path / "out"
    code, err = run_until_frames(["analyze", str(clip), "-o", str(out)], frames=66)
    saved = out / "landmarks.csv"
    lines = [ln.strip() for ln in err.splitlines() if "formcheck:" in ln]
    assert code == 130 and len(lines) == 1, err
    n = len(load_landmarks_csv(saved))
    assert 66 <= n < 75
    assert lines[0] == (
        f"formcheck: error: interrupted after {n} frames ({(n - 1) / 10:.1f} s of video); the landmarks "
        f"so far are saved in {saved}; see the reps so far with: formcheck analyze {saved}"
    )
    assert not (out / "report.json").exists() and not list(out.glob(".*tmp*"))
    # the partial result, as the message says: rep 1 (2.8-6.1 s) is in it
    assert main(["analyze", str(saved), "-o", str(tmp_path / "partial"), "--quiet"]) == 0
    report = json.loads((tmp_path / "partial" / "report.json").read_text())
    first = load_truth(samples / "clean_side.truth.json").reps[0]
    assert report["rep_count"] >= 1 and abs(report["reps"][0]["t_start"] - first.t_start) < 0.35


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


@pytest.mark.parametrize(
    "argv, command, what",
    [
        (["analyze", "x.mp4", "--side", "middle"], "formcheck analyze", "argument --side: invalid choice: 'middle'"),
        (["analyze", "x.mp4", "--max-fps", "abc"], "formcheck analyze", "argument --max-fps: invalid float value"),
        (["cache", "frobnicate"], "formcheck cache", "invalid choice: 'frobnicate' (choose from 'info', 'clear')"),
        (["frobnicate"], "formcheck", "argument COMMAND: invalid choice: 'frobnicate'"),
        (["analyze"], "formcheck analyze", "the following arguments are required: input"),
        (["analyze", "x.mp4", "--bogus"], "formcheck analyze", "unrecognized arguments: --bogus"),
        (["--bogus"], "formcheck", "unrecognized arguments: --bogus"),
        (["--bogus", "analyze", "x.mp4"], "formcheck", "unrecognized arguments: --bogus"),
        (["cache", "frobnicate"], "formcheck cache", "argument ACTION: invalid choice"),
    ],
)
def test_option_errors_are_one_line_without_the_usage_block(argv, command, what, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: ") and "usage:" not in err[0], err
    assert what in err[0] and err[0].endswith(f"; see {command} --help")


def test_help_keeps_its_usage_and_side_ignores_case(capsys):
    from formcheck.cli import build_parser

    with pytest.raises(SystemExit) as info:
        main(["analyze", "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: formcheck analyze [-h]")
    assert build_parser().parse_args(["analyze", "x.mp4", "--side", "LEFT"]).side == "left"


def test_foot_cm_must_be_a_length_a_foot_has(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["analyze", str(tmp_path / "x.csv"), "--foot-cm", "250", "--quiet", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: --foot-cm must be a foot's length in cm (10-40;")
    assert "got 250; measure the working foot from heel to toe" in err[0] and not out.exists()
    assert main(["batch", str(tmp_path), "-o", str(out), "--foot-cm", "41", "--quiet"]) == 2
    assert "--foot-cm must be" in capsys.readouterr().err


@pytest.mark.parametrize("fps", ["1", "9.5", "-3"])
def test_max_fps_below_10_is_refused_before_any_work(tmp_path, capsys, fps):
    out = tmp_path / "o"
    assert main(["analyze", str(tmp_path / "x.mp4"), "--max-fps", fps, "--quiet", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"formcheck: error: --max-fps must be 0 (every frame) or 10-1000 frames per second, got {fps}: rep phases "
        "cannot be timed below 10 fps; leave it out for the default, 30"
    ]
    assert not out.exists()
