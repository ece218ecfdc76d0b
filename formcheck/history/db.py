"""The training history: a local SQLite database of analyzed sets.

Safe for several writers at once (two batch runs, batch and live): WAL journal, a busy
timeout, and every write in one `BEGIN IMMEDIATE` transaction. The schema is versioned with
`PRAGMA user_version`; a new database runs the same migration steps as an old one.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from formcheck.errors import InputError, OutputError

ENV_HISTORY = "FORMCHECK_HISTORY"
BUSY_TIMEOUT_S = 30.0


def default_history_path() -> Path:
    """$FORMCHECK_HISTORY, else history.sqlite in the user's data folder (platformdirs)."""
    env = os.environ.get(ENV_HISTORY)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("formcheck", appauthor=False) / "history.sqlite"


# --- schema -------------------------------------------------------------------------------------


def _v1(conn: sqlite3.Connection) -> None:
    """The first schema: sets, and their reps with the fault ids joined by ';'."""
    conn.execute("""CREATE TABLE sets (
        id INTEGER PRIMARY KEY,
        set_key TEXT NOT NULL UNIQUE,
        athlete TEXT NOT NULL,
        side TEXT NOT NULL,
        performed_at TEXT NOT NULL,
        source TEXT,
        rep_count INTEGER NOT NULL,
        clean_reps INTEGER,
        stop_set_rep INTEGER,
        main_fault TEXT,
        report_json TEXT NOT NULL,
        saved_at TEXT NOT NULL)""")
    conn.execute("CREATE INDEX sets_by_athlete_time ON sets (athlete, performed_at)")
    conn.execute("""CREATE TABLE reps (
        set_id INTEGER NOT NULL REFERENCES sets (id) ON DELETE CASCADE,
        rep_index INTEGER NOT NULL,
        t_start REAL, concentric_s REAL, top_pause_s REAL, eccentric_s REAL, bottom_pause_s REAL,
        time_under_tension_s REAL, heel_angle_deg REAL, heel_shank_frac REAL, heel_cm REAL,
        knee_range_deg REAL, view TEXT,
        faults TEXT NOT NULL,
        PRIMARY KEY (set_id, rep_index))""")


def _v2(conn: sqlite3.Connection) -> None:
    """Faults as rows (with severity and value, backfilled from the stored reports); where the set's time came from."""
    conn.execute("ALTER TABLE sets ADD COLUMN time_source TEXT NOT NULL DEFAULT 'unknown'")
    conn.execute("""CREATE TABLE rep_faults (
        set_id INTEGER NOT NULL,
        rep_index INTEGER NOT NULL,
        fault_id TEXT NOT NULL,
        severity TEXT,
        value REAL,
        PRIMARY KEY (set_id, rep_index, fault_id),
        FOREIGN KEY (set_id, rep_index) REFERENCES reps (set_id, rep_index) ON DELETE CASCADE)""")
    for set_id, report_json in conn.execute("SELECT id, report_json FROM sets").fetchall():
        _insert_faults(conn, set_id, json.loads(report_json).get("reps", []))


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
SCHEMA_VERSION = len(MIGRATIONS)


# --- connection ---------------------------------------------------------------------------------


@contextmanager
def open_history(path: str | Path | None = None, upto: int = SCHEMA_VERSION) -> Iterator[sqlite3.Connection]:
    """A connection to the history database, created or migrated to schema `upto` (tests pass older ones)."""
    db = Path(path) if path is not None else default_history_path()
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise OutputError(
            f"could not open the history database {db} ({exc}); pass --history PATH or set {ENV_HISTORY}"
        ) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        _use_wal(conn)
        _migrate(conn, db, upto)
        yield conn
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise OutputError(
                f"the history database {db} stayed locked by another formcheck for "
                f"{BUSY_TIMEOUT_S:g} s; try again when it has finished"
            ) from None
        raise OutputError(f"could not use the history database {db} ({exc}); pass --history PATH") from None
    except sqlite3.DatabaseError as exc:
        raise OutputError(
            f"the history database {db} is unusable ({exc}); move it aside or pass --history PATH"
        ) from None
    finally:
        conn.close()


