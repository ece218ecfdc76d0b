"""`formcheck batch`: many clips on all cores (or a Dask cluster), resumable, with an index page."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from formcheck.cli_history import add_save_options, check_save_options
from formcheck.cli_options import (
    add_analysis_options,
    add_foot_track_option,
    add_max_fps_option,
    add_people_option,
    check_body_sizes,
    check_people,
    max_fps,
)
from formcheck.errors import ClipsFailed, FormcheckError, InputError

EXIT_OK = 0
IGNORED_SHOWN = 5  # the files a folder search ignored, named at most this many


def add_batch_parser(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    ba = sub.add_parser(
        "batch",
        help="many videos / landmarks CSVs / folders -> one output folder each, OUT/index.html and OUT/summary.csv",
    )
    ba.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="video files, landmarks CSVs, or folders (searched recursively for videos and landmarks CSVs)",
    )
    ba.add_argument("-o", "--output", required=True, metavar="OUT", help="folder for every clip's outputs")
    ba.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per CPU core)")
    ba.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask distributed cluster instead (tcp://HOST:PORT; needs formcheck[dask])",
    )
    ba.add_argument("--force", action="store_true", help="re-analyze clips already done with the same settings")
    ba.add_argument(
        "--clip-timeout",
        type=float,
        metavar="S",
        help="fail a clip still running after S seconds and replace its worker (default 3600; local workers only)",
    )
    add_analysis_options(ba)
    add_people_option(ba)
    add_max_fps_option(ba)
    add_foot_track_option(ba)
    add_save_options(ba)
    add_common(ba)
    ba.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    from formcheck.api import load_config
    from formcheck.batch import run_batch
    from formcheck.batch.executors import DEFAULT_CLIP_TIMEOUT
    from formcheck.batch.jobs import shown

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise InputError("--workers is for local processes; with --scheduler the cluster decides (leave one out)")
    if args.clip_timeout is not None and args.clip_timeout <= 0:
        raise InputError(f"--clip-timeout must be a number of seconds above 0, got {args.clip_timeout:g}")
    if args.clip_timeout is not None and args.scheduler:
        raise InputError("--clip-timeout is for local workers; on a Dask cluster use its own limits (leave one out)")
    check_body_sizes(args)
    check_save_options(args)
    check_people(args)
    config = load_config(args.config, side=args.side, height_cm=args.height_cm, foot_cm=args.foot_cm)
    failed_saves: list[str] = []
    outcome = run_batch(
        args.paths,
        args.output,
        config,
        model=args.model,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
        show_progress=not args.quiet,
        on_result=_saver(args, failed_saves),
        people=args.people,
        clip_timeout=args.clip_timeout or DEFAULT_CLIP_TIMEOUT,
        max_fps=max_fps(args),
        foot_track=not args.no_foot_track,
    )
    print(
        f"{len(outcome.results)} inputs: {outcome.count('ok')} analyzed, {outcome.count('skipped')} already done, "
        f"{outcome.count('failed')} failed"
        + (f", {outcome.count('duplicate')} same as another input" if outcome.count("duplicate") else "")
    )
    for r in outcome.failed:
        print(f"  failed (exit {r.exit_code}) {shown(r.job.path)}: {r.error}")
    if outcome.ignored:
        names = [shown(p) for p in outcome.ignored]
        more = f" and {len(names) - IGNORED_SHOWN} more" if len(names) > IGNORED_SHOWN else ""
        what = (
            "files that are not videos or landmarks CSVs"
            if len(names) > 1
            else "file that is not a video or a landmarks CSV"
        )
        print(f"ignored {len(names)} {what}: {', '.join(names[:IGNORED_SHOWN])}{more}")
    if args.save:
        print(f"history: {outcome.count('ok') + outcome.count('skipped') - len(failed_saves)} sets saved")
    print(f"index: {outcome.files['index_html']}   summary: {outcome.files['summary_csv']}")
    if outcome.failed or failed_saves:
        n = len(outcome.failed)
        what = f"{n} of {len(outcome.results)} clips failed" if n else "some sets could not be saved to the history"
        raise ClipsFailed(f"{what}; the others are done (see {outcome.files['summary_csv']})")
    return EXIT_OK


def _saver(args: argparse.Namespace, failed: list[str]) -> Callable | None:
    """Save each finished clip to the history in this process (Dask workers may be other machines)."""
    if not args.save:
        return None
    from formcheck.batch.jobs import shown
    from formcheck.history import save_set

    def save(result: Any) -> None:
        try:
            save_set(args.history, result.data, athlete=args.athlete)
        except FormcheckError as exc:
            failed.append(result.job.path)
            print(f"formcheck: warning: {shown(result.job.path)} not saved to the history: {exc}")

    return save
