"""`formcheck batch`: same reports as one by one (2 local workers, a Dask LocalCluster), resuming,
failing clips, output folders, index.html and summary.csv."""

from __future__ import annotations

import builtins
import csv
import dataclasses
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from formcheck.api import load_config
from formcheck.batch import DONE_FILE, BatchSettings, find_inputs, load_done, make_settings, plan_jobs, run_batch
from formcheck.batch.executors import run_local
from formcheck.cli import main
from formcheck.errors import InputError
from formcheck.io.landmarks_csv import save_landmarks_csv
from formcheck.pipeline import analyze_to_folder
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"a/set.csv": ("clean_side", 21), "b/set.csv": ("faults_side", 22), "fatigue.csv": ("fatigue", 23)}


@pytest.fixture(autouse=True)
def _no_real_history(tmp_path, monkeypatch):
    monkeypatch.setenv("FORMCHECK_HISTORY", str(tmp_path / "default-history.sqlite"))


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """Three good sets (two named set.csv in different folders), a broken video, a set with the legs unseen."""
    root = tmp_path_factory.mktemp("clips")
    for rel, (name, seed) in GOOD.items():
        series, _ = make_series(preset(name), view="side", corruption=MEDIAPIPE_LIKE, seed=seed)
        save_landmarks_csv(series, root / rel)
    (root / "b" / "broken.mp4").write_bytes(b"not a video")
    series, _ = make_series(preset("clean_side"), view="side", seed=24)
    vis = series.vis.copy()
    vis[:, 23:] = 0.05
    save_landmarks_csv(dataclasses.replace(series, vis=vis), root / "legs_unseen.csv")
    (root / "notes.csv").write_text("rep,comment\n1,fine\n")  # a CSV that is not landmarks: not an input
    return root


