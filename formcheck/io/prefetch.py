"""Run an iterator in a background thread, a bounded number of items ahead of its consumer.

Decoding a video frame (and scaling and colour-converting it for the model) happens in
OpenCV and mediapipe code that releases the GIL, so a decoding thread overlaps the pose
model running in the caller's thread. The queue is bounded: memory stays flat however long
the clip, and the producer stops as soon as the consumer does (end, error, Ctrl-C).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()
_POLL_S = 0.1  # how often a blocked producer checks whether the consumer has gone


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterable[T], ahead: int = 4) -> Iterator[T]:
    """Yield the items of `items`, produced by a background thread up to `ahead` items early.

    An exception in the producer is raised in the consumer at the point it happened; closing
    the returned generator (or an exception in the consumer) stops and joins the producer.
    """
    if ahead < 1:
        raise ValueError("ahead must be at least 1")
    q: queue.Queue = queue.Queue(maxsize=ahead)
    stop = threading.Event()
    worker = threading.Thread(target=_produce, args=(items, q, stop), name="formcheck-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        _drain(q)
        worker.join()


def _produce(items: Iterable[T], q: queue.Queue, stop: threading.Event) -> None:
    it = iter(items)
    try:
        for item in it:
            if not _put(q, item, stop):
                return
        _put(q, _END, stop)
    except BaseException as exc:
        _put(q, _Failed(exc), stop)
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # run the source's own clean-up (e.g. its end-of-video warnings) in this thread


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put unless the consumer has stopped; False if it has."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return
