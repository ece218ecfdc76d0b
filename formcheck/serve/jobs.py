"""The jobs of `formcheck serve`: what was uploaded, its state, and the one analysis running at a time.

On disk, under the server's --out folder:

    OUT/<id>/                    what `formcheck analyze` writes (report.json, report.html, annotated.mp4, ...)
    OUT/.serve/jobs/<id>.json    the job's state (written atomically on every change of status)
    OUT/.serve/uploads/<id>.mp4  the uploaded video, under a name formcheck chose

A restart lists the finished jobs again, runs the queued ones and marks the ones that were running failed.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from formcheck.serve.worker import Task, worker_main

STATES = ("queued", "running", "done", "failed")
STATE_DIR = ".serve"
INTERRUPTED = (
    "interrupted: the server stopped while this video was being analyzed; send the video again "
    "(or run formcheck analyze on it)"
)
POSE_SHARE = 0.8  # of the progress bar: the pose pass; the rest is the annotated video


def new_job_id() -> str:
    """Sortable by time (newest first is a reverse sort) and unguessable."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(4)


def is_job_id(text: str) -> bool:
    parts = text.split("-")
    return (
        len(parts) == 3
        and all(p.isalnum() and p.isascii() for p in parts)
        and len(parts[0]) == 8
        and len(parts[1]) == 6
        and len(parts[2]) == 8
    )


@dataclass
class Job:
    id: str
    filename: str  # the sender's file name, for display only
    upload: str  # where the upload is stored (a name formcheck chose)
    size: int
    side: str | None = None
    athlete: str | None = None
    save: bool = False
    status: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    exit_code: int | None = None
    rep_count: int | None = None
    saved: bool | None = None
    notes: list[str] = field(default_factory=list)
    # live only (not persisted: a restart shows 0 or 1)
    stage: str | None = None
    frames_done: int | None = None
    frames_total: int | None = None
    progress: float = 0.0

    def to_api(self) -> dict[str, Any]:
        """GET /api/jobs/{id}."""
        done = self.status == "done"
        return {
            "id": self.id,
            "status": self.status,
            "progress": 1.0 if done else round(self.progress, 3),
            "error": self.error,
            "exit_code": self.exit_code,
            "report_url": f"/jobs/{self.id}/report.html" if done else None,
            "rep_count": self.rep_count,
            "filename": self.filename,
            "side": self.side,
            "athlete": self.athlete,
            "save": self.save,
            "saved": self.saved,
            "notes": self.notes,
            "stage": self.stage,
            "frames_done": self.frames_done,
            "frames_total": self.frames_total,
            "created": _iso(self.created),
            "finished": _iso(self.finished),
        }


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


PERSISTED = (
    "id",
    "filename",
    "upload",
    "size",
    "side",
    "athlete",
    "save",
    "status",
    "created",
    "started",
    "finished",
    "error",
    "exit_code",
    "rep_count",
    "saved",
    "notes",
)


