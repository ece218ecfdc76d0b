"""The training history: round trip, re-saving, schema migration, two concurrent writers, clip times."""

from __future__ import annotations

import copy
import json
import multiprocessing
import os
import sqlite3
import struct
from datetime import datetime, timezone

import pytest

from formcheck.api import analyze
from formcheck.errors import InputError
from formcheck.history import SCHEMA_VERSION, load_sets, mp4_creation_time, open_history, save_set
from formcheck.history.cliptime import MP4_EPOCH, clip_time
from formcheck.history.db import schema_version, set_key
from formcheck.synth import MEDIAPIPE_LIKE, make_series, preset

UTC = timezone.utc


@pytest.fixture(autouse=True)
def _no_real_history(tmp_path, monkeypatch):
    """Never touch the user's real history database."""
    monkeypatch.setenv("FORMCHECK_HISTORY", str(tmp_path / "default-history.sqlite"))


@pytest.fixture(scope="module")
def faults_report() -> dict:
    """A left-leg set with faults on known reps, as report.json, with a made-up input sha256."""
    series, _ = make_series(preset("faults_side"), view="side", corruption=MEDIAPIPE_LIKE, seed=3)
    data = analyze(series).to_dict()
    data["input"].update(path="/clips/sam-left.mp4", sha256="a" * 64)
    return data


def with_sha(report: dict, sha: str) -> dict:
    out = copy.deepcopy(report)
    out["input"]["sha256"] = sha
    return out


def test_a_saved_set_reads_back_exactly(tmp_path, faults_report):
    db = tmp_path / "h.sqlite"
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    saved = save_set(db, faults_report, athlete="sam", performed_at=when)
    assert (saved.replaced, saved.time_source, saved.key) == (False, "given", "a" * 64)
    [rec] = load_sets(db)
    assert (rec.athlete, rec.side, rec.performed_at, rec.source) == ("sam", "left", when, "/clips/sam-left.mp4")
    summary = faults_report["summary"]
    assert (rec.rep_count, rec.clean_reps, rec.main_fault) == (
        faults_report["rep_count"],
        summary["clean_reps"],
        summary["most_frequent_fault"],
    )
    assert rec.stop_set_rep == (faults_report["stop_set"] or {}).get("rep")
    assert len(rec.reps) == faults_report["rep_count"] > 5
    for got, rep in zip(rec.reps, faults_report["reps"]):
        assert got.index == rep["index"]
        for key in ("t_start", "concentric_s", "top_pause_s", "eccentric_s", "bottom_pause_s", "time_under_tension_s"):
            assert getattr(got, key) == rep[key]
        assert (got.heel_angle_deg, got.heel_shank_frac) == (
            rep["heel_range"]["foot_angle_deg"],
            rep["heel_range"]["shank_frac"],
        )
        assert got.faults == tuple(f["id"] for f in rep["faults"])
        for f in rep["faults"]:
            assert rec.fault_severity[(rep["index"], f["id"])] == f["severity"]
    assert sum(len(r.faults) for r in rec.reps) > 0
    assert rec.report(db) == faults_report


def test_resaving_the_same_input_replaces_it(tmp_path, faults_report):
    db = tmp_path / "h.sqlite"
    save_set(db, faults_report, athlete="sam", performed_at=datetime(2024, 1, 1, tzinfo=UTC))
    again = save_set(db, faults_report, athlete="Sam", performed_at=datetime(2024, 1, 2, tzinfo=UTC))
    other = save_set(db, with_sha(faults_report, "b" * 64), athlete="Sam")
    assert again.replaced and not other.replaced
    sets = load_sets(db)
    assert [(s.key, s.athlete) for s in sets] == [("a" * 64, "Sam"), ("b" * 64, "Sam")]
    assert sets[0].performed_at == datetime(2024, 1, 2, tzinfo=UTC)
    with open_history(db) as conn:  # no orphan reps or faults from the replaced set
        n_reps = conn.execute("SELECT COUNT(*) FROM reps").fetchone()[0]
        n_faults = conn.execute("SELECT COUNT(*) FROM rep_faults").fetchone()[0]
    assert n_reps == 2 * faults_report["rep_count"]
    assert n_faults == 2 * sum(len(r["faults"]) for r in faults_report["reps"])
    assert load_sets(db, athlete="sam") == []


def test_a_report_without_input_sha_is_keyed_by_its_content(tmp_path, faults_report):
    live = with_sha(faults_report, None)
    live["input"]["path"] = None
    db = tmp_path / "h.sqlite"
    first = save_set(db, live)
    assert save_set(db, live).replaced and first.key.startswith("report:") and first.time_source == "saved"
    assert [s.athlete for s in load_sets(db)] == ["me"]


def _insert_v1_set(conn: sqlite3.Connection, report: dict, key: str) -> None:
    """What formcheck's first history schema stored (fault ids joined by ';')."""
    cur = conn.execute(
        "INSERT INTO sets (set_key, athlete, side, performed_at, source, rep_count, clean_reps,"
        " stop_set_rep, main_fault, report_json, saved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            key,
            "old",
            report["side"],
            "2023-03-04T05:06:07+00:00",
            None,
            report["rep_count"],
            report["summary"]["clean_reps"],
            None,
            report["summary"]["most_frequent_fault"],
            json.dumps(report),
            "2023-03-04T05:06:07+00:00",
        ),
    )
    for rep in report["reps"]:
        conn.execute(
            "INSERT INTO reps (set_id, rep_index, eccentric_s, heel_angle_deg, faults) VALUES (?,?,?,?,?)",
            (
                cur.lastrowid,
                rep["index"],
                rep["eccentric_s"],
                rep["heel_range"]["foot_angle_deg"],
                ";".join(f["id"] for f in rep["faults"]),
            ),
        )


