"""Report files: report.json and reps.csv, written atomically (temp file, then rename).

`atomic_path()` and `write_atomic()` are how every output file is written: a temporary file next to
the target, renamed over it only when complete, removed on any failure (disk full, Ctrl-C), so no
half-written output is ever left.  OS errors become one-line OutputErrors that say how to fix them.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from formcheck.core.reps.metrics import PHASE_SPANS
from formcheck.errors import OutputError

REP_COLUMNS = (
    "index",
    "t_start",
    "t_top_start",
    "t_top_end",
    "t_bottom",
    "t_end",
    "concentric_s",
    "top_pause_s",
    "eccentric_s",
    "bottom_pause_s",
    "time_under_tension_s",
    "eccentric_concentric_ratio",
    "bottom_pause_estimated",
    "view",
)
_EXPONENT = re.compile(r"\d[eE][+-]?\d")  # a float in exponent form (or such text in a string: harmless)
NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
NO_PERMISSION = {errno.EACCES, errno.EPERM, errno.EROFS}
NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST}


def output_error(path: Path, exc: OSError, what: str = "write") -> OutputError:
    """A one-line OutputError for an OSError while writing `path`, with the fix for its cause."""
    reason = exc.strerror or str(exc)
    if exc.errno in NO_SPACE:
        fix = "free some disk space or choose another folder with -o"
    elif exc.errno in NO_PERMISSION:
        fix = "choose a folder you can write to with -o"
    elif exc.errno in NOT_A_FOLDER:
        fix = "a file is in the way of the output folder; choose another folder with -o"
    else:
        fix = "choose another folder with -o"
    return OutputError(f"could not {what} {path} ({reason}); {fix}")


def _discard(tmp: Path) -> None:
    try:
        tmp.unlink(missing_ok=True)
    except OSError:
        pass


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path` (same suffix, so writers that pick a format by extension work);
    it is renamed to `path` when the block completes and removed if anything fails (OSError -> OutputError)."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise output_error(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write text (UTF-8, newlines as given) or bytes to `path` atomically; returns the path."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def check_writable(folder: str | Path) -> Path:
    """Prove that files can be written in `folder` (before minutes of work, not after) without creating it:
    the test file goes into its nearest existing ancestor."""
    folder = Path(folder)
    try:
        probe_writable(folder)
    except OSError as exc:
        raise output_error(folder, exc, what="write to") from None
    return folder


def probe_writable(folder: Path) -> None:
    """check_writable's test write (OSError if it fails); creates nothing."""
    base = next((p for p in (folder, *folder.absolute().parents) if p.exists()), Path("."))
    if not base.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    fd, name = tempfile.mkstemp(prefix=".formcheck-write-test", dir=base)
    os.close(fd)
    os.unlink(name)


def report_json_text(report: dict[str, Any]) -> str:
    """Indented UTF-8 JSON, the text json.dumps(report, indent=2, ensure_ascii=False) gives, ~15x faster.

    orjson writes very large and very small floats as 1e16 / 1e-5 where json writes 1e+16 / 1e-05; when
    the text holds an exponent (rare: only absurd measurements), json writes it instead."""
    text = orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"
    if _EXPONENT.search(text):
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    return text


NESTED = {  # dicts of a rep flattened into prefixed columns
    "heel_range": (
        "foot_angle_deg",
        "foot_length_frac",
        "shank_frac",
        "cm",
        "cm_source",
        "bottom_foot_angle_deg",
        "top_foot_angle_deg",
    ),
    "vs_set": ("rise_vs_best", "bottom_above_set", "lowering_speed_vs_set"),
    "tracking_quality_by_phase": tuple(PHASE_SPANS),
}
LISTS = ("faults", "uncertain", "not_checked")  # fault ids, ';'-joined


def reps_rows(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """One row per rep: every scalar number, heel_range, vs_set and tracking_quality_by_phase flattened, fault
    ids (found, uncertain, and not checked on that rep) joined with ';'."""
    reps = report.get("reps", [])
    extra = []
    for rep in reps:
        for key in rep:
            if key not in REP_COLUMNS and key not in NESTED and key not in LISTS and key not in extra:
                extra.append(key)
    nested = [(name, k) for name, keys in NESTED.items() for k in keys]
    header = list(REP_COLUMNS) + extra + [f"{name}_{k}" for name, k in nested] + list(LISTS)
    rows = []
    for rep in reps:
        ids = [";".join(f if isinstance(f, str) else f["id"] for f in rep.get(key, [])) for key in LISTS]
        rows.append(
            [rep.get(k) for k in REP_COLUMNS]
            + [rep.get(k) for k in extra]
            + [(rep.get(name) or {}).get(k) for name, k in nested]
            + ids
        )
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
    if os.environ.get("FORMCHECK_VALIDATE_REPORTS") == "1":  # the test suite: every report checked on the way out
        from formcheck.schema import validate_report

        validate_report(report)
    return write_atomic(path, report_json_text(report))


def save_reps_csv(report: dict[str, Any], path: Path) -> Path:
    return write_atomic(path, reps_csv_text(report))
