"""`formcheck serve`: the local web app for a phone or a laptop (needs formcheck[serve])."""

from __future__ import annotations

import argparse
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

from formcheck.cli_history import add_history_path_option
from formcheck.errors import InputError

EXIT_OK = 0
ALL_INTERFACES = ("0.0.0.0", "::")


def add_serve_parser(sub: Any) -> None:
    se = sub.add_parser("serve", help="a local web app: record or choose a video on a phone, read its report there")
    se.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; 0.0.0.0: phones on the "
        "same Wi-Fi too, with a QR code to open it)",
    )
    se.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    se.add_argument(
        "--out",
        default="formcheck-serve",
        metavar="DIR",
        help="folder for the analyses, one subfolder each (default formcheck-serve/)",
    )
    se.add_argument(
        "--max-upload-mb", type=int, default=1024, metavar="MB", help="largest video accepted (default 1024)"
    )
    se.add_argument("--open", action="store_true", help="open the page in this computer's browser")
    se.add_argument(
        "--save",
        action="store_true",
        help="store every analyzed set in the training history (the page's checkbox starts ticked; "
        "an upload can still say save=0)",
    )
    add_history_path_option(se)
    se.add_argument("--debug", action="store_true", help="show tracebacks and the server's request log")
    se.set_defaults(func=cmd_serve)


def lan_address() -> str | None:
    """This computer's address on the local network (the one its default route uses); no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a one-line error (port in use, address not on this computer)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise InputError(
                f"port {port} is already in use (another formcheck serve?); pass another --port, "
                "or --port 0 for any free one"
            ) from None
        raise InputError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); use --host 127.0.0.1, or "
            "0.0.0.0 for every network of this computer"
        ) from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def print_qr(url: str) -> None:
    import segno

    segno.make(url, error="m").terminal(out=sys.stdout, compact=True)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from formcheck.serve import ServeSettings, create_app
    except ImportError as exc:
        raise InputError(
            f"formcheck serve needs its web server ({exc.name} is missing): pip install 'formcheck[serve]'"
        ) from None
    if args.max_upload_mb < 1:
        raise InputError(f"--max-upload-mb must be at least 1, got {args.max_upload_mb}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; pass a folder for the analyses")
    if args.save:  # every upload is saved: the history must be usable before anything is served
        from formcheck.history.db import check_history

        check_history(args.history)
    token = secrets.token_urlsafe(18)
    settings = ServeSettings(out.absolute(), token, args.max_upload_mb, args.history, save=args.save)
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    local = f"http://127.0.0.1:{port}/?token={token}"
    print(f"formcheck serve: analyses go to {out.absolute()}")
    if args.host in ALL_INTERFACES:
        lan = lan_address()
        if lan is None:
            print("no network address found (no Wi-Fi or Ethernet?): only this computer can open the page")
        else:
            url = f"http://{lan}:{port}/?token={token}"
            print(f"On a phone on the same Wi-Fi, open {url}\nor scan:")
            print_qr(url)
    elif args.host not in ("127.0.0.1", "localhost", "::1"):
        local = f"http://{args.host}:{port}/?token={token}"
    print(f"On this computer: {local}\nCtrl-C to stop.", flush=True)
    app = create_app(settings)
    config = uvicorn.Config(
        app, log_level="info" if args.debug else "warning", access_log=args.debug, timeout_graceful_shutdown=3
    )
    server = uvicorn.Server(config)
    if args.open:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(local,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("formcheck serve: stopped", file=sys.stderr)
    return EXIT_OK
