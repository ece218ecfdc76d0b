"""`formcheck history`, and the --save/--athlete/--history options that analyze and batch share."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from formcheck.errors import InputError

EXIT_OK = 0


def add_save_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--save", action="store_true", help="store the analyzed set in the training history (off unless asked)"
    )
    p.add_argument("--athlete", metavar="NAME", help="whose set it is, for the history (default: me); needs --save")
    add_history_path_option(p)


def add_history_path_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--history",
        metavar="PATH",
        help="the history database (default: $FORMCHECK_HISTORY, else history.sqlite in your user data folder)",
    )


def check_save_options(args: argparse.Namespace) -> None:
    """Before any work: --athlete without --save would silently store nothing; with --save the history database
    must be usable (exit 6 before the pose extraction, not after it)."""
    if getattr(args, "athlete", None) is not None and not args.save:
        raise InputError("--athlete is only stored with --save; add --save to keep this set in the history")
    if args.save:
        from formcheck.history.db import check_history

        check_history(args.history)


def save_if_asked(args: argparse.Namespace, data: dict[str, Any]) -> None:
    if not args.save:
        return
    from formcheck.history import default_history_path, save_set

    saved = save_set(args.history, data, athlete=args.athlete)
    db = args.history or default_history_path()
    verb = "replaced the earlier save of this clip in" if saved.replaced else "saved to"
    print(
        f"history: {verb} {db} ({saved.performed_at.astimezone():%Y-%m-%d %H:%M}, from {saved.time_source})",
        file=sys.stderr,
    )


def add_history_parser(sub: Any) -> None:
    hi = sub.add_parser("history", help="progress per side over time and left vs right, from the saved sets")
    hi.add_argument("--athlete", metavar="NAME", help="only this athlete's sets (default: everyone's)")
    hi.add_argument("--html", metavar="PATH", help="also write the history as one self-contained HTML page")
    add_history_path_option(hi)
    hi.add_argument("--debug", action="store_true", help="show tracebacks")
    hi.set_defaults(func=cmd_history)


def cmd_history(args: argparse.Namespace) -> int:
    from formcheck.history import default_history_path, load_sets
    from formcheck.history.page import save_history_html
    from formcheck.history.tables import print_history

    db = Path(args.history) if args.history else default_history_path()
    if not db.is_file():
        raise InputError(f"no history database at {db}; analyze a clip with --save first, or pass --history PATH")
    records = load_sets(db, athlete=args.athlete)
    if args.athlete is not None and not records:
        from formcheck.history import athletes

        names = ", ".join(athletes(db)) or "none"
        raise InputError(f"no sets saved for athlete {args.athlete!r} in {db} (athletes: {names})")
    print_history(records)
    if args.html:
        path = save_history_html(records, args.html)
        print(f"history page: {path}")
    return EXIT_OK
