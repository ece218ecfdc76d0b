"""Ctrl-C as a request that a loop reads at a point of its choosing.

Python raises KeyboardInterrupt wherever the main thread happens to be when the signal is handled.
Inside a finalizer (MediaPipe's `Image.__del__` frees every frame's image) the exception is printed
as "Exception ignored" and lost, and the run goes on as if no key had been pressed. Under
`ctrl_c_requests()` the first Ctrl-C only sets `requested`; the loop stops at its next check. A
second Ctrl-C raises KeyboardInterrupt at once, as usual, for a loop stuck elsewhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class CtrlC:
    requested: bool = False


@contextmanager
def ctrl_c_requests() -> Iterator[CtrlC]:
    """Within the block, Ctrl-C sets `.requested` once. Off the main thread, or when someone else
    handles SIGINT (a server's worker ignores it), nothing changes and `.requested` stays False."""
    flag = CtrlC()
    if threading.current_thread() is not threading.main_thread() or (
        signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield flag
        return

    def request(signum: int, frame: object) -> None:
        flag.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    previous = signal.signal(signal.SIGINT, request)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
