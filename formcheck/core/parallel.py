"""One helper thread for the core: a second core works on numpy/scipy loops that release the GIL.

`beside(fn, ...)` starts fn in the helper thread and returns its Future; the caller works meanwhile and
then takes `.result()` (which re-raises fn's error). Only work whose big loops run in numpy or scipy gains
(np.interp, the filter loops, large ufuncs); Python-level work just takes turns with the caller. Results
never depend on it: the same functions run, in another thread. Called from the helper thread itself, or on
a one-core machine, fn runs at once (so helper work never waits for the helper).
"""
from __future__ import annotations

import functools
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, TypeVar

T = TypeVar("T")

PARALLEL_VALUES = 60_000  # arrays smaller than this are not worth a hand-off (~0.1 ms)
NAME = "formcheck-core"


def beside(fn: Callable[..., T], *args: object) -> "Future[T]":
    if (os.cpu_count() or 1) < 2 or threading.current_thread().name.startswith(NAME):
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed back by .result(), as the thread would
            done.set_exception(exc)
        return done
    return _helper(os.getpid()).submit(fn, *args)


@functools.lru_cache(maxsize=1)
def _helper(pid: int) -> ThreadPoolExecutor:
    """Keyed by pid: a forked child gets its own thread, not its parent's (which does not exist there)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=NAME)