def check_history(path: str | Path | None = None) -> Path:
    """Before minutes of work, the errors saving would give after them: an existing database must open (it is
    migrated), else its folder must take a new one (nothing is created)."""
    from formcheck.io.report_files import probe_writable

    db = Path(path) if path is not None else default_history_path()
    if db.exists():
        with open_history(db):
            return db
    try:
        probe_writable(db.parent)
    except OSError as exc:
        raise OutputError(
            f"could not open the history database {db} ({exc.strerror or exc}); pass --history PATH or set "
            f"{ENV_HISTORY}"
        ) from None
    return db


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL once (it persists in the file); another process switching at the same time may hold the lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error): writers queue up instead of failing half-way."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection, db: Path, upto: int) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] >= upto:
        _check_not_newer(conn, db)
        return
    with transaction(conn):  # re-read inside the lock: another process may have migrated meanwhile
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for step in MIGRATIONS[version:upto]:
            step(conn)
        if version < upto:
            conn.execute(f"PRAGMA user_version = {int(upto)}")
    _check_not_newer(conn, db)


def _check_not_newer(conn: sqlite3.Connection, db: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError(
            f"the history database {db} has schema {version}, newer than this formcheck knows "
            f"({SCHEMA_VERSION}); upgrade formcheck or pass another --history PATH"
        )


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


# --- writing ------------------------------------------------------------------------------------


def set_key(report: dict[str, Any]) -> str:
    """The input's sha256 (so re-saving the same clip replaces it), else a digest of the report itself."""
    sha = (report.get("input") or {}).get("sha256")
    if sha:
        return str(sha)
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), default=str)
    return "report:" + hashlib.sha256(text.encode()).hexdigest()


def to_utc_text(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.astimezone()  # a naive time is the machine's local time
    return when.astimezone(timezone.utc).isoformat(timespec="seconds")


def write_set(
    conn: sqlite3.Connection, report: dict[str, Any], athlete: str, performed_at: datetime, time_source: str
) -> tuple[int, bool]:
    """Insert (or replace the set with the same key) in one transaction. Returns (set id, replaced)."""
    key = set_key(report)
    summary = report.get("summary") or {}
    stop = report.get("stop_set") or {}
    with transaction(conn):
        replaced = conn.execute("DELETE FROM sets WHERE set_key = ?", (key,)).rowcount > 0
        cur = conn.execute(
            "INSERT INTO sets (set_key, athlete, side, performed_at, time_source, source, rep_count, clean_reps,"
            " stop_set_rep, main_fault, report_json, saved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                key,
                athlete,
                str(report.get("side") or "unknown"),
                to_utc_text(performed_at),
                time_source,
                (report.get("input") or {}).get("path"),
                int(report.get("rep_count", len(report.get("reps", [])))),
                summary.get("clean_reps"),
                stop.get("rep"),
                summary.get("most_frequent_fault"),
                json.dumps(report, ensure_ascii=False, allow_nan=False),
                to_utc_text(datetime.now(timezone.utc)),
            ),
        )
        set_id = int(cur.lastrowid)
        conn.executemany(
            f"INSERT INTO reps VALUES ({','.join('?' * 14)})", [_rep_row(set_id, rep) for rep in report.get("reps", [])]
        )
        _insert_faults(conn, set_id, report.get("reps", []))
    return set_id, replaced


def _rep_row(set_id: int, rep: dict[str, Any]) -> tuple:
    hr = rep.get("heel_range") or {}
    return (
        set_id,
        rep["index"],
        rep.get("t_start"),
        rep.get("concentric_s"),
        rep.get("top_pause_s"),
        rep.get("eccentric_s"),
        rep.get("bottom_pause_s"),
        rep.get("time_under_tension_s"),
        hr.get("foot_angle_deg"),
        hr.get("shank_frac"),
        hr.get("cm"),
        rep.get("knee_flexion_range_deg"),
        rep.get("view"),
        ";".join(f["id"] for f in rep.get("faults", [])),
    )


def _insert_faults(conn: sqlite3.Connection, set_id: int, reps: list[dict[str, Any]]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO rep_faults VALUES (?,?,?,?,?)",
        [
            (set_id, rep["index"], f["id"], f.get("severity"), _number(f.get("value")))
            for rep in reps
            for f in rep.get("faults", [])
        ],
    )


def _number(x: Any) -> float | None:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else None
