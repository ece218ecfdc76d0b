"""The `formcheck` command.  Every failure is one line on stderr and a documented exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from formcheck.cli_batch import add_batch_parser
from formcheck.cli_cache import add_cache_parser
from formcheck.cli_history import add_history_parser, add_save_options, check_save_options, save_if_asked
from formcheck.cli_live import add_live_parser
from formcheck.cli_options import (
    MODEL_HELP,
    add_analysis_options,
    add_foot_track_option,
    add_max_fps_option,
    add_people_option,
    check_body_sizes,
    check_people,
    max_fps,
)
from formcheck.cli_serve import add_serve_parser
from formcheck.errors import FormcheckError, InputError, Interrupted
from formcheck.version import __version__

EXIT_OK, EXIT_INTERNAL = 0, 1
DEMO_OUT = Path("formcheck-out") / "demo"


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show tracebacks and MediaPipe's own log lines")


def _add_extract_options(p: argparse.ArgumentParser) -> None:
    add_max_fps_option(p)
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="run the pose model even if this video's landmarks are in the landmark cache",
    )
    add_people_option(p)
    add_foot_track_option(p)


def _extract_config(args: argparse.Namespace):
    from formcheck.io.extract import ExtractConfig
    from formcheck.io.pose import PoseConfig

    check_people(args)
    pose = PoseConfig(num_poses=args.people)
    return ExtractConfig(max_fps=max_fps(args), pose=pose, foot_track=not args.no_foot_track)  # checks --max-fps


class OneLineParser(argparse.ArgumentParser):
    """argparse with its errors as one line, `formcheck: error: ...; see formcheck COMMAND --help` and exit code 2
    (no usage block); --help is argparse's own.  Subparsers are made of the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"formcheck: error: {message}; see {self.prog} --help\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        args = sys.argv[1:] if args is None else list(args)
        ns, extras = self.parse_known_args(args, namespace)
        if extras:  # unknown options are found by the main parser: name the command they were given to
            command = getattr(ns, "command", None)
            before = args[: args.index(command)] if command in args else args
            owner = self if any(x in before for x in extras) else self._command_parser(ns)
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns

    def _command_parser(self, ns: argparse.Namespace) -> argparse.ArgumentParser:
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action.choices.get(getattr(ns, action.dest, None), self)
        return self


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="formcheck", description="Rep-by-rep form check for the Band Single Leg Calf Raise.")
    parser.add_argument("--version", action="version", version=f"formcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ex = sub.add_parser("extract", help="video -> landmarks CSV (runs the pose model)")
    ex.add_argument("video", help="video file (mp4, mov, avi, mkv, webm)")
    ex.add_argument("-o", "--output", help="CSV path (default: formcheck-out/<video stem>/landmarks.csv)")
    ex.add_argument("--model", help=MODEL_HELP)
    _add_extract_options(ex)
    _add_common(ex)
    ex.set_defaults(func=cmd_extract)

    an = sub.add_parser("analyze", help="video or landmarks CSV -> reps, tempo, heel range, report files")
    an.add_argument("input", help="video file, or a landmarks CSV written by 'formcheck extract'")
    an.add_argument("-o", "--output", help="output folder (default: formcheck-out/<input stem>/)")
    an.add_argument("--json", action="store_true", help="print report.json to stdout instead of the table")
    an.add_argument(
        "--no-video", action="store_true", help="skip annotated.mp4 (faster; the report keeps its thumbnails)"
    )
    an.add_argument(
        "--video-size",
        type=int,
        default=None,
        metavar="PX",
        help="long side of annotated.mp4 at most, px (default 1280; 0 = the input's size)",
    )
    an.add_argument("--open", action="store_true", help="open report.html in the default browser when done")
    add_analysis_options(an)
    _add_extract_options(an)
    add_save_options(an)
    _add_common(an)
    an.set_defaults(func=cmd_analyze)

    de = sub.add_parser("demo", help="analyze the short sample clip that ships with formcheck and show its report")
    de.add_argument("-o", "--output", default=str(DEMO_OUT), help=f"output folder (default: {DEMO_OUT}/)")
    de.add_argument("--open", action="store_true", help="open report.html in the default browser when done")
    _add_common(de)
    de.set_defaults(func=cmd_demo)

    add_live_parser(sub, _add_common)
    add_batch_parser(sub, _add_common)
    add_history_parser(sub)
    add_serve_parser(sub)
    add_cache_parser(sub)
    doc = sub.add_parser("doctor", help="check the pose model, video decoding, ffmpeg and cameras on this machine")
    _add_common(doc)
    doc.set_defaults(func=cmd_doctor)
    return parser


def _video_size(px: int | None) -> int | None:
    """--video-size: None -> the default, 0 -> the input's size."""
    from formcheck.io.video_writer import VIDEO_MAX_SIDE

    if px is None:
        return VIDEO_MAX_SIDE
    if px != 0 and px < 160:
        raise InputError(f"--video-size must be 0 (the input's size) or at least 160 px, got {px}")
    return px or None


def cmd_analyze(args: argparse.Namespace) -> int:
    from formcheck.api import load_config
    from formcheck.io.report_files import report_json_text
    from formcheck.io.terminal import print_report
    from formcheck.pipeline import analyze_to_folder, default_output_dir

    check_body_sizes(args)
    check_save_options(args)
    config = load_config(args.config, side=args.side, height_cm=args.height_cm, foot_cm=args.foot_cm)

    def show(data: dict) -> None:  # as soon as report.json is written, before the annotated video
        if args.json:
            sys.stdout.write(report_json_text(data))
            sys.stdout.flush()
        else:
            print_report(data, out_dir=str(Path(args.output) if args.output else default_output_dir(args.input)))

    result = analyze_to_folder(
        args.input,
        args.output,
        config,
        model=args.model,
        show_progress=not args.quiet,
        quiet_native=not args.debug,
        video=not args.no_video,
        extract=_extract_config(args),
        use_cache=not args.no_cache,
        on_report=show,
        video_max_side=_video_size(args.video_size),
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    save_if_asked(args, result.data)
    if args.open:
        open_in_browser(result.files["report_html"])
    return EXIT_OK


def demo_clip() -> Path:
    """The sample clip inside the package (formcheck/data/demo.mp4: 16 s, four clean reps, side view)."""
    from importlib.resources import files

    path = Path(str(files("formcheck") / "data" / "demo.mp4"))
    if not path.is_file():
        raise InputError(f"the demo clip is missing from this install ({path}); reinstall formcheck")
    return path


def cmd_demo(args: argparse.Namespace) -> int:
    from formcheck.io.terminal import print_report
    from formcheck.pipeline import analyze_to_folder

    clip = demo_clip()
    print(
        f"formcheck demo: analyzing {clip.name}, a 16 s rendered set of 4 clean reps (side view, right leg)",
        file=sys.stderr,
    )
    result = analyze_to_folder(
        clip,
        args.output,
        show_progress=not args.quiet,
        quiet_native=not args.debug,
        on_report=lambda data: print_report(data, out_dir=args.output),
    )
    report = Path(result.files["report_html"]).resolve()
    how = "" if args.open else "Open it in a browser (or run formcheck demo --open). "
    print(f"\nThe report: {report}\n{how}Your own clip: formcheck analyze VIDEO")
    if args.open:
        open_in_browser(report)
    return EXIT_OK


def open_in_browser(path: Path) -> None:
    """Open a local file in the default browser (a note on stderr if there is none, never an error)."""
    import webbrowser

    if not webbrowser.open(Path(path).resolve().as_uri()):
        print(f"formcheck: no browser found to open {path}; open it yourself", file=sys.stderr)


def cmd_doctor(args: argparse.Namespace) -> int:
    from formcheck.doctor import run_doctor

    return run_doctor()


def cmd_extract(args: argparse.Namespace) -> int:
    from formcheck.inputs import extract_video
    from formcheck.io.landmarks_csv import save_landmarks_or_rescue
    from formcheck.io.report_files import check_writable
    from formcheck.pipeline import interrupted_message

    video = Path(args.video)
    out = Path(args.output) if args.output else Path("formcheck-out") / video.stem / "landmarks.csv"
    check_writable(out.parent)  # fail before the extraction, not after
    result = extract_video(
        video,
        model=args.model,
        show_progress=not args.quiet,
        quiet_native=not args.debug,
        extract=_extract_config(args),
        use_cache=not args.no_cache,
    )
    out = save_landmarks_or_rescue(result.series, out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    n = len(result.series)
    cached = " (landmarks from the cache; --no-cache to rerun the model)" if result.from_cache else ""
    print(f"{n} frames, pose found in {result.detection_rate:.1%}{cached} -> {out}")
    if result.interrupted:
        raise Interrupted(interrupted_message(result.series, out))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if not args.debug and argv is None:
        _silence_native_stderr()
    return run_guarded(args.func, args)


def _silence_native_stderr() -> None:
    """MediaPipe's C++ code logs INFO/WARNING lines straight to fd 2 at any frame.

    Point fd 2 at /dev/null and give Python a duplicate of the real stderr, so our own
    messages and progress bar still show.  Only the CLI does this (never the library);
    --debug keeps the native lines.
    """
    import os

    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8", errors="replace")
    except (OSError, ValueError, AttributeError):
        pass  # no real fd 2 (embedded interpreter): leave stderr alone


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; errors become one line (a traceback only with --debug)."""
    try:
        return func(args)
    except FormcheckError as exc:
        if args.debug:
            raise
        print(f"formcheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("formcheck: interrupted", file=sys.stderr)
        return Interrupted.exit_code
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"formcheck: internal error: {type(exc).__name__}: {exc} (rerun with --debug and report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