class JobStore:
    """Every job of one --out folder, in memory and on disk; thread-safe."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.state_dir = self.out / STATE_DIR / "jobs"
        self.upload_dir = self.out / STATE_DIR / "uploads"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._load()

    def _load(self) -> None:
        for path in self.state_dir.glob("*.json"):
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                job = Job(**{k: raw[k] for k in PERSISTED if k in raw})
            except (OSError, ValueError, TypeError):
                continue  # a damaged state file: that job is not listed
            if job.status == "running":
                job.status, job.error, job.exit_code, job.finished = "failed", INTERRUPTED, 130, time.time()
                self._write(job)
            self._jobs[job.id] = job

    def _write(self, job: Job) -> None:
        data = {k: v for k, v in asdict(job).items() if k in PERSISTED}
        path = self.state_dir / f"{job.id}.json"
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    def add(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._write(job)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: (j.created, j.id), reverse=True)

    def queued(self) -> list[Job]:
        """Oldest first: the order to run them in."""
        return [j for j in reversed(self.all()) if j.status == "queued"]

    def update(self, job_id: str, persist: bool = True, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[job_id]
            for k, v in changes.items():
                setattr(job, k, v)
            if persist:
                self._write(job)

    def job_dir(self, job_id: str) -> Path:
        return self.out / job_id


class Runner:
    """One analysis at a time, in a warm worker process; the others wait in a queue.

    A thread feeds the worker and reads its events. A worker that dies (a crash in native code) fails
    its job with a message and is replaced; stop() terminates it and marks its job failed."""

    def __init__(self, store: JobStore, history: str | None = None) -> None:
        self.store, self.history = store, history
        self._pending: queue.Queue[str | None] = queue.Queue()
        self._ctx = get_context("spawn")
        self._proc: Any = None
        self._tasks: Any = None
        self._events: Any = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.current: str | None = None

    def start(self) -> None:
        self._start_worker()
        for job in self.store.queued():
            self._pending.put(job.id)
        self._thread = threading.Thread(target=self._loop, name="formcheck-serve-runner", daemon=True)
        self._thread.start()

    def submit(self, job_id: str) -> None:
        self._pending.put(job_id)

    def stop(self) -> None:
        """Stop at once: the running analysis is ended (its job marked failed), queued jobs stay queued."""
        self._stopping.set()
        self._pending.put(None)
        if self._proc is not None and self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)
            if self._proc.is_alive():
                self._proc.kill()
        if self._thread is not None:
            self._thread.join(10)
        if self.current is not None:
            self._finish_failed(self.current, INTERRUPTED, 130)

    def _start_worker(self) -> None:
        self._tasks, self._events = self._ctx.Queue(), self._ctx.Queue()
        self._proc = self._ctx.Process(
            target=worker_main, args=(self._tasks, self._events), name="formcheck-serve-worker", daemon=True
        )
        self._proc.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            job_id = self._pending.get()
            if job_id is None:
                return
            job = self.store.get(job_id)
            if job is None or job.status != "queued":
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        self.current = job.id
        self.store.update(job.id, status="running", started=time.time(), progress=0.0, stage="pose")
        self._tasks.put(
            Task(job.id, job.upload, str(self.store.job_dir(job.id)), job.side, job.save, job.athlete, self.history)
        )
        while not self._stopping.is_set():
            try:
                event = self._events.get(timeout=0.5)
            except queue.Empty:
                if not self._proc.is_alive():
                    code = self._proc.exitcode
                    if self._stopping.is_set():
                        return
                    self._finish_failed(
                        job.id,
                        f"the analysis process crashed (exit code {code}); analyze this "
                        "clip with 'formcheck analyze --debug' to see why",
                        1,
                    )
                    self._start_worker()
                    return
                continue
            if event[1] != job.id:
                continue
            if event[0] == "progress":
                self._progress(job.id, *event[2:])
                continue
            if event[0] == "done":
                result = event[2]
                notes = list(result.get("warnings") or []) + (
                    [result["save_error"]] if result.get("save_error") else []
                )
                self.store.update(
                    job.id,
                    status="done",
                    finished=time.time(),
                    progress=1.0,
                    stage=None,
                    rep_count=result["rep_count"],
                    saved=result.get("saved"),
                    notes=notes,
                )
            else:
                self._finish_failed(job.id, event[2], event[3])
            self.current = None
            return

    def _progress(self, job_id: str, stage: str, done: int, total: int | None) -> None:
        frac = min(1.0, done / total) if total else 0.0
        overall = POSE_SHARE * frac if stage == "pose" else POSE_SHARE + (1 - POSE_SHARE) * frac
        self.store.update(
            job_id, persist=False, stage=stage, frames_done=done, frames_total=total, progress=min(overall, 0.99)
        )

    def _finish_failed(self, job_id: str, message: str, code: int) -> None:
        job = self.store.get(job_id)
        if job is not None and job.status in ("queued", "running"):
            self.store.update(job_id, status="failed", finished=time.time(), error=message, exit_code=code, stage=None)
        if self.current == job_id:
            self.current = None
