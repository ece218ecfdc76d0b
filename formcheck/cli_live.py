"""`formcheck live`: train in front of a webcam (or replay a file through the live path)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from formcheck.cli_history import add_save_options, check_save_options, save_if_asked
from formcheck.cli_options import (
    add_analysis_options,
    add_foot_track_option,
    add_max_fps_option,
    add_people_option,
    check_people,
    max_fps,
)

EXIT_OK = 0


def add_live_parser(sub: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    lv = sub.add_parser("live", help="webcam (or a file) -> live overlay: rep counter, phase, tempo cue, faults")
    src = lv.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, metavar="N", help="camera index (default: 0)")
    src.add_argument("--source", metavar="FILE", help="a video file played through the live path instead of a camera")
    lv.add_argument("--no-window", action="store_true", help="no window: record and analyze only (no display needed)")
    lv.add_argument(
        "--realtime",
        action="store_true",
        help="with --source: play the file at its own pace, dropping frames if processing is slower",
    )
    lv.add_argument("--record", action="store_true", help="also keep the raw camera video as raw.mkv")
    lv.add_argument("-o", "--output", help="output folder (default: formcheck-out/live-<date-time>/)")
    add_analysis_options(lv, scale=False)
    lv.add_argument("--max-seconds", type=float, metavar="S", help="stop after S seconds")
    add_people_option(lv)
    add_max_fps_option(lv)
    add_foot_track_option(lv)
    lv.add_argument("--json", action="store_true", help="print report.json to stdout at the end")
    add_save_options(lv)
    add_common(lv)
    lv.set_defaults(func=cmd_live)


def cmd_live(args: argparse.Namespace) -> int:
    from formcheck.api import load_config
    from formcheck.errors import InputError
    from formcheck.io.report_files import report_json_text
    from formcheck.live_session import LiveOptions, run_live

    check_save_options(args)
    if args.realtime and not args.source:
        raise InputError("--realtime paces a file: use it with --source FILE (a camera is always real time)")
    check_people(args)
    if args.max_seconds is not None and args.max_seconds <= 0:
        raise InputError(f"--max-seconds must be a positive number of seconds, got {args.max_seconds:g}")
    config = load_config(args.config, side=args.side)
    opts = LiveOptions(
        camera=args.camera,
        source=args.source,
        window=not args.no_window,
        realtime=args.realtime,
        record=args.record,
        out_dir=args.output,
        config=config,
        side=None if args.side in (None, "auto") else args.side,
        model=args.model,
        max_seconds=args.max_seconds,
        people=args.people,
        quiet_native=not args.debug,
        foot_track=not args.no_foot_track,
        max_fps=max_fps(args),
    )
    window = None
    if opts.window:
        from formcheck.io.display import Window

        window = Window()
    result = run_live(opts, window=window)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    stats = result.stats.to_dict()
    lat = stats["latency_ms"]
    print(
        f"{stats['frames_processed']} frames processed, {stats['frames_dropped']} dropped; "
        f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms; {stats['live_reps']} reps counted live",
        file=sys.stderr,
    )
    if result.analysis is not None:
        save_if_asked(args, result.analysis.data)
        if args.json:
            sys.stdout.write(report_json_text(result.analysis.data))
        else:
            from formcheck.io.terminal import print_report

            print_report(result.analysis.data, out_dir=str(result.out_dir))
    else:
        print(f"outputs: {result.out_dir} (nothing analyzable was recorded)", file=sys.stderr)
    return EXIT_OK
