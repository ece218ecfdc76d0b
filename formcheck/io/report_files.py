"""Report files: report.json and reps.csv, written atomically (temp file, then rename)."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from formcheck.errors import OutputError

REP_COLUMNS = ("index", "t_start", "t_top_start", "t_top_end", "t_bottom", "t_end", "concentric_s", "top_pause_s",
               "eccentric_s", "bottom_pause_s", "time_under_tension_s", "eccentric_concentric_ratio",
               "bottom_pause_estimated", "view")


def write_atomic(path: Path, text: str) -> Path:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise OutputError(f"could not write {path} ({exc.strerror or exc}); free some disk space or choose "
                          "another folder with -o") from None
    return path


def report_json_text(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def reps_rows(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per rep: every scalar metric, heel_range flattened, fault ids joined with ';'."""
    reps = report.get("reps", [])
    extra = []
    for rep in reps:
        for key, value in rep.items():
            if key not in REP_COLUMNS and key not in ("heel_range", "faults") and key not in extra:
                extra.append(key)
    heel = ["foot_angle_deg", "foot_length_frac", "shank_frac", "cm", "cm_source", "bottom_foot_angle_deg",
            "top_foot_angle_deg"]
    header = list(REP_COLUMNS) + extra + [f"heel_range_{k}" for k in heel] + ["faults"]
    rows = []
    for rep in reps:
        hr = rep.get("heel_range") or {}
        rows.append([rep.get(k) for k in REP_COLUMNS] + [rep.get(k) for k in extra] + [hr.get(k) for k in heel]
                    + [";".join(f["id"] for f in rep.get("faults", []))])
    return header, rows


def reps_csv_text(report: dict[str, Any]) -> str:
    header, rows = reps_rows(report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def save_report_json(report: dict[str, Any], path: Path) -> Path:
    return write_atomic(path, report_json_text(report))


def save_reps_csv(report: dict[str, Any], path: Path) -> Path:
    return write_atomic(path, reps_csv_text(report))