@pytest.fixture(scope="module")
def local_run(clips, tmp_path_factory) -> tuple[Path, int, str]:
    """The CLI on the folder with 2 local worker processes: (OUT, exit code, stdout)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("batch") / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["batch", str(clips), "-o", str(out), "--workers", "2", "--quiet"])
    return out, code, buf.getvalue()


def rows_by_input(out: Path, clips: Path) -> dict[str, dict[str, str]]:
    return {
        Path(r["input"]).relative_to(clips).as_posix(): r
        for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))
    }


def test_two_workers_give_the_same_reports_as_one_by_one(clips, local_run, tmp_path):
    out, _, _ = local_run
    rows = rows_by_input(out, clips)
    for rel in GOOD:
        row = rows[rel]
        assert row["status"] == "ok", row
        one = analyze_to_folder(clips / rel, tmp_path / rel.replace("/", "_"))
        for name in ("report.json", "reps.csv", "landmarks.csv"):  # byte for byte: no field differs
            assert (out / row["folder"] / name).read_bytes() == (one.out_dir / name).read_bytes(), (rel, name)
        report = one.data
        assert (int(row["reps"]), int(row["clean_reps"]), row["side"]) == (
            report["rep_count"],
            report["summary"]["clean_reps"],
            report["side"],
        )
        assert row["main_fault"] == (report["summary"]["most_frequent_fault"] or "")
        assert row["stop_set_rep"] == str((report["stop_set"] or {}).get("rep") or "")
    assert rows["b/set.csv"]["main_fault"] and rows["b/set.csv"]["stop_set_rep"]  # the faulty set shows them


def test_a_failing_clip_is_reported_and_the_others_finish(clips, local_run):
    out, code, stdout = local_run
    rows = rows_by_input(out, clips)
    assert code == 7
    assert {k: r["status"] for k, r in rows.items()} == {
        "fatigue.csv": "ok",
        "legs_unseen.csv": "failed",
        "a/set.csv": "ok",
        "b/broken.mp4": "failed",
        "b/set.csv": "ok",
    }
    assert rows["b/broken.mp4"]["exit_code"] == "2" and "broken.mp4 is a text file" in rows["b/broken.mp4"]["error"]
    assert rows["legs_unseen.csv"]["exit_code"] == "3" and "\n" not in rows["legs_unseen.csv"]["error"]
    assert "5 inputs: 3 analyzed, 0 already done, 2 failed" in stdout
    assert f"failed (exit 2) {clips / 'b' / 'broken.mp4'}" in stdout
    assert f"ignored 1 file that is not a video or a landmarks CSV: {clips / 'notes.csv'}\n" in stdout


def test_each_failure_is_printed_once_and_files_are_named_alike(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "sub" / "broken.mp4").write_bytes(b"not a video")
    for name in ("notes.txt", "garbage.csv", "sub/b.txt", "c.txt", "d.txt", "e.txt"):
        (tmp_path / "in" / name).write_text("rep,comment\n1,fine\n")
    assert main(["batch", "in", "-o", "out", "--workers", "1"]) == 7
    printed = capsys.readouterr()
    both = printed.out + printed.err
    assert both.count("broken.mp4 is a text file") == 1  # the message once, at the end
    assert "failed (exit 2) in/sub/broken.mp4: broken.mp4 is a text file" in printed.out
    assert "failed in/sub/broken.mp4 (exit 2)" in printed.err  # the live line names it the same way
    assert (
        "ignored 6 files that are not videos or landmarks CSVs: in/c.txt, in/d.txt, in/e.txt, in/garbage.csv, "
        "in/notes.txt and 1 more\n"
    ) in printed.out


def test_a_folder_given_twice_names_its_ignored_files_once_and_an_empty_search_names_them(tmp_path):
    """A folder given twice, or inside another one given, passes over each file once; a search that finds no
    input at all says which files it passed over."""
    from formcheck.batch.jobs import find_inputs
    from formcheck.errors import InputError

    a = tmp_path / "a"
    (a / "b").mkdir(parents=True)
    (a / "notes.txt").write_text("x")
    (a / "b" / "readme.md").write_text("x")
    (a / "clip.mp4").write_bytes(b"x")
    ignored: list[Path] = []
    assert find_inputs([a, a / "b", a], tmp_path / "out", ignored) == [a / "clip.mp4"]
    assert sorted(p.name for p in ignored) == ["notes.txt", "readme.md"]
    with pytest.raises(InputError, match=r"landmarks CSVs found in .* \(only readme\.md\)$"):
        find_inputs([a / "b"], tmp_path / "out", [])


def test_output_folders_never_collide_and_outputs_are_not_inputs(clips, local_run):
    out, _, _ = local_run
    rows = rows_by_input(out, clips)
    a, b = rows["a/set.csv"]["folder"], rows["b/set.csv"]["folder"]
    assert a != b and a.startswith("set-") and b.startswith("set-")
    assert json.loads((out / a / "report.json").read_text())["input"]["path"] == str(clips / "a" / "set.csv")
    # searching a folder that holds both the clips and OUT finds the clips only
    found = find_inputs([clips.parent.parent], out)
    assert {p for p in found if clips in p.parents} == {clips / rel for rel in rows}
    assert not any(out in p.parents for p in found)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [v for k, v in attrs if tag == "a" and k == "href"]


def _links(out: Path) -> list[str]:
    parser = _Links()
    parser.feed((out / "index.html").read_text(encoding="utf-8"))
    return parser.hrefs


def test_resuming_skips_done_clips_and_redoes_changed_ones(clips, local_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(local_run[0], out)
    rows = rows_by_input(out, clips)
    assert sorted(_links(out)) == sorted(f"{rows[rel]['folder']}/report.html" for rel in GOOD)  # each clip's page
    stamp = (out / rows["b/set.csv"]["folder"] / "report.json").stat().st_mtime_ns

    again = run_batch([clips / "a", clips / "b" / "set.csv", clips / "fatigue.csv"], out, workers=1)
    assert [r.status for r in again.results] == ["skipped"] * 3  # nothing ran: no worker process was started
    assert (out / rows["b/set.csv"]["folder"] / "report.json").stat().st_mtime_ns == stamp
    assert [r["reps"] for r in csv.DictReader((out / "summary.csv").open())] == [
        rows[rel]["reps"] for rel in ("a/set.csv", "b/set.csv", "fatigue.csv")
    ]

    [job], _ = plan_jobs([clips / "b" / "set.csv"])
    same = make_settings(out)
    assert load_done(job, same)["rep_count"] == int(rows["b/set.csv"]["reps"])
    for other in (
        make_settings(out, load_config(None, side="left")),  # another setting: redone
        dataclasses.replace(same, mediapipe_version="0.0.1"),
    ):  # another pose engine: redone for videos
        changed = other.fingerprint("video") != same.fingerprint("video")
        assert changed and (load_done(job, other) is None) == (other.config != same.config)
    record = (out / job.name / DONE_FILE).read_text()
    (out / job.name / DONE_FILE).write_text(record.replace(job.sha256, "0" * 64))  # the clip's bytes changed
    assert load_done(job, same) is None
    (out / job.name / DONE_FILE).write_text(record)
    assert load_done(job, same) is not None
    (out / job.name / "reps.csv").unlink()  # an unfinished folder: redone
    assert load_done(job, same) is None


def test_dask_local_cluster_gives_the_same_reports(clips, local_run, tmp_path):
    import distributed  # in the test extra: CI must have it (no skip)

    out = tmp_path / "dask"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        outcome = run_batch([clips / "a", clips / "b"], out, scheduler=cluster.scheduler_address)
    local = {k: r for k, r in rows_by_input(local_run[0], clips).items() if k[:2] in ("a/", "b/")}
    remote = rows_by_input(out, clips)
    ignore = {"seconds"}  # wall time per clip; nothing in the clips' folders differs
    assert {k: {c: v for c, v in r.items() if c not in ignore} for k, r in remote.items()} == {
        k: {c: v for c, v in r.items() if c not in ignore} for k, r in local.items()
    }
    assert outcome.count("ok") == 2 and outcome.count("failed") == 1 and len(remote) == 3
    for rel in ("a/set.csv", "b/set.csv"):
        folder = local[rel]["folder"]
        for name in ("report.json", "reps.csv", "landmarks.csv", DONE_FILE):
            a, b = (local_run[0] / folder / name).read_text(), (out / folder / name).read_text()
            if name == DONE_FILE:
                a, b = ({k: v for k, v in json.loads(x).items() if k != "seconds"} for x in (a, b))
            assert a == b, (rel, name)


def test_missing_dask_is_one_clear_line(clips, tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    code = main(["batch", str(clips / "a"), "-o", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "pip install 'formcheck[dask]'" in err[0]


def test_bad_batch_options_fail_before_any_work(clips, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["batch", str(clips), "-o", str(out), "--athlete", "sam", "--quiet"]) == 2
    assert "add --save" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "nothing-here"), "-o", str(out), "--quiet"]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no videos"):
        run_batch([empty], out)
    assert not out.exists()


# --- a worker process that dies ------------------------------------------------------------------


def test_a_clip_that_kills_its_worker_fails_alone(clips, tmp_path):
    from workers import crash_on_b

    inputs = [clips / rel for rel in GOOD]
    jobs, _ = plan_jobs(inputs)
    settings = BatchSettings(str(tmp_path))
    results = {Path(r.job.path).relative_to(clips).as_posix(): r for r in run_local(jobs, settings, 2, crash_on_b)}
    assert {k: r.status for k, r in results.items()} == {"a/set.csv": "ok", "b/set.csv": "failed", "fatigue.csv": "ok"}
    assert "crashed" in results["b/set.csv"].error


def test_a_clip_over_the_time_limit_fails_and_its_worker_is_replaced(clips, tmp_path):
    import time

    from workers import hang_on_slow

    from formcheck.batch.executors import TIMED_OUT

    slow = tmp_path / "in" / "slow.csv"
    slow.parent.mkdir()
    slow.write_bytes((clips / "a" / "set.csv").read_bytes() + b"\n")  # other bytes: not a duplicate
    inputs = [slow] + [clips / rel for rel in GOOD]
    jobs, _ = plan_jobs(inputs)
    settings = BatchSettings(str(tmp_path / "out"))
    start = time.monotonic()
    results = {
        Path(r.job.path).name if "slow" in r.job.path else Path(r.job.path).relative_to(clips).as_posix(): r
        for r in run_local(jobs, settings, 1, hang_on_slow, clip_timeout=20)
    }
    took = time.monotonic() - start
    assert {k: r.status for k, r in results.items()} == {
        "slow.csv": "failed",
        "a/set.csv": "ok",
        "b/set.csv": "ok",
        "fatigue.csv": "ok",
    }  # one worker: replaced, not blocked
    assert results["slow.csv"].exit_code == TIMED_OUT
    assert "--clip-timeout" in results["slow.csv"].error and "\n" not in results["slow.csv"].error
    assert took < 600  # the hung clip sleeps an hour


def test_clip_timeout_options_are_checked(tmp_path, capsys):
    from formcheck.cli import main

    assert main(["batch", str(tmp_path), "-o", str(tmp_path / "o"), "--clip-timeout", "0"]) == 2
    assert "--clip-timeout must be" in capsys.readouterr().err
    assert (
        main(
            [
                "batch",
                str(tmp_path),
                "-o",
                str(tmp_path / "o"),
                "--clip-timeout",
                "5",
                "--scheduler",
                "tcp://127.0.0.1:1",
            ]
        )
        == 2
    )
    assert "local workers" in capsys.readouterr().err


def test_the_summary_is_current_while_the_batch_runs(clips, tmp_path):
    from workers import quick_ok

    seen = []

    def look(result) -> None:
        seen.append([r["status"] for r in csv.DictReader((tmp_path / "summary.csv").open())])

    inputs = [clips / rel for rel in GOOD]
    outcome = run_batch(inputs, tmp_path, workers=1, on_result=look, job_func=quick_ok)
    assert seen == [["pending"] * 3, ["ok", "pending", "pending"], ["ok", "ok", "pending"]]
    assert [r.data["rep_count"] for r in outcome.results] == [3, 3, 7]  # quick_ok's answer: the stem's length
    assert [r["status"] for r in csv.DictReader((tmp_path / "summary.csv").open())] == ["ok"] * 3


# --- one real video, saved to the history --------------------------------------------------------


def test_a_real_video_batch_runs_the_model_resumes_and_saves(tmp_path, capsys):
    from conftest import ffmpeg

    from formcheck.history import load_sets

    clip = tmp_path / "in" / "short.mp4"
    clip.parent.mkdir()
    ffmpeg(
        "-i",
        str(ROOT / "sample_videos" / "clean_side.mp4"),
        "-t",
        "2.5",
        "-vf",
        "scale=270:480",
        "-c:v",
        "mpeg4",
        "-q:v",
        "4",
        "-metadata",
        "creation_time=2024-06-01T08:30:00Z",
        str(clip),
    )
    out, db = tmp_path / "out", tmp_path / "h.sqlite"
    args = [
        "batch",
        str(clip.parent),
        "-o",
        str(out),
        "--workers",
        "1",
        "--quiet",
        "--save",
        "--athlete",
        "kim",
        "--history",
        str(db),
    ]
    assert main(args) == 0
    [folder] = [p for p in out.iterdir() if p.is_dir()]
    report = json.loads((folder / "report.json").read_text())
    assert report["input"]["kind"] == "video" and report["versions"]["model_sha256"]
    with open(folder / "landmarks.csv", encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    assert report["input"]["frames"] == rows == 75 and report["input"]["detection_rate"] > 0.9
    [saved] = load_sets(db)
    assert (saved.athlete, saved.time_source, saved.performed_at.isoformat()) == (
        "kim",
        "metadata",
        "2024-06-01T08:30:00+00:00",
    )
    capsys.readouterr()
    assert main(args) == 0  # same video, same model and settings: skipped, saved again without a second copy
    assert "1 inputs: 0 analyzed, 1 already done, 0 failed" in capsys.readouterr().out
    assert len(load_sets(db)) == 1
    assert (report["input"]["pose_max_fps"], report["input"]["foot_track"]) == (30.0, True)

    plain = args[: args.index("--save")]
    for extra, frames, fps_cap, refined in (
        (["--max-fps", "15"], 38, 15.0, True),
        (["--no-foot-track"], 75, 30.0, False),
    ):
        capsys.readouterr()
        assert main(plain + extra) == 0  # another frame-rate cap or foot track: the pose run is redone
        assert "1 inputs: 1 analyzed, 0 already done, 0 failed" in capsys.readouterr().out
        report = json.loads((folder / "report.json").read_text())
        assert (report["input"]["frames"], report["input"]["pose_max_fps"], report["input"]["foot_track"]) == (
            frames,
            fps_cap,
            refined,
        )
        assert (refined and "left_heel_fx" in (folder / "landmarks.csv").read_text().splitlines()[0]) == refined
        assert main(plain + extra) == 0 and "0 analyzed, 1 already done" in capsys.readouterr().out


def test_the_batch_frame_rate_cap_defaults_to_analyzes():
    from formcheck.io.extract import DEFAULT_MAX_FPS, ExtractConfig

    assert BatchSettings("out").max_fps == DEFAULT_MAX_FPS == ExtractConfig().max_fps
    assert BatchSettings("out").foot_track == ExtractConfig().foot_track
