"""run_batch(): find the inputs, skip the done ones, run the rest locally or on Dask, write the batch outputs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.batch.executors import DEFAULT_CLIP_TIMEOUT, JobFunc, default_workers, run_dask, run_local
from formcheck.batch.jobs import BatchSettings, Job, JobResult, find_inputs, load_done, plan_jobs, run_job, shown
from formcheck.batch.outputs import write_batch_outputs
from formcheck.core.config import AnalysisConfig
from formcheck.errors import Interrupted, OutputError

OnResult = Callable[[JobResult], None]


@dataclass
class BatchOutcome:
    results: list[JobResult]  # one per input, in input order
    out_root: Path
    files: dict[str, Path] = field(default_factory=dict)
    ignored: list[Path] = field(default_factory=list)  # files in the folders searched that are not inputs

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]


def make_settings(
    out_root: str | Path,
    config: AnalysisConfig | None = None,
    model: str | None = None,
    people: int = 1,
    max_fps: float | None = BatchSettings.max_fps,
    foot_track: bool = True,
) -> BatchSettings:
    from formcheck.io.extract import check_max_fps
    from formcheck.io.model import resolve_model

    check_max_fps(max_fps)
    model_sha = resolve_model(model).sha256  # checks a --model file once, before any work
    return BatchSettings(
        str(Path(out_root).absolute()),
        config or AnalysisConfig(),
        None if model is None else str(Path(model).absolute()),
        model_sha,
        _mediapipe_version(),
        people,
        max_fps,
        foot_track,
    )


def _mediapipe_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mediapipe")
    except PackageNotFoundError:  # pragma: no cover
        return None


def run_batch(
    paths: list[str | Path],
    out_root: str | Path,
    config: AnalysisConfig | None = None,
    model: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    show_progress: bool = False,
    on_result: OnResult | None = None,
    job_func: JobFunc = run_job,
    people: int = 1,
    clip_timeout: float | None = DEFAULT_CLIP_TIMEOUT,
    max_fps: float | None = BatchSettings.max_fps,
    foot_track: bool = True,
) -> BatchOutcome:
    """Analyze every clip into OUT/<clip>/ and write OUT/summary.csv and OUT/index.html.

    Clips already done with the same settings are skipped (unless force). A failing clip is a
    'failed' result, never an exception; Ctrl-C writes the outputs so far and raises Interrupted.
    on_result runs in this process for every ok or skipped clip (the CLI saves it to the history).
    A local clip still running after clip_timeout seconds is failed and its worker replaced (None: no limit;
    on Dask the cluster's own limits apply).
    """
    out = Path(out_root).absolute()
    if out.exists() and not out.is_dir():
        raise OutputError(f"-o {out_root} is a file; pass a folder for the batch outputs")
    settings = make_settings(out, config, model, people, max_fps, foot_track)
    ignored: list[Path] = []
    order, todo, results = _plan(find_inputs(paths, out, ignored), settings, force)
    outcome = BatchOutcome([], out, ignored=ignored)
    with _progress(len(todo), show_progress) as tick:
        for r in results.values():
            _notify(r, on_result)
        runner = (
            run_dask(todo, settings, scheduler, job_func)
            if scheduler
            else run_local(todo, settings, workers or default_workers(), job_func, clip_timeout)
        )
        try:
            _finish(outcome, results, order, out, missing="pending")
            for result in runner:
                results[result.job.path] = result
                _notify(result, on_result)
                tick(result)
                _finish(outcome, results, order, out, missing="pending")  # the index is current during a run
        except KeyboardInterrupt:
            _finish(outcome, results, order, out)
            raise Interrupted(
                f"interrupted; the clips done so far are in {out} (run the same command again to resume)"
            ) from None
    _finish(outcome, results, order, out)
    return outcome


def _plan(
    inputs: list[Path], settings: BatchSettings, force: bool
) -> tuple[dict[str, Job], list[Job], dict[str, JobResult]]:
    """(every input's job in input order, the jobs to run, the results known already: done clips, duplicates)."""
    jobs, duplicates = plan_jobs(inputs)
    results: dict[str, JobResult] = {r.job.path: r for r in duplicates}
    todo: list[Job] = []
    for job in jobs:
        report = None if force else load_done(job, settings)
        if report is None:
            todo.append(job)
        else:
            results[job.path] = JobResult(job, "skipped", data=report)
    by_path = {job.path: job for job in jobs} | {r.job.path: r.job for r in duplicates}
    return {str(p): by_path[str(p)] for p in inputs}, todo, results


def _notify(result: JobResult, on_result: OnResult | None) -> None:
    if on_result is not None and result.status in ("ok", "skipped"):
        on_result(result)


def _finish(
    outcome: BatchOutcome, results: dict[str, JobResult], order: dict[str, Job], out: Path, missing: str = "not_run"
) -> None:
    by_sha = {r.job.sha256: r for r in results.values() if r.status != "duplicate"}
    for r in results.values():
        if r.status == "duplicate":
            r.data = by_sha.get(r.job.sha256, r).data
    outcome.results = [results.get(path) or JobResult(job, missing) for path, job in order.items()]
    outcome.files = write_batch_outputs(outcome.results, out)


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[JobResult], None]]:
    """One progress bar across clips on stderr, and a line per finished clip above it."""
    if not enabled or total == 0:
        yield lambda r: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(file=sys.stderr)
    columns = (
        TextColumn("clips"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("clips", total=total)

        def tick(r: JobResult) -> None:
            name = escape(shown(r.job.path))
            if r.status == "ok":
                progress.console.print(
                    f"[green]ok[/]     {name}: {(r.data or {}).get('rep_count')} reps ({r.seconds:.1f} s)",
                    highlight=False,
                )
            else:  # its message is printed once, with the others at the end
                progress.console.print(f"[red]failed[/] {name} (exit {r.exit_code})", highlight=False)
            progress.advance(task)

        yield tick
