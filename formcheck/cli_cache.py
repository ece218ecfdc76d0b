"""`formcheck cache`: where the landmark cache is and how big; `formcheck cache clear` empties it."""

from __future__ import annotations

import argparse
from typing import Any

EXIT_OK = 0


def add_cache_parser(sub: Any) -> None:
    ca = sub.add_parser("cache", help="the landmark cache: its folder and size; 'formcheck cache clear' empties it")
    ca.add_argument(
        "action",
        nargs="?",
        choices=("info", "clear"),
        default="info",
        metavar="ACTION",
        help="info (default): folder, entries, size and cap; clear: delete every entry",
    )
    ca.add_argument("--debug", action="store_true", help="show tracebacks")
    ca.set_defaults(func=cmd_cache)


def _mb(n: int) -> str:
    return f"{n / (1 << 20):.1f} MB"


def cmd_cache(args: argparse.Namespace) -> int:
    from formcheck.io.cache import MAX_ENV_VAR, cache_dir, cache_size, clear, max_bytes

    folder = cache_dir()
    if args.action == "clear":
        n, freed = clear(folder) if folder.is_dir() else (0, 0)
        print(f"landmark cache {folder}: deleted {n} entries ({_mb(freed)})")
        return EXIT_OK
    n, size = cache_size(folder) if folder.is_dir() else (0, 0)
    print(
        f"landmark cache {folder}: {n} entries, {_mb(size)} of at most {_mb(max_bytes())} "
        f"(${MAX_ENV_VAR} to change; least recently used entries go first)"
    )
    return EXIT_OK
