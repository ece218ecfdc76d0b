"""Outputs: atomic writes, full disks, unwritable folders, nothing already computed lost."""

from __future__ import annotations

import dataclasses
import errno
import json
import os

import cv2
import pytest
from conftest import write_clip

from formcheck.cli import main
from formcheck.errors import OutputError
from formcheck.io.landmarks_csv import load_landmarks_csv, save_landmarks_csv, save_landmarks_or_rescue
from formcheck.io.report_files import atomic_path, check_writable, write_atomic
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset


@pytest.fixture(scope="module")
def series():
    return make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=21)[0]


@pytest.fixture
def csv_input(series, tmp_path):
    return save_landmarks_csv(series, tmp_path / "in" / "set.csv")


def leftovers(folder):
    return sorted(p.name for p in folder.rglob(".*tmp*"))


def disk_full_after(monkeypatch, n_ok: int) -> None:
    """os.fsync succeeds n_ok times, then fails the way a full disk does."""
    calls = {"n": 0}
    real = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > n_ok:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: "), err
    return err[0]


def test_disk_full_is_exit_6_and_leaves_no_half_file(csv_input, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert main(["analyze", str(csv_input), "-o", str(out), "--quiet"]) == 0
    before = (out / "report.json").read_text()
    (out / "reps.csv").unlink()
    disk_full_after(monkeypatch, 1)  # landmarks.csv is written, then the disk is full
    assert main(["analyze", str(csv_input), "-o", str(out), "--quiet"]) == 6
    line = one_error_line(capsys)
    assert "report.json (No space left on device); free some disk space or choose another folder with -o" in line
    assert (out / "report.json").read_text() == before  # the old file is intact, never half-overwritten
    assert not (out / "reps.csv").exists()
    assert leftovers(out) == []


def test_ctrl_c_while_writing_leaves_no_temp_file(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(tmp_path / "report.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_output_folder_blocked_by_a_file_fails_before_extraction(tmp_path, capsys, monkeypatch):
    import formcheck.inputs as inputs

    clip = write_clip(tmp_path / "clip.mp4", 10, 30.0)
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the output folder should go")

    def no_model(*a, **k):
        raise AssertionError("the pose model must not run when the outputs cannot be written")

    monkeypatch.setattr(inputs, "PoseEstimator", no_model)
    assert main(["analyze", str(clip), "-o", str(blocker / "out"), "--quiet"]) == 6
    line = one_error_line(capsys)
    assert f"could not write to {blocker / 'out'} (" in line and "choose another folder with -o" in line
    assert blocker.read_text().startswith("a file")


def test_unwritable_folder_is_a_clear_error(tmp_path, capsys, monkeypatch, csv_input):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse the way a read-only one does
        import tempfile

        def refuse(*a, **k):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)
    try:
        assert main(["analyze", str(csv_input), "-o", str(locked), "--quiet"]) == 6
    finally:
        locked.chmod(0o700)
    line = one_error_line(capsys)
    assert f"could not write to {locked} (Permission denied); choose a folder you can write to with -o" in line
    assert list(locked.iterdir()) == []


def test_landmarks_are_rescued_when_their_folder_fails(series, tmp_path, monkeypatch):
    real_replace = os.replace
    out = tmp_path / "out"

    def replace(src, dst):
        if str(dst).startswith(str(out)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError) as info:
        save_landmarks_or_rescue(series, out / "landmarks.csv")
    message = str(info.value)
    assert "No space left on device" in message and "the landmarks were saved to " in message
    rescued = message.split("the landmarks were saved to ")[1].split(" instead")[0]
    try:
        back = load_landmarks_csv(rescued)
        assert len(back) == len(series) and (back.found == series.found).all()
        assert f"formcheck analyze {rescued}" in message
    finally:
        os.unlink(rescued)
    assert leftovers(out) == []


def test_binary_writers_inherit_atomic_writes(tmp_path):
    """A writer that picks its format from the extension (cv2.VideoWriter) writes into atomic_path's temp."""
    target = tmp_path / "annotated.mp4"
    with atomic_path(target) as tmp:
        assert tmp.suffix == ".mp4" and tmp.parent == tmp_path and tmp != target
        write_clip(tmp, 5, 30.0)
    assert [p.name for p in tmp_path.iterdir()] == ["annotated.mp4"]
    cap = cv2.VideoCapture(str(target))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 5
    cap.release()
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "other.mp4") as tmp:
            write_clip(tmp, 2, 30.0)
            raise RuntimeError("the renderer failed half way")
    assert [p.name for p in tmp_path.iterdir()] == ["annotated.mp4"]


def test_check_writable_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_report_json_is_complete_json_after_a_normal_run(csv_input, tmp_path):
    out = tmp_path / "o"
    assert main(["analyze", str(csv_input), "-o", str(out), "--quiet"]) == 0
    assert json.loads((out / "report.json").read_text())["rep_count"] == 6
    assert leftovers(out) == []


def test_ctrl_c_while_making_the_video_keeps_the_report_page_and_says_so(tmp_path, capsys, monkeypatch):
    """Ctrl-C while annotated.mp4 is being made: the report is done, so report.html is written too (without the
    video) and the one-line message says what is kept and how to make the video; exit 130, no half file."""
    import formcheck.pipeline as pipeline
    from formcheck.inputs import load_input

    series = make_series(preset("clean_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=21)[0]
    video = write_clip(tmp_path / "set.mp4", len(series), 30.0)
    loaded = load_input(save_landmarks_csv(series, tmp_path / "set.csv"))
    as_video = dataclasses.replace(loaded, info=dataclasses.replace(loaded.info, kind="video", path=str(video)))
    monkeypatch.setattr(pipeline, "load_input", lambda *a, **k: as_video)

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_write_video", interrupted)
    out = tmp_path / "out"
    assert main(["analyze", str(video), "-o", str(out), "--quiet"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("formcheck: error: interrupted while making annotated.mp4; ")
    assert "report.html" in err[0] and "run the same command again" in err[0]
    assert {p.name for p in out.iterdir()} == {"report.html", "report.json", "reps.csv", "landmarks.csv"}
    assert "The annotated video was not made" in (out / "report.html").read_text()
    assert json.loads((out / "report.json").read_text())["rep_count"] == 6
    # with --no-cache nothing was kept of the pose pass: the message does not promise it
    assert main(["analyze", str(video), "-o", str(tmp_path / "out2"), "--quiet", "--no-cache"]) == 130
    err = capsys.readouterr().err.strip()
    assert "(the pose pass runs again: --no-cache kept no copy)" in err and "cached)" not in err


@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_an_unusable_history_fails_before_the_analysis(csv_input, tmp_path, capsys, monkeypatch, command):
    import formcheck.batch
    import formcheck.pipeline

    def no_work(*a, **k):
        raise AssertionError("nothing may be analyzed when the set cannot be saved")

    monkeypatch.setattr(formcheck.pipeline, "analyze_to_folder", no_work)
    monkeypatch.setattr(formcheck.batch, "run_batch", no_work)
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the history's folder should go")
    db, out = blocker / "h.sqlite", tmp_path / "out"
    assert main([command, str(csv_input), "-o", str(out), "--quiet", "--save", "--history", str(db)]) == 6
    assert one_error_line(capsys) == (
        f"formcheck: error: could not open the history database {db} (Not a directory); pass --history PATH or "
        "set FORMCHECK_HISTORY"
    )
    assert not out.exists()
    new = tmp_path / "new" / "h.sqlite"  # a database that does not exist yet is fine and is not created early
    monkeypatch.setattr(formcheck.pipeline, "analyze_to_folder", lambda *a, **k: 1 / 0)
    monkeypatch.setattr(formcheck.batch, "run_batch", lambda *a, **k: 1 / 0)
    assert main([command, str(csv_input), "-o", str(out), "--quiet", "--save", "--history", str(new)]) == 1
    assert not new.parent.exists()
