"""A batch's own outputs: OUT/summary.csv and OUT/index.html (one row per input; both written atomically)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from formcheck.batch.jobs import JobResult
from formcheck.io.report_files import write_atomic
from formcheck.version import __version__

SUMMARY_COLUMNS = (
    "clip",
    "input",
    "status",
    "exit_code",
    "error",
    "reps",
    "clean_reps",
    "side",
    "main_fault",
    "stop_set_rep",
    "seconds",
    "folder",
    "report",
    "input_sha256",
)


def result_row(result: JobResult, out_root: Path) -> dict[str, Any]:
    """One input's line in summary.csv and index.html."""
    data = result.data or {}
    summary = data.get("summary") or {}
    job = result.job
    folder = out_root / job.name
    report = next((name for name in ("report.html", "report.json") if (folder / name).is_file()), None)
    error = result.error or (f"same file as {result.duplicate_of}" if result.duplicate_of else None)
    return {
        "clip": job.name,
        "input": job.path,
        "status": result.status,
        "exit_code": result.exit_code if result.status == "failed" else 0,
        "error": error,
        "reps": data.get("rep_count"),
        "clean_reps": summary.get("clean_reps"),
        "side": data.get("side"),
        "main_fault": summary.get("most_frequent_fault"),
        "stop_set_rep": (data.get("stop_set") or {}).get("rep"),
        "seconds": round(result.seconds, 1) if result.status == "ok" else None,
        "folder": job.name if folder.is_dir() else None,
        "report": f"{job.name}/{report}" if report else None,
        "input_sha256": job.sha256,
    }


def summary_csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in SUMMARY_COLUMNS})
    return buf.getvalue()


def index_html_text(rows: list[dict[str, Any]], title: str = "formcheck batch") -> str:
    from jinja2 import Environment, PackageLoader

    env = Environment(
        loader=PackageLoader("formcheck.batch", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["href"] = lambda rel: quote(rel)
    counts = {
        s: sum(1 for r in rows if r["status"] == s)
        for s in ("ok", "skipped", "failed", "duplicate", "pending", "not_run")
    }
    return env.get_template("index.html.j2").render(
        rows=rows,
        counts=counts,
        title=title,
        version=__version__,
        generated=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )


def write_batch_outputs(results: list[JobResult], out_root: Path) -> dict[str, Path]:
    rows = [result_row(r, out_root) for r in results]
    return {
        "summary_csv": write_atomic(out_root / "summary.csv", summary_csv_text(rows)),
        "index_html": write_atomic(out_root / "index.html", index_html_text(rows)),
    }
