"""The history's function API: save_set() (analyze, batch and live call it) and load_sets()."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from formcheck.errors import InputError
from formcheck.history.cliptime import clip_time
from formcheck.history.db import open_history, set_key, write_set

DEFAULT_ATHLETE = "me"


@dataclass(frozen=True)
class SavedSet:
    set_id: int
    key: str
    replaced: bool  # a set with the same input sha256 was already stored: it was replaced, not added
    performed_at: datetime
    time_source: str


@dataclass(frozen=True)
class RepRecord:
    index: int
    t_start: float | None
    concentric_s: float | None
    top_pause_s: float | None
    eccentric_s: float | None
    bottom_pause_s: float | None
    time_under_tension_s: float | None
    heel_angle_deg: float | None
    heel_shank_frac: float | None
    heel_cm: float | None
    knee_range_deg: float | None
    view: str | None
    faults: tuple[str, ...]


@dataclass(frozen=True)
class SetRecord:
    set_id: int
    key: str
    athlete: str
    side: str
    performed_at: datetime
    time_source: str
    source: str | None
    rep_count: int
    clean_reps: int | None
    stop_set_rep: int | None
    main_fault: str | None
    reps: tuple[RepRecord, ...] = field(default_factory=tuple)
    fault_severity: dict[tuple[int, str], str | None] = field(default_factory=dict)

    def report(self, path: str | Path | None = None) -> dict[str, Any]:
        """The full report.json this set was saved from (read on demand)."""
        with open_history(path) as conn:
            row = conn.execute("SELECT report_json FROM sets WHERE id = ?", (self.set_id,)).fetchone()
        return json.loads(row[0]) if row else {}


def save_set(
    db_path: str | Path | None,
    report: dict[str, Any],
    *,
    athlete: str | None = None,
    performed_at: datetime | None = None,
) -> SavedSet:
    """Store one analyzed set (a report.json dict). Re-saving the same input replaces it, never double-counts.

    performed_at: when the set was done; by default the clip's creation time from its metadata
    (MP4/MOV), else the input file's modification time, else now. db_path None: the default database.
    """
    if not isinstance(report, dict) or "reps" not in report:
        raise InputError("save_set needs a report.json dictionary (with 'reps'); pass AnalyzeResult.data")
    name = (athlete or DEFAULT_ATHLETE).strip()
    if not name:
        raise InputError("--athlete must not be empty; pass a name or leave it out")
    when, source = _when(report, performed_at)
    with open_history(db_path) as conn:
        set_id, replaced = write_set(conn, report, name, when, source)
    return SavedSet(set_id, set_key(report), replaced, when, source)


def _when(report: dict[str, Any], performed_at: datetime | None) -> tuple[datetime, str]:
    if performed_at is not None:
        return performed_at, "given"
    path = (report.get("input") or {}).get("path")
    if path and Path(path).is_file():
        return clip_time(path)
    return datetime.now(timezone.utc), "saved"


def load_sets(db_path: str | Path | None = None, athlete: str | None = None) -> list[SetRecord]:
    """Every stored set (of one athlete if given), oldest first, with its reps and their faults."""
    query = (
        "SELECT id, set_key, athlete, side, performed_at, time_source, source, rep_count, clean_reps,"
        " stop_set_rep, main_fault FROM sets"
    )
    args: tuple = ()
    if athlete is not None:
        query, args = query + " WHERE athlete = ?", (athlete,)
    with open_history(db_path) as conn:
        rows = conn.execute(query + " ORDER BY performed_at, id", args).fetchall()
        reps = _reps_by_set(conn)
        severity: dict[int, dict[tuple[int, str], str | None]] = {}
        for set_id, rep, fault, sev in conn.execute("SELECT set_id, rep_index, fault_id, severity FROM rep_faults"):
            severity.setdefault(set_id, {})[(rep, fault)] = sev
    return [
        SetRecord(
            r[0],
            r[1],
            r[2],
            r[3],
            datetime.fromisoformat(r[4]),
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            tuple(reps.get(r[0], ())),
            severity.get(r[0], {}),
        )
        for r in rows
    ]


def _reps_by_set(conn) -> dict[int, list[RepRecord]]:
    out: dict[int, list[RepRecord]] = {}
    for row in conn.execute("SELECT * FROM reps ORDER BY set_id, rep_index"):
        faults = tuple(f for f in row[13].split(";") if f)
        out.setdefault(row[0], []).append(RepRecord(*row[1:13], faults))
    return out


def athletes(db_path: str | Path | None = None) -> list[str]:
    with open_history(db_path) as conn:
        return [r[0] for r in conn.execute("SELECT DISTINCT athlete FROM sets ORDER BY athlete")]
