"""Where batch jobs run: local worker processes (spawn), or a Dask distributed cluster.

Both yield one JobResult per job as the jobs finish, in any order. Each worker process builds
its own pose model (analyze_to_folder opens one per clip); nothing is shared between workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from formcheck.batch.jobs import BatchSettings, Job, JobResult, run_job
from formcheck.errors import InputError

JobFunc = Callable[[Job, BatchSettings], JobResult]
DEFAULT_CLIP_TIMEOUT = 3600.0  # seconds: a 10-minute 4K clip takes about 15 minutes on a 2-core laptop
TIMED_OUT = 124  # a clip's exit code in summary.csv when it ran out of time (as coreutils' timeout)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _crashed(job: Job, exc: BaseException) -> JobResult:
    return JobResult(
        job,
        "failed",
        error=f"the worker process analyzing it crashed ({type(exc).__name__}: {exc}); "
        "analyze this clip alone with 'formcheck analyze --debug' to see why",
        exit_code=1,
    )


def _timed_out(job: Job, limit: float) -> JobResult:
    return JobResult(
        job,
        "failed",
        limit,
        error=f"stopped after {limit:g} s (--clip-timeout): the analysis took "
        "too long; analyze this clip alone with 'formcheck analyze' to see how long it needs, or raise "
        "--clip-timeout",
        exit_code=TIMED_OUT,
    )


def _kill(executor: ProcessPoolExecutor) -> None:
    """End a one-worker pool's process now (the standard library has no public way to stop a running task)."""
    for process in list(getattr(executor, "_processes", {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError):
            pass
    executor.shutdown(wait=False, cancel_futures=True)


def run_local(
    jobs: list[Job],
    settings: BatchSettings,
    workers: int,
    job_func: JobFunc = run_job,
    clip_timeout: float | None = None,
) -> Iterator[JobResult]:
    """Jobs on `workers` spawned processes, one job at a time per process (each process is its own
    one-worker pool), so a clip that crashes its process (a segfault in native code) is known
    exactly: it alone fails, and a fresh process takes its place. A clip still running after
    clip_timeout seconds is failed the same way: its process is killed and replaced."""
    ctx = get_context("spawn")
    queue = list(reversed(jobs))
    idle = [ProcessPoolExecutor(max_workers=1, mp_context=ctx) for _ in range(min(workers, len(jobs)))]
    busy: dict[Future, tuple[ProcessPoolExecutor, Job]] = {}
    started: dict[Future, float] = {}
    try:
        while queue or busy:
            while idle and queue:
                executor, job = idle.pop(), queue.pop()
                fut = executor.submit(job_func, job, settings)
                busy[fut], started[fut] = (executor, job), time.monotonic()
            timeout = None
            if clip_timeout is not None:
                timeout = max(0.0, min(started[f] for f in busy) + clip_timeout - time.monotonic())
            done, _ = wait(busy, timeout=timeout, return_when=FIRST_COMPLETED)
            if not done and clip_timeout is not None:
                now = time.monotonic()
                for fut in [f for f in busy if now - started[f] >= clip_timeout]:
                    executor, job = busy.pop(fut)
                    started.pop(fut)
                    _kill(executor)
                    idle.append(ProcessPoolExecutor(max_workers=1, mp_context=ctx))
                    yield _timed_out(job, clip_timeout)
                continue
            for fut in done:
                started.pop(fut, None)
                executor, job = busy.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as exc:
                    executor.shutdown(wait=False)
                    executor, result = ProcessPoolExecutor(max_workers=1, mp_context=ctx), _crashed(job, exc)
                except Exception as exc:
                    result = _crashed(job, exc)
                idle.append(executor)
                yield result
    finally:
        for executor in idle + [e for e, _ in busy.values()]:
            executor.shutdown(wait=True, cancel_futures=True)


def connect_dask(address: str):
    """A Client for the scheduler at address, or a one-line error saying how to fix it."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler needs Dask: pip install 'formcheck[dask]' (or leave out --scheduler "
            "to use local worker processes)"
        ) from None
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(
            f"could not reach the Dask scheduler at {address} ({exc}); start one with "
            "'dask scheduler' and pass its tcp://HOST:PORT"
        ) from None


def run_dask(
    jobs: list[Job], settings: BatchSettings, address: str, job_func: JobFunc = run_job
) -> Iterator[JobResult]:
    """The same jobs as tasks on a Dask cluster (the inputs and OUT must be at the same paths on the workers)."""
    if not jobs:
        return
    client = connect_dask(address)
    from distributed import as_completed

    futures = []
    try:
        futures = client.map(job_func, jobs, settings=settings, pure=False)
        owner = {f.key: job for f, job in zip(futures, jobs)}
        for fut in as_completed(futures):
            job = owner[fut.key]
            try:
                yield fut.result()
            except Exception as exc:
                yield _crashed(job, exc)
    finally:
        if futures:
            client.cancel(futures)
        client.close()
