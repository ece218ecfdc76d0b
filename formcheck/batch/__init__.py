"""Many clips at once: `formcheck batch` on local worker processes or a Dask cluster.

from formcheck.batch import run_batch
outcome = run_batch(["clips/"], "out", workers=2)       # or scheduler="tcp://host:8786"
"""

from formcheck.batch.jobs import (
    DONE_FILE,
    BatchSettings,
    Job,
    JobResult,
    find_inputs,
    load_done,
    plan_jobs,
    report_fingerprint,
    run_job,
    settings_fingerprint,
)
from formcheck.batch.run import BatchOutcome, make_settings, run_batch

__all__ = [
    "DONE_FILE",
    "BatchSettings",
    "Job",
    "JobResult",
    "find_inputs",
    "load_done",
    "plan_jobs",
    "report_fingerprint",
    "run_job",
    "settings_fingerprint",
    "BatchOutcome",
    "make_settings",
    "run_batch",
]