def test_an_old_schema_database_is_migrated_and_keeps_its_sets(tmp_path, faults_report):
    db = tmp_path / "old.sqlite"
    with open_history(db, upto=1) as conn:
        assert schema_version(conn) == 1
        assert "time_source" not in [r[1] for r in conn.execute("PRAGMA table_info(sets)")]
        _insert_v1_set(conn, faults_report, "c" * 64)
    assert SCHEMA_VERSION == 2
    [old] = load_sets(db)  # opening migrates
    with open_history(db) as conn:
        assert schema_version(conn) == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (old.athlete, old.time_source, old.performed_at) == (
        "old",
        "unknown",
        datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    expected = {(r["index"], f["id"]): f["severity"] for r in faults_report["reps"] for f in r["faults"]}
    assert old.fault_severity == expected and len(expected) > 0  # backfilled from the stored report
    assert [r.eccentric_s for r in old.reps] == [r["eccentric_s"] for r in faults_report["reps"]]
    save_set(db, faults_report, athlete="new")  # the migrated database takes new sets
    assert [s.athlete for s in load_sets(db)] == ["old", "new"]


def test_a_newer_schema_is_refused_with_a_clear_error(tmp_path):
    db = tmp_path / "future.sqlite"
    sqlite3.connect(db).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(InputError, match="newer than this formcheck"):
        load_sets(db)


def test_two_processes_writing_at_once_never_corrupt_it(tmp_path, faults_report):
    db = str(tmp_path / "busy.sqlite")  # created by the racing writers themselves
    from workers import write_many

    n = 12
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=write_many, args=(db, faults_report, tag, n, barrier)) for tag in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
    assert [p.exitcode for p in procs] == [0, 0]
    sets = load_sets(db)
    assert len(sets) == 2 * n + 1
    assert sorted(s.athlete for s in sets).count("p1") in (n, n + 1)
    assert all(len(s.reps) == faults_report["rep_count"] for s in sets)
    with open_history(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT COUNT(*) FROM reps").fetchone()[0] == (2 * n + 1) * faults_report["rep_count"]


# --- when a clip was filmed ---------------------------------------------------------------------


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _mvhd(seconds: int, version: int = 0) -> bytes:
    if version == 1:
        body = bytes([1, 0, 0, 0]) + struct.pack(">QQIQ", seconds, seconds, 1000, 5000)
    else:
        body = bytes(4) + struct.pack(">IIII", seconds, seconds, 1000, 5000)
    return _box(b"mvhd", body + bytes(80))


@pytest.mark.parametrize("version", [0, 1])
def test_mvhd_creation_time_after_a_large_mdat(tmp_path, version):
    when = datetime(2024, 2, 29, 18, 30, 5, tzinfo=UTC)
    seconds = int((when - MP4_EPOCH).total_seconds())
    large_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + 3000) + bytes(3000)  # 64-bit size form
    data = (
        _box(b"ftyp", b"isom" + bytes(4))
        + large_mdat
        + _box(b"moov", _box(b"udta", bytes(12)) + _mvhd(seconds, version))
    )
    path = tmp_path / "clip.mp4"
    path.write_bytes(data)
    assert mp4_creation_time(path) == when
    assert clip_time(path) == (when, "metadata")


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b"not a video at all, just text",
        _box(b"ftyp", b"isom") + _box(b"moov", _mvhd(0)),  # creation time unset
        _box(b"ftyp", b"isom") + _box(b"moov", _mvhd(5)),  # 1904: garbage
        _box(b"ftyp", b"isom") + struct.pack(">I4s", 9999, b"moov"),  # truncated
    ],
)
def test_no_usable_metadata_falls_back_to_the_file_time(tmp_path, content):
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    stamp = datetime(2022, 8, 9, 10, 11, 12, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    assert mp4_creation_time(path) is None
    assert clip_time(path) == (datetime.fromtimestamp(stamp, UTC), "file_mtime")


def test_ffmpeg_creation_time_is_read_and_saved(tmp_path, faults_report):
    from conftest import ffmpeg, write_clip

    raw = write_clip(tmp_path / "raw.mp4", 10, 30.0)
    clip = tmp_path / "tagged.mp4"
    ffmpeg("-i", str(raw), "-c", "copy", "-metadata", "creation_time=2023-11-12T13:14:15Z", str(clip))
    report = with_sha(faults_report, "d" * 64)
    report["input"]["path"] = str(clip)
    saved = save_set(tmp_path / "h.sqlite", report)
    assert (saved.performed_at, saved.time_source) == (datetime(2023, 11, 12, 13, 14, 15, tzinfo=UTC), "metadata")
    assert load_sets(tmp_path / "h.sqlite")[0].performed_at == saved.performed_at


def test_set_key_prefers_the_input_sha(faults_report):
    assert set_key(faults_report) == "a" * 64
    assert set_key(with_sha(faults_report, None)) != set_key(with_sha({**faults_report, "rep_count": 0}, None))
