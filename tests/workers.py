"""Functions that tests run in spawned processes: kept in a module with light imports so each
child starts quickly (a child imports the module its function lives in)."""

from __future__ import annotations

import copy
import os
from pathlib import Path


def crash_on_b(job, settings):
    """A batch job function that kills its process on b/set.csv, as a segfault in native code would."""
    from formcheck.batch.jobs import JobResult

    if Path(job.path).parent.name == "b" and job.path.endswith("set.csv"):
        os._exit(3)
    return JobResult(job, "ok", data={"rep_count": 1})


def write_many(db: str, report: dict, tag: str, n: int, barrier) -> None:
    """Save n sets of our own and replace one shared set n times, starting together with the other writer."""
    from formcheck.history import save_set

    barrier.wait()
    for i in range(n):
        mine = copy.deepcopy(report)
        mine["input"]["sha256"] = f"{tag}{i:062d}"
        save_set(db, mine, athlete=tag)
        shared = copy.deepcopy(report)
        shared["input"]["sha256"] = "shared"
        save_set(db, shared, athlete=tag)


def quick_ok(job, settings):
    """A batch job function that analyzes nothing: for tests of the batch machinery itself."""
    from formcheck.batch.jobs import JobResult

    return JobResult(job, "ok", 0.01, data={"rep_count": len(Path(job.path).stem)})


def hang_on_slow(job, settings):
    """A batch job function that never returns on slow.csv (as a clip that makes the decoder spin would)."""
    import time

    from formcheck.batch.jobs import JobResult

    if job.path.endswith("slow.csv"):
        time.sleep(3600)
    return JobResult(job, "ok", 0.01, data={"rep_count": 1})
